"""What LiveKit's ingress webhooks change in `scene_stream_access`: whether a key streams now."""

from __future__ import annotations

from storage.database import Connection


async def place_of_ingress(conn: Connection, ingress_id: str) -> str | None:
    """The place whose active stream key uses `ingress_id`; None when no active key does."""
    place_id = await conn.fetchval(
        "SELECT place_id FROM scene_stream_access WHERE ingress_id = $1 AND active LIMIT 1",
        ingress_id,
    )
    return None if place_id is None else str(place_id)


async def start_streaming(conn: Connection, place_id: str, ingress_id: str, now_ms: int) -> bool:
    """Mark the key streaming from `now_ms`; False when it already was (or is not active)."""
    result = await conn.execute(
        """
        UPDATE scene_stream_access SET streaming = true, streaming_start_time = $3
        WHERE place_id = $1 AND ingress_id = $2 AND active AND NOT streaming
        """,
        place_id,
        ingress_id,
        now_ms,
    )
    return result != "UPDATE 0"


async def stop_streaming(conn: Connection, place_id: str, ingress_id: str) -> bool:
    """Mark the key no longer streaming; False when nothing changed."""
    result = await conn.execute(
        """
        UPDATE scene_stream_access SET streaming = false
        WHERE place_id = $1 AND ingress_id = $2 AND active AND streaming
        """,
        place_id,
        ingress_id,
    )
    return result != "UPDATE 0"
