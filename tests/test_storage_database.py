"""The shared pool: it answers while open and says so plainly when it cannot."""

from __future__ import annotations

import socket

import asyncpg
import pytest

from storage.database import create_pool, database_answers


async def test_open_pool_answers(database_url: str) -> None:
    pool = await create_pool(database_url, size=2)
    try:
        assert await database_answers(pool) is True
    finally:
        await pool.close()


async def test_closed_pool_does_not_answer(database_url: str) -> None:
    pool = await create_pool(database_url, size=1)
    await pool.close()

    assert await database_answers(pool) is False


async def test_pool_to_a_dead_address_fails_instead_of_waiting() -> None:
    # A port that was just free and is now closed again: nothing listens there.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(ConnectionRefusedError):
        await create_pool(f"postgresql://postgres@127.0.0.1:{port}/postgres", size=1)


async def test_pool_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        await create_pool("postgresql://postgres@127.0.0.1/postgres", size=0)


async def test_pool_serves_queries(database_url: str) -> None:
    pool = await create_pool(database_url, size=2)
    try:
        async with pool.acquire() as conn:
            assert isinstance(conn, asyncpg.pool.PoolConnectionProxy)
            assert await conn.fetchval("SELECT $1::int + 1", 41) == 42
    finally:
        await pool.close()
