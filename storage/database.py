"""The connection pool every part of the service shares, and the readiness probe on it."""

from __future__ import annotations

import asyncio
import logging
from typing import TypeAlias

import asyncpg
import asyncpg.pool

logger = logging.getLogger(__name__)

# What the query functions accept: a plain connection or one taken from the pool.
Connection: TypeAlias = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy

# A dead or unreachable database must surface as an error within these bounds, never a hang.
CONNECT_TIMEOUT_S = 10.0
COMMAND_TIMEOUT_S = 30.0
READINESS_TIMEOUT_S = 2.0


async def create_pool(dsn: str, size: int = 10) -> asyncpg.Pool:
    """Open a pool of at most `size` connections; fails if the database does not answer."""
    if size < 1:
        raise ValueError("pool size must be at least 1")
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn,
        min_size=min(2, size),
        max_size=size,
        command_timeout=COMMAND_TIMEOUT_S,
        timeout=CONNECT_TIMEOUT_S,
    )
    logger.info("database pool open size=%s", size)
    return pool


async def database_answers(pool: asyncpg.Pool) -> bool:
    """True when a connection can be taken and answers `SELECT 1` in time."""
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_S):
            answer = await pool.fetchval("SELECT 1")
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        logger.warning("database does not answer error=%s", type(error).__name__)
        return False
    return bool(answer == 1)
