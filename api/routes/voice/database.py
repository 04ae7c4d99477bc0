"""Reads across many calls go straight to PostgreSQL; a failing database is a 503."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from config.errors import ServiceUnavailableError
from storage.database import Connection

logger = logging.getLogger(__name__)

_DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


@asynccontextmanager
async def reading(pool: asyncpg.Pool) -> AsyncIterator[Connection]:
    try:
        async with pool.acquire() as connection:
            yield connection
    except _DATABASE_ERRORS as error:
        logger.warning("voice read failed error=%s", type(error).__name__)
        raise ServiceUnavailableError("Database unavailable") from None
