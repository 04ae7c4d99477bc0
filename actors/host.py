"""A room host: one Ray actor process that holds many rooms.

Fronts send a host batches of messages. The host answers only for keys the membership in force
gives it, runs one message at a time per room (rooms interleave on its event loop), activates a
room from PostgreSQL on its first message and drops it after `idle_seconds` without one.

Membership changes in two steps so that no key is ever served by two hosts: `prepare` makes a
host refuse the keys that are about to move (in either direction), `adopt` switches to the new
membership and drops the rooms the host no longer owns.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import time
import tracemalloc
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from actors.placement import Membership
from actors.registry import room_class
from actors.replies import ERROR, MOVING, NOT_MINE, OK, Message, Reply
from actors.room import CommitOutcomeUnknown, Room, RoomContext
from config.errors import GatekeeperError, InvalidRequestError, ServiceUnavailableError
from storage.database import create_pool
from storage.membership import load_membership

logger = logging.getLogger(__name__)

_DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


@dataclass(frozen=True)
class HostConfig:
    """What a host needs to run; given by whoever creates it."""

    database_url: str
    idle_seconds: float
    pool_size: int = 10


@dataclass(slots=True)
class _Slot:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    room: Room | None = None
    last_used: float = 0.0
    # Messages holding or waiting for the lock; a slot in use is never passivated.
    users: int = 0


class RoomHost:
    def __init__(self, index: int, config: HostConfig) -> None:
        self.index = index
        self.config = config
        self._slots: dict[str, _Slot] = {}
        self._membership = Membership(0, 0)
        self._pending: Membership | None = None
        self._pool: asyncpg.Pool | None = None
        self._started = asyncio.Lock()
        self._reaper: asyncio.Task[None] | None = None

    async def _ready(self) -> asyncpg.Pool:
        if self._pool is not None:
            return self._pool
        async with self._started:
            if self._pool is None:
                pool = await create_pool(self.config.database_url, self.config.pool_size)
                async with pool.acquire() as connection:
                    stored = await load_membership(connection)
                if stored is not None:
                    self._membership = Membership(*stored)
                self._pool = pool
                self._reaper = asyncio.create_task(self._reap_idle())
                logger.info(
                    "room host ready host=%s epoch=%s hosts=%s",
                    self.index,
                    self._membership.epoch,
                    self._membership.host_count,
                )
        return self._pool

    async def ping(self) -> tuple[int, int, int]:
        """Host index and the membership it serves; proves the host answers."""
        await self._ready()
        return self.index, self._membership.epoch, self._membership.host_count

    async def handle_packed(self, epoch: int, packed: bytes) -> bytes:
        """`handle`, with the batch and its replies pickled by us: bytes cross Ray cheapest."""
        messages = pickle.loads(packed)  # noqa: S301 - sent by our own fronts
        return pickle.dumps(await self.handle(epoch, messages), protocol=5)

    async def handle(self, epoch: int, messages: list[Message]) -> list[Reply]:
        """Run a batch of messages; rooms run concurrently, each room's messages in order."""
        try:
            await self._ready()
        except _DATABASE_ERRORS as error:
            logger.warning(
                "room host cannot reach the database host=%s error=%s", self.index, error
            )
            unavailable = ServiceUnavailableError("Database unavailable")
            return [(ERROR, unavailable)] * len(messages)
        if epoch > self._membership.epoch:
            await self._reload_membership()

        replies: list[Reply] = [(OK, None)] * len(messages)
        by_key: dict[str, list[int]] = defaultdict(list)
        for position, (key, _, _, _) in enumerate(messages):
            by_key[key].append(position)

        async def run_room(key: str, positions: list[int]) -> None:
            for position in positions:
                _, name, args, kwargs = messages[position]
                replies[position] = await self._deliver(key, name, args, kwargs)

        # Reads of active, idle rooms finish without waiting: run them here, in order, and
        # leave only the rest (activations, writes, busy rooms) to run concurrently.
        waiting = []
        for key, positions in by_key.items():
            if self._answers_at_once(key, [messages[p][1] for p in positions]):
                await run_room(key, positions)
            else:
                waiting.append(run_room(key, positions))
        if waiting:
            await asyncio.gather(*waiting)
        return replies

    def _answers_at_once(self, key: str, names: list[str]) -> bool:
        slot = self._slots.get(key)
        if slot is None or slot.room is None or slot.users:
            return False
        room = type(slot.room)
        return not any(room.writes(name) for name in names)

    def _refusal(self, key: str) -> Reply | None:
        membership = self._membership
        if membership.owner(key) != self.index:
            return (NOT_MINE, (membership.epoch, membership.host_count))
        if self._pending is not None and self._pending.owner(key) != self.index:
            return (MOVING, None)
        return None

    async def _deliver(
        self, key: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Reply:
        refusal = self._refusal(key)
        if refusal is not None:
            return refusal
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot()
        slot.users += 1
        try:
            async with slot.lock:
                return await self._run(slot, key, name, args, kwargs)
        finally:
            slot.users -= 1

    async def _run(
        self, slot: _Slot, key: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Reply:
        # The membership may have moved on while this message waited for the room.
        refusal = self._refusal(key)
        if refusal is not None:
            return refusal
        slot.last_used = time.monotonic()
        try:
            if slot.room is None:
                slot.room = await self._activate(key)
            handler = slot.room.handler(name)
        except GatekeeperError as error:
            return (ERROR, error)
        except LookupError as error:
            return (ERROR, InvalidRequestError(str(error)))
        try:
            return (OK, await handler(*args, **kwargs))
        except GatekeeperError as error:
            return (ERROR, error)
        except CommitOutcomeUnknown:
            logger.warning("commit outcome unknown, dropping room key=%s", key)
            slot.room = None
            return (ERROR, ServiceUnavailableError("Database unavailable"))
        except _DATABASE_ERRORS as error:
            # The transaction rolled back: memory still matches the database.
            logger.warning("room write failed key=%s message=%s error=%s", key, name, error)
            return (ERROR, ServiceUnavailableError("Database unavailable"))
        except Exception:
            logger.exception("room message failed, dropping room key=%s message=%s", key, name)
            slot.room = None
            return (ERROR, GatekeeperError())

    async def _activate(self, key: str) -> Room:
        kind = key.partition(":")[0]
        cls = room_class(kind)
        if cls is None:
            raise InvalidRequestError(f"unknown room kind: {kind!r}")
        assert self._pool is not None
        try:
            room = await cls.activate(key, RoomContext(self._pool))
        except _DATABASE_ERRORS as error:
            logger.warning("room activation failed key=%s error=%s", key, error)
            raise ServiceUnavailableError("Database unavailable") from error
        logger.debug("room activated key=%s host=%s", key, self.index)
        return room

    async def _reload_membership(self) -> None:
        pool = await self._ready()
        async with pool.acquire() as connection:
            stored = await load_membership(connection)
        if stored is not None and stored[0] > self._membership.epoch:
            await self.adopt(*stored)

    async def prepare(self, epoch: int, host_count: int) -> None:
        """Stop serving keys that move under the coming membership."""
        await self._ready()
        if epoch > self._membership.epoch:
            self._pending = Membership(epoch, host_count)

    async def adopt(self, epoch: int, host_count: int) -> int:
        """Switch to a newer membership; drop the rooms now owned elsewhere. Returns how many."""
        await self._ready()
        if epoch <= self._membership.epoch:
            return 0
        self._membership = Membership(epoch, host_count)
        if self._pending is not None and self._pending.epoch <= epoch:
            self._pending = None
        leaving = [k for k in self._slots if self._membership.owner(k) != self.index]
        for key in leaving:
            slot = self._slots.get(key)
            if slot is None:
                continue
            async with slot.lock:
                if self._slots.get(key) is slot:
                    del self._slots[key]
        logger.info(
            "membership adopted host=%s epoch=%s hosts=%s rooms_dropped=%s",
            self.index,
            epoch,
            host_count,
            len(leaving),
        )
        return len(leaving)

    async def passivate_idle(self, idle_seconds: float | None = None) -> int:
        """Drop rooms idle for longer than `idle_seconds`; returns how many were dropped."""
        limit = self.config.idle_seconds if idle_seconds is None else idle_seconds
        deadline = time.monotonic() - limit
        idle = [
            key
            for key, slot in self._slots.items()
            if slot.last_used <= deadline and slot.users == 0
        ]
        for key in idle:
            del self._slots[key]
        if idle:
            logger.debug("rooms passivated host=%s count=%s", self.index, len(idle))
        return len(idle)

    async def _reap_idle(self) -> None:
        period = min(max(self.config.idle_seconds / 4, 0.05), 30.0)
        while True:
            await asyncio.sleep(period)
            await self.passivate_idle()

    async def active_rooms(self) -> list[str]:
        return [key for key, slot in self._slots.items() if slot.room is not None]

    async def start_memory_trace(self) -> None:
        tracemalloc.start()

    async def traced_memory(self) -> int:
        """Bytes currently allocated since `start_memory_trace`, after a collection."""
        import gc

        gc.collect()
        return tracemalloc.get_traced_memory()[0]

    async def stop_memory_trace(self) -> None:
        tracemalloc.stop()
