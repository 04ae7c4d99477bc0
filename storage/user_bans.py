"""Reads of `user_bans`, the platform-wide bans; moderation writes them elsewhere.

A ban is active while it is not lifted and has not expired. Times are `timestamp without time
zone` compared with the session's local time, as the reference does; what leaves this module
is how long each active ban has left, so no caller needs to know the column's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Connection

USER_BANS_CHANNEL = "gatekeeper_user_bans"


@dataclass(frozen=True, slots=True)
class ActiveBan:
    banned_address: str
    banned_device_id: str | None
    # Seconds until the ban expires, as of the read; None for a ban without an end.
    seconds_left: float | None


async def active_bans(conn: Connection) -> list[ActiveBan]:
    """Every active platform ban."""
    records = await conn.fetch(
        """
        SELECT lower(banned_address) AS banned_address,
               NULLIF(banned_device_id, '') AS banned_device_id,
               EXTRACT(EPOCH FROM (expires_at - LOCALTIMESTAMP))::float8 AS seconds_left
        FROM user_bans
        WHERE lifted_at IS NULL AND (expires_at IS NULL OR expires_at > LOCALTIMESTAMP)
        """
    )
    return [
        ActiveBan(
            banned_address=record["banned_address"],
            banned_device_id=record["banned_device_id"],
            seconds_left=record["seconds_left"],
        )
        for record in records
    ]


async def has_active_ban(conn: Connection, address: str, device_id: str | None) -> bool:
    """Whether an active ban names the address, or the device when one is given."""
    found = await conn.fetchval(
        """
        SELECT EXISTS (
            SELECT 1 FROM user_bans
            WHERE lifted_at IS NULL
              AND (expires_at IS NULL OR expires_at > LOCALTIMESTAMP)
              AND (banned_address = $1
                   OR ($2::text IS NOT NULL AND banned_device_id = $2::text))
        )
        """,
        address.lower(),
        device_id or None,
    )
    return bool(found)
