"""Platform-wide moderation: bans (by wallet, and by the device last seen with it) and warnings.

Times are `timestamp without time zone` holding UTC, as the reference stores them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from storage.database import Connection

_BAN_COLUMNS = """
    id, banned_address, banned_by, reason, custom_message, banned_device_id,
    banned_at, expires_at, lifted_at, lifted_by, created_at
"""


def _active(now: str) -> str:
    """The condition for a ban in force at the time given by parameter `now` (e.g. "$2")."""
    return f"lifted_at IS NULL AND (expires_at IS NULL OR expires_at > {now})"


@dataclass(frozen=True, slots=True)
class Ban:
    id: uuid.UUID
    banned_address: str
    banned_by: str
    reason: str
    custom_message: str | None
    banned_device_id: str | None
    banned_at: datetime
    expires_at: datetime | None
    lifted_at: datetime | None
    lifted_by: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Warning:
    id: uuid.UUID
    warned_address: str
    warned_by: str
    reason: str
    warned_at: datetime
    created_at: datetime


async def active_ban(conn: Connection, address: str, now: datetime) -> Ban | None:
    record = await conn.fetchrow(
        f"SELECT {_BAN_COLUMNS} FROM user_bans "  # noqa: S608 - constant fragments
        f"WHERE banned_address = $1 AND {_active('$2')} ORDER BY banned_at DESC LIMIT 1",
        address,
        now,
    )
    return Ban(**dict(record)) if record is not None else None


async def active_bans(conn: Connection, now: datetime) -> list[Ban]:
    records = await conn.fetch(
        f"SELECT {_BAN_COLUMNS} FROM user_bans WHERE {_active('$1')} "  # noqa: S608
        "ORDER BY banned_at DESC",
        now,
    )
    return [Ban(**dict(record)) for record in records]


async def last_device(conn: Connection, address: str) -> str | None:
    """The device id last seen with `address`, if any."""
    device: str | None = await conn.fetchval(
        "SELECT device_id FROM player_connection_info WHERE address = $1", address
    )
    return device or None


async def lock_player(conn: Connection, address: str) -> None:
    """Serialise moderation of one player until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", address)


async def insert_ban(
    conn: Connection,
    *,
    address: str,
    banned_by: str,
    reason: str,
    custom_message: str | None,
    device_id: str | None,
    now: datetime,
    expires_at: datetime | None,
) -> Ban:
    record = await conn.fetchrow(
        f"""
        INSERT INTO user_bans (id, banned_address, banned_by, reason, custom_message,
                               banned_device_id, banned_at, expires_at, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7)
        RETURNING {_BAN_COLUMNS}
        """,  # noqa: S608 - a constant column list
        uuid.uuid4(),
        address,
        banned_by,
        reason,
        custom_message,
        device_id,
        now,
        expires_at,
    )
    assert record is not None
    return Ban(**dict(record))


async def lift_bans(conn: Connection, address: str, lifted_by: str, now: datetime) -> list[Ban]:
    records = await conn.fetch(
        f"UPDATE user_bans SET lifted_at = $2, lifted_by = $3 "  # noqa: S608
        f"WHERE banned_address = $1 AND {_active('$2')} RETURNING {_BAN_COLUMNS}",
        address,
        now,
        lifted_by,
    )
    return [Ban(**dict(record)) for record in records]


async def insert_warning(
    conn: Connection, address: str, warned_by: str, reason: str, now: datetime
) -> Warning:
    record = await conn.fetchrow(
        """
        INSERT INTO user_warnings (id, warned_address, warned_by, reason, warned_at, created_at)
        VALUES ($1, $2, $3, $4, $5, $5)
        RETURNING id, warned_address, warned_by, reason, warned_at, created_at
        """,
        uuid.uuid4(),
        address,
        warned_by,
        reason,
        now,
    )
    assert record is not None
    return Warning(**dict(record))


async def warnings_of(conn: Connection, address: str) -> list[Warning]:
    records = await conn.fetch(
        "SELECT id, warned_address, warned_by, reason, warned_at, created_at "
        "FROM user_warnings WHERE warned_address = $1 ORDER BY warned_at DESC",
        address,
    )
    return [Warning(**dict(record)) for record in records]
