"""The room-host membership row: stored once, only ever moved forward."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from storage.database import Connection
from storage.membership import load_membership, store_membership


@pytest.fixture
async def conn(pool: asyncpg.Pool) -> AsyncIterator[Connection]:
    """A connection in a rolled-back transaction, after clearing the single row."""
    async with pool.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        await connection.execute("DELETE FROM room_host_membership")
        try:
            yield connection
        finally:
            await transaction.rollback()


async def test_no_membership_before_one_is_stored(conn: Connection) -> None:
    assert await load_membership(conn) is None


async def test_first_membership_is_stored(conn: Connection) -> None:
    assert await store_membership(conn, 1, 4) is True

    assert await load_membership(conn) == (1, 4)


async def test_newer_epoch_replaces_membership(conn: Connection) -> None:
    await store_membership(conn, 1, 4)

    assert await store_membership(conn, 2, 6) is True
    assert await load_membership(conn) == (2, 6)


async def test_membership_never_goes_backwards(conn: Connection) -> None:
    await store_membership(conn, 5, 8)

    assert await store_membership(conn, 4, 2) is False
    assert await store_membership(conn, 5, 3) is False
    assert await load_membership(conn) == (5, 8)


async def test_membership_table_holds_a_single_row(conn: Connection) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute(
            "INSERT INTO room_host_membership (id, epoch, host_count) VALUES (2, 1, 1)"
        )
