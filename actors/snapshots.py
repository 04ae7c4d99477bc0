"""Room snapshots kept by a front, so a token request needs no hop to a room host.

A room announces each committed change with a PostgreSQL NOTIFY sent inside the write's
transaction. The front drops its copy when the announcement arrives, and fetches a new one from
the room on the next request. While the LISTEN connection is down the front trusts nothing it
holds and asks the rooms every time, until the connection is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import asyncpg
from cachetools import LRUCache

from actors.client import RoomClient
from storage.notify import ROOM_CHANNEL, parse_room_change

logger = logging.getLogger(__name__)


@dataclass
class _Fetch:
    task: asyncio.Future[Any]
    # Set when a change was announced while the fetch was in flight: its answer may predate
    # the change, so it is neither cached nor shared with later requests.
    stale: bool = False


class RoomSnapshots:
    def __init__(self, client: RoomClient, database_url: str, *, max_rooms: int = 100_000) -> None:
        self.client = client
        self._database_url = database_url
        self._cache: LRUCache[str, Any] = LRUCache(maxsize=max_rooms)
        self._fetches: dict[str, _Fetch] = {}
        self._connection: asyncpg.Connection | None = None
        self._listening = False
        self._reconnect: asyncio.Task[None] | None = None
        self._closed = False
        self._watchers: dict[str, list[asyncio.Future[None]]] = {}
        self._lost = asyncio.Event()
        self._back = asyncio.Event()

    @property
    def listening(self) -> bool:
        return self._listening

    async def start(self) -> None:
        await self._listen()

    async def close(self) -> None:
        self._closed = True
        if self._reconnect is not None:
            self._reconnect.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnect
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.close()
        self._listening = False

    async def get(self, key: str) -> Any:
        """The room's snapshot, from memory when it can be trusted."""
        if self._listening and key in self._cache:
            return self._cache[key]
        fetch = self._fetches.get(key)
        if fetch is None or fetch.stale:
            fetch = _Fetch(asyncio.ensure_future(self.client.call(key, "snapshot")))
            self._fetches[key] = fetch
            fetch.task.add_done_callback(lambda _: self._settle(key, fetch))
        return await asyncio.shield(fetch.task)

    async def write(self, key: str, name: str, *args: Any, **kwargs: Any) -> Any:
        """Send a message that changes the room, and forget this front's copy of it."""
        try:
            return await self.client.call(key, name, *args, **kwargs)
        finally:
            self.invalidate(key)

    def invalidate(self, key: str) -> None:
        self._cache.pop(key, None)
        fetch = self._fetches.get(key)
        if fetch is not None:
            fetch.stale = True

    async def listener_lost(self) -> None:
        """Wait until the LISTEN connection is found lost (returns at once while it is)."""
        await self._lost.wait()

    async def listening_again(self) -> None:
        """Wait until the LISTEN connection is up (returns at once while it is)."""
        await self._back.wait()

    async def changed(self, key: str) -> None:
        """Wait until the next change of `key` is announced to this front."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._watchers.setdefault(key, []).append(future)
        await future

    def _settle(self, key: str, fetch: _Fetch) -> None:
        if self._fetches.get(key) is fetch:
            del self._fetches[key]
        if fetch.task.cancelled() or fetch.task.exception() is not None:
            return
        if self._listening and not fetch.stale:
            self._cache[key] = fetch.task.result()

    def _on_notify(self, connection: Any, pid: int, channel: str, payload: object) -> None:
        try:
            key, _ = parse_room_change(str(payload))
        except ValueError:
            logger.warning("unreadable room change payload=%r", payload)
            return
        self.invalidate(key)
        for watcher in self._watchers.pop(key, []):
            if not watcher.done():
                watcher.set_result(None)

    def _on_lost(self, connection: Any) -> None:
        if self._closed:
            return
        logger.warning("room change listener lost; snapshots untrusted until it is back")
        self._stop_trusting()
        self._back.clear()
        self._lost.set()
        if self._reconnect is None or self._reconnect.done():
            self._reconnect = asyncio.ensure_future(self._listen_again())

    def _stop_trusting(self) -> None:
        self._listening = False
        self._cache.clear()
        for fetch in self._fetches.values():
            fetch.stale = True

    async def _listen(self) -> None:
        connection = await asyncpg.connect(self._database_url, timeout=5)
        connection.add_termination_listener(self._on_lost)
        await connection.add_listener(ROOM_CHANNEL, self._on_notify)
        self._connection = connection
        self._listening = True
        self._lost.clear()
        self._back.set()
        logger.info("room change listener connected")

    async def _listen_again(self) -> None:
        delay = 0.1
        while not self._closed:
            try:
                await self._listen()
                return
            except (OSError, asyncpg.PostgresError, TimeoutError) as error:
                logger.warning("room change listener reconnect failed error=%s", error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
