"""What every room kind has in common: activation, messages and the write-through commit.

A room subclass loads its rows in `activate`, answers reads from memory, and changes state only
through `commit`: the database transaction runs (and announces the change to the fronts) before
the caller touches memory, so a failed commit leaves the room exactly as it was.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import asyncpg

from storage.database import Connection
from storage.notify import announce_room_change

T = TypeVar("T")
MessageHandler = Callable[..., Awaitable[Any]]


class CommitOutcomeUnknown(Exception):
    """The connection failed during COMMIT; the change may or may not be stored."""


@dataclass(frozen=True)
class RoomContext:
    """What a host lends its rooms."""

    pool: asyncpg.Pool


def message(handler: MessageHandler) -> MessageHandler:
    """Mark a coroutine method as a message a front may send to the room: a read from memory."""
    handler.__room_message__ = True  # type: ignore[attr-defined]
    return handler


def write(handler: MessageHandler) -> MessageHandler:
    """Mark a message that may change the room (and so may wait on the database)."""
    handler.__room_writes__ = True  # type: ignore[attr-defined]
    return message(handler)


class Room:
    """A virtual actor: one object owns one key's state; its host runs one message at a time."""

    kind: ClassVar[str]
    __slots__ = ("context", "key", "version")

    def __init__(self, key: str, context: RoomContext) -> None:
        self.key = key
        self.context = context
        # Monotonic across activations on one clock, so fronts can tell newer from older.
        self.version = time.time_ns()

    @classmethod
    async def activate(cls, key: str, context: RoomContext) -> Room:
        """Load the room's rows (one round trip) and build it."""
        raise NotImplementedError

    def handler(self, name: str) -> MessageHandler:
        handler = getattr(self, name, None)
        if handler is None or not getattr(handler, "__room_message__", False):
            raise LookupError(f"{type(self).__name__} has no message {name!r}")
        return handler  # type: ignore[no-any-return]

    @classmethod
    def writes(cls, name: str) -> bool:
        """Whether message `name` may wait; reads of an active room never do."""
        return getattr(getattr(cls, name, None), "__room_writes__", False) is True

    async def commit(self, work: Callable[[Connection], Awaitable[T]]) -> T:
        """Run `work` in one transaction that also tells the fronts this room changed.

        Raises `CommitOutcomeUnknown` when the COMMIT itself failed: the database may or may
        not hold the change, so the host drops the room rather than trust its memory.
        """
        version = max(self.version + 1, time.time_ns())
        async with self.context.pool.acquire() as connection:
            transaction = connection.transaction()
            await transaction.start()
            try:
                result = await work(connection)
                await announce_room_change(connection, self.key, version)
            except BaseException:
                await transaction.rollback()
                raise
            try:
                await transaction.commit()
            except Exception as error:
                raise CommitOutcomeUnknown(self.key) from error
        self.version = version
        return result

    @message
    async def snapshot(self) -> Any:
        """What token checks need, as an immutable value; None for kinds that have none."""
        return None
