"""Rows of `scene_admin`: the admins of a place. Removal is soft (active = false)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from storage.database import Connection


@dataclass(frozen=True, slots=True)
class AdminRow:
    id: uuid.UUID
    place_id: str
    admin: str
    added_by: str
    created_at: int
    active: bool


def admin_from_record(record: Any) -> AdminRow:
    return AdminRow(
        id=record["id"],
        place_id=record["place_id"],
        admin=record["admin"],
        added_by=record["added_by"],
        created_at=int(record["created_at"]),
        active=bool(record["active"]),
    )


async def add_admin(
    conn: Connection, place_id: str, admin: str, added_by: str, now_ms: int
) -> AdminRow | None:
    """Make `admin` an active admin of the place; None when they already are one."""
    record = await conn.fetchrow(
        """
        INSERT INTO scene_admin (id, place_id, admin, added_by, created_at, active)
        VALUES ($1, $2, $3, $4, $5, true)
        ON CONFLICT (place_id, admin) WHERE active = true DO NOTHING
        RETURNING id, place_id, admin, added_by, created_at, active
        """,
        uuid.uuid4(),
        place_id,
        admin,
        added_by,
        now_ms,
    )
    return None if record is None else admin_from_record(record)


async def deactivate_admin(conn: Connection, place_id: str, admin: str) -> bool:
    """End `admin`'s active admin row for the place; False when there was none."""
    ended = await conn.fetchval(
        """
        UPDATE scene_admin SET active = false
        WHERE place_id = $1 AND admin = $2 AND active = true
        RETURNING id
        """,
        place_id,
        admin,
    )
    return ended is not None
