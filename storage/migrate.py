"""Schema migrations: plain SQL files applied in order at start-up.

Files in `storage/migrations/` are named `NNNN_name.sql` and applied in name order, each in its
own transaction, and recorded in `gatekeeper_migrations`. One session-level advisory lock, held
on a connection of its own, lets any number of processes start at once: the first applies what
is missing, the others wait and then find nothing left to do.

The migrations adopt a database the reference service has been running on: they create only
what is missing and keep every row.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import asyncpg

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# An arbitrary constant shared by every process of the service: "gatekeep" in ASCII.
MIGRATION_LOCK_ID = 0x6761_7465_6B65_6570
CONNECT_TIMEOUT_S = 10.0
LOCK_TIMEOUT_S = 120.0
MIGRATION_TIMEOUT_S = 600.0

_NAME = re.compile(r"^\d{4}_[a-z0-9_]+\.sql$")

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS gatekeeper_migrations (
    name text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[Path]:
    """The migration files in the order they apply; a misnamed `.sql` file is an error."""
    files = sorted(directory.glob("*.sql"))
    misnamed = [path.name for path in files if not _NAME.match(path.name)]
    if misnamed:
        raise ValueError(f"migration files must be named NNNN_name.sql: {misnamed}")
    return files


async def migrate(dsn: str) -> list[str]:
    """Apply the migrations the database lacks; returns the names applied by this call."""
    conn = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT_S)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID, timeout=LOCK_TIMEOUT_S)
        try:
            return await _apply_missing(conn)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
    finally:
        await conn.close()


async def _apply_missing(conn: asyncpg.Connection) -> list[str]:
    await conn.execute(_CREATE_LEDGER)
    done = {record["name"] for record in await conn.fetch("SELECT name FROM gatekeeper_migrations")}

    applied: list[str] = []
    for path in migration_files():
        if path.name in done:
            continue
        async with conn.transaction():
            await conn.execute(path.read_text(encoding="utf-8"), timeout=MIGRATION_TIMEOUT_S)
            await conn.execute("INSERT INTO gatekeeper_migrations (name) VALUES ($1)", path.name)
        logger.info("migration applied name=%s", path.name)
        applied.append(path.name)
    return applied
