"""Rows of `player_connection_info`: the latest IP and device id seen per player.

The upsert keeps what it is not told: an absent or empty IP or device id leaves the stored
value, a non-empty one replaces it; `created_at` is set once, `updated_at` on every write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.database import Connection


@dataclass(frozen=True, slots=True)
class PlayerConnection:
    address: str
    ip_address: str | None
    device_id: str | None
    created_at: int
    updated_at: int


_UPSERT = """
INSERT INTO player_connection_info AS stored
    (address, ip_address, device_id, created_at, updated_at)
SELECT seen.address, NULLIF(seen.ip, ''), NULLIF(seen.device, ''), $4, $4
FROM unnest($1::varchar[], $2::varchar[], $3::text[]) AS seen (address, ip, device)
ON CONFLICT (address) DO UPDATE SET
    ip_address = COALESCE(EXCLUDED.ip_address, stored.ip_address),
    device_id = COALESCE(EXCLUDED.device_id, stored.device_id),
    updated_at = EXCLUDED.updated_at
"""


async def upsert_connections(
    conn: Connection,
    seen: Sequence[tuple[str, str | None, str | None]],
    now_ms: int,
) -> None:
    """Record (address, ip, device id) for each player; one address at most once per call."""
    if not seen:
        return
    addresses = [address for address, _, _ in seen]
    ips = [ip for _, ip, _ in seen]
    devices = [device for _, _, device in seen]
    await conn.execute(_UPSERT, addresses, ips, devices, now_ms)


async def upsert_connection(
    conn: Connection, address: str, ip: str | None, device_id: str | None, now_ms: int
) -> None:
    await upsert_connections(conn, [(address, ip, device_id)], now_ms)


async def find_connection(conn: Connection, address: str) -> PlayerConnection | None:
    record = await conn.fetchrow(
        """
        SELECT address, ip_address, device_id, created_at, updated_at
        FROM player_connection_info WHERE address = $1
        """,
        address,
    )
    if record is None:
        return None
    return PlayerConnection(
        address=record["address"],
        ip_address=record["ip_address"],
        device_id=record["device_id"],
        created_at=int(record["created_at"]),
        updated_at=int(record["updated_at"]),
    )
