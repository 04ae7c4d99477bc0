"""The active platform bans, held in memory by each front process.

Every token request checks them, so they are read from memory: all active bans are loaded at
start, reloaded when PostgreSQL announces a change to `user_bans` (a trigger notifies on every
statement, whoever wrote it) and on a timer. Expiry is checked at lookup time, so a ban that
runs out stops counting at once, between reloads too. While the LISTEN connection is down, or
the last reload failed, lookups ask the database instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import asyncpg

from config.errors import ServiceUnavailableError
from storage.user_bans import USER_BANS_CHANNEL, ActiveBan, active_bans, has_active_ban

logger = logging.getLogger(__name__)

Clock = Callable[[], float]

DEFAULT_REFRESH_SECONDS = 60.0
_RETRY_SECONDS = 1.0
_FOREVER = float("inf")
_DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


def _deadlines(bans: Iterable[ActiveBan], now: float) -> tuple[dict[str, float], dict[str, float]]:
    """The latest expiry (on `clock`) per banned address and per banned device."""
    by_address: dict[str, float] = {}
    by_device: dict[str, float] = {}
    for ban in bans:
        until = _FOREVER if ban.seconds_left is None else now + ban.seconds_left
        if by_address.get(ban.banned_address, -_FOREVER) < until:
            by_address[ban.banned_address] = until
        device = ban.banned_device_id
        if device and by_device.get(device, -_FOREVER) < until:
            by_device[device] = until
    return by_address, by_device


class PlatformBans:
    """`await is_banned(address, device_id)`, answered from memory while it can be trusted."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        database_url: str,
        *,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
        clock: Clock = time.monotonic,
    ) -> None:
        self._pool = pool
        self._database_url = database_url
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._by_address: dict[str, float] = {}
        self._by_device: dict[str, float] = {}
        self._loaded = False
        self._listening = False
        self._connection: asyncpg.Connection | None = None
        self._wake = asyncio.Event()
        self._refreshed: list[asyncio.Future[None]] = []
        self._worker: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def trusted(self) -> bool:
        """Whether lookups are answered from memory."""
        return self._listening and self._loaded

    async def start(self) -> None:
        """Listen for changes and load the bans; the worker keeps both going afterwards."""
        try:
            await self._listen()
            await self._reload()
        except _DATABASE_ERRORS as error:
            logger.warning("platform bans not loaded at start error=%s", error)
            self._wake.set()
        self._worker = asyncio.create_task(self._run())

    async def close(self) -> None:
        self._closed = True
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.close()
        self._listening = False

    def banned_in_memory(self, address: str, device_id: str | None = None) -> bool:
        """The in-memory answer, whether or not it can be trusted."""
        now = self._clock()
        if self._by_address.get(address.lower(), -_FOREVER) > now:
            return True
        return bool(device_id) and self._by_device.get(device_id or "", -_FOREVER) > now

    async def is_banned(self, address: str, device_id: str | None = None) -> bool:
        """Whether an active ban names the address, or the device when one is given.

        Raises ServiceUnavailableError when memory cannot be trusted and the database fails.
        """
        if self.trusted:
            return self.banned_in_memory(address, device_id)
        try:
            async with self._pool.acquire() as connection:
                return await has_active_ban(connection, address, device_id)
        except _DATABASE_ERRORS as error:
            logger.warning("platform bans unreadable error=%s", error)
            raise ServiceUnavailableError("Database unavailable") from error

    def next_refresh(self) -> asyncio.Future[None]:
        """A future settled when the next reload (after a change or the timer) completes."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._refreshed.append(future)
        return future

    async def _reload(self) -> None:
        async with self._pool.acquire() as connection:
            bans = await active_bans(connection)
        self._by_address, self._by_device = _deadlines(bans, self._clock())
        self._loaded = True
        logger.debug("platform bans loaded count=%s", len(bans))
        waiting, self._refreshed = self._refreshed, []
        for future in waiting:
            if not future.done():
                future.set_result(None)

    async def _run(self) -> None:
        while not self._closed:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._refresh_seconds):
                    await self._wake.wait()
            self._wake.clear()
            try:
                if not self._listening:
                    await self._listen()
                await self._reload()
            except _DATABASE_ERRORS as error:
                self._loaded = False
                logger.warning("platform bans reload failed error=%s", error)
                await asyncio.sleep(_RETRY_SECONDS)
                self._wake.set()

    async def _listen(self) -> None:
        connection = await asyncpg.connect(self._database_url, timeout=5)
        connection.add_termination_listener(self._on_lost)
        await connection.add_listener(USER_BANS_CHANNEL, self._on_notify)
        self._connection = connection
        self._listening = True
        logger.info("platform bans listener connected")

    def _on_notify(self, connection: Any, pid: int, channel: str, payload: object) -> None:
        self._wake.set()

    def _on_lost(self, connection: Any) -> None:
        if self._closed:
            return
        logger.warning("platform bans listener lost; asking the database until it is back")
        self._listening = False
        self._wake.set()
