"""Rows of `voice_chat_users`: the two members of a private call and their connection state.

Times are epoch milliseconds. The status vocabulary is that of `storage.community_voice`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.community_voice import CONNECTED, DISCONNECTED, INTERRUPTED, NOT_CONNECTED
from storage.database import Connection

__all__ = [
    "CONNECTED",
    "DISCONNECTED",
    "INTERRUPTED",
    "NOT_CONNECTED",
    "PrivateUser",
    "active_rooms_of",
    "delete_room",
    "expired_rooms",
    "insert_users",
    "load_room",
    "set_status",
    "user_in_call",
]


@dataclass(frozen=True, slots=True)
class PrivateUser:
    address: str
    status: str
    joined_at: int
    status_updated_at: int

    def expired(self, now_ms: int, interrupted_ttl: int, initial_ttl: int) -> bool:
        """Whether the row ends its call (the expiry job's rule)."""
        if self.status == DISCONNECTED:
            return True
        if self.status == INTERRUPTED:
            return self.status_updated_at <= now_ms - interrupted_ttl
        if self.status == NOT_CONNECTED:
            return self.joined_at <= now_ms - initial_ttl
        return False


def _user(record: Any) -> PrivateUser:
    return PrivateUser(
        address=record["address"],
        status=record["status"],
        joined_at=int(record["joined_at"]),
        status_updated_at=int(record["status_updated_at"]),
    )


async def load_room(conn: Connection, room_name: str) -> list[PrivateUser]:
    records = await conn.fetch(
        "SELECT address, status, joined_at, status_updated_at FROM voice_chat_users "
        "WHERE room_name = $1 ORDER BY joined_at, address",
        room_name,
    )
    return [_user(record) for record in records]


async def insert_users(
    conn: Connection, room_name: str, addresses: Sequence[str], now_ms: int
) -> list[PrivateUser]:
    """(Re)start the call: every address `not_connected` as of `now_ms`."""
    records = await conn.fetch(
        f"""
        INSERT INTO voice_chat_users (address, room_name, status, joined_at, status_updated_at)
        SELECT a, $2, '{NOT_CONNECTED}', $3, $3 FROM unnest($1::text[]) AS a
        ON CONFLICT (address, room_name) DO UPDATE
        SET status = EXCLUDED.status, joined_at = EXCLUDED.joined_at,
            status_updated_at = EXCLUDED.status_updated_at
        RETURNING address, status, joined_at, status_updated_at
        """,  # noqa: S608
        list(addresses),
        room_name,
        now_ms,
    )
    return [_user(record) for record in records]


async def set_status(
    conn: Connection, room_name: str, address: str, status: str, now_ms: int
) -> None:
    await conn.execute(
        "UPDATE voice_chat_users SET status = $3, status_updated_at = $4 "
        "WHERE room_name = $1 AND address = $2",
        room_name,
        address,
        status,
        now_ms,
    )


async def delete_room(conn: Connection, room_name: str) -> int:
    result = await conn.execute("DELETE FROM voice_chat_users WHERE room_name = $1", room_name)
    return int(result.split()[-1])


_ACTIVE = """
(status = 'connected'
 OR (status = 'connection_interrupted' AND status_updated_at > $2::bigint - $3::bigint)
 OR (status = 'not_connected' AND joined_at > $2::bigint - $4::bigint))
"""


_USER_IN_CALL = (
    "SELECT EXISTS (SELECT 1 FROM voice_chat_users WHERE address = $1 AND "  # noqa: S608
    + _ACTIVE
    + ")"
)


async def user_in_call(
    conn: Connection, address: str, now_ms: int, interrupted_ttl: int, initial_ttl: int
) -> bool:
    found = await conn.fetchval(
        _USER_IN_CALL,
        address,
        now_ms,
        interrupted_ttl,
        initial_ttl,
    )
    return bool(found)


async def active_rooms_of(
    conn: Connection, address: str, now_ms: int, interrupted_ttl: int, initial_ttl: int
) -> list[str]:
    """The calls where the user has an active row."""
    records = await conn.fetch(
        f"SELECT room_name FROM voice_chat_users WHERE address = $1 AND {_ACTIVE}",  # noqa: S608
        address,
        now_ms,
        interrupted_ttl,
        initial_ttl,
    )
    return [record["room_name"] for record in records]


async def expired_rooms(
    conn: Connection, now_ms: int, interrupted_ttl: int, initial_ttl: int, limit: int
) -> list[str]:
    """Calls holding a row that ends them (disconnected, or connecting for too long)."""
    records = await conn.fetch(
        """
        SELECT DISTINCT room_name FROM voice_chat_users
        WHERE status = 'disconnected'
           OR (status = 'connection_interrupted' AND status_updated_at <= $1::bigint - $2::bigint)
           OR (status = 'not_connected' AND joined_at <= $1::bigint - $3::bigint)
        ORDER BY room_name
        LIMIT $4
        """,
        now_ms,
        interrupted_ttl,
        initial_ttl,
        limit,
    )
    return [record["room_name"] for record in records]
