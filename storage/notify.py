"""Room-change announcements over PostgreSQL LISTEN/NOTIFY.

A room announces a change inside the transaction of its write, so listeners hear of committed
changes only, in commit order. The payload is `<version>:<key>`; the version comes first because
keys themselves contain colons (`place:<id>`).
"""

from __future__ import annotations

from storage.database import Connection

ROOM_CHANNEL = "gatekeeper_rooms"


async def announce_room_change(conn: Connection, key: str, version: int) -> None:
    """Queue a notice that room `key` reached `version`; it is sent when the transaction commits."""
    await conn.execute("SELECT pg_notify($1, $2)", ROOM_CHANNEL, f"{version}:{key}")


def parse_room_change(payload: str) -> tuple[str, int]:
    """The (key, version) carried by an announcement; ValueError when it is not one."""
    version, separator, key = payload.partition(":")
    if not separator or not key:
        raise ValueError(f"not a room change announcement: {payload!r}")
    return key, int(version)
