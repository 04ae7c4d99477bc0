"""Rows of `scene_bans`: who is banned from a place. Removal deletes the row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from storage.database import Connection


@dataclass(frozen=True, slots=True)
class BanRow:
    id: uuid.UUID
    place_id: str
    banned_address: str
    banned_by: str
    banned_at: int


def ban_from_record(record: Any) -> BanRow:
    return BanRow(
        id=record["id"],
        place_id=record["place_id"],
        banned_address=record["banned_address"],
        banned_by=record["banned_by"],
        banned_at=int(record["banned_at"]),
    )


async def add_ban(
    conn: Connection, place_id: str, banned_address: str, banned_by: str, now_ms: int
) -> BanRow | None:
    """Ban the address from the place; None when it was already banned."""
    record = await conn.fetchrow(
        """
        INSERT INTO scene_bans (id, place_id, banned_address, banned_by, banned_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (place_id, banned_address) DO NOTHING
        RETURNING id, place_id, banned_address, banned_by, banned_at
        """,
        uuid.uuid4(),
        place_id,
        banned_address,
        banned_by,
        now_ms,
    )
    return None if record is None else ban_from_record(record)


async def remove_ban(conn: Connection, place_id: str, banned_address: str) -> bool:
    """Lift the ban; False when the address was not banned."""
    removed = await conn.fetchval(
        "DELETE FROM scene_bans WHERE place_id = $1 AND banned_address = $2 RETURNING id",
        place_id,
        banned_address,
    )
    return removed is not None


async def count_bans(conn: Connection, place_id: str) -> int:
    count = await conn.fetchval("SELECT count(*) FROM scene_bans WHERE place_id = $1", place_id)
    return int(count)


async def list_bans(
    conn: Connection, place_id: str, limit: int | None = None, offset: int = 0
) -> list[BanRow]:
    """The place's bans, newest first; `limit` None means all of them."""
    records = await conn.fetch(
        """
        SELECT id, place_id, banned_address, banned_by, banned_at
        FROM scene_bans
        WHERE place_id = $1
        ORDER BY banned_at DESC, id
        LIMIT $2 OFFSET $3
        """,
        place_id,
        limit,
        offset,
    )
    return [ban_from_record(record) for record in records]
