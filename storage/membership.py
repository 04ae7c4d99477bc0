"""The room-host membership: how many hosts share the rooms, and the epoch of that decision.

One row only. The epoch only ever rises, so a process holding an old decision cannot overwrite a
newer one.
"""

from __future__ import annotations

from storage.database import Connection


async def load_membership(conn: Connection) -> tuple[int, int] | None:
    """(epoch, host_count), or None before any membership was stored."""
    row = await conn.fetchrow("SELECT epoch, host_count FROM room_host_membership WHERE id = 1")
    if row is None:
        return None
    return int(row["epoch"]), int(row["host_count"])


async def store_membership(conn: Connection, epoch: int, host_count: int) -> bool:
    """Store the membership if `epoch` is newer than the stored one; True when stored."""
    stored = await conn.fetchval(
        """
        INSERT INTO room_host_membership (id, epoch, host_count, updated_at)
        VALUES (1, $1, $2, now())
        ON CONFLICT (id) DO UPDATE
            SET epoch = excluded.epoch, host_count = excluded.host_count, updated_at = now()
            WHERE excluded.epoch > room_host_membership.epoch
        RETURNING epoch
        """,
        epoch,
        host_count,
    )
    return stored is not None
