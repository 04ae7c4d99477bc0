"""Rows of `scene_presenters`: who presents in which LiveKit room of a place."""

from __future__ import annotations

from storage.database import Connection


async def add_presenter(
    conn: Connection, place_id: str, room_name: str, presenter: str, now_ms: int
) -> bool:
    """Store a presenter; False when it already was one in that room."""
    result = await conn.execute(
        "INSERT INTO scene_presenters (place_id, room_name, presenter, added_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        place_id,
        room_name,
        presenter,
        now_ms,
    )
    return bool(result.endswith(" 1"))


async def remove_presenter(conn: Connection, place_id: str, room_name: str, presenter: str) -> bool:
    result = await conn.execute(
        "DELETE FROM scene_presenters WHERE place_id = $1 AND room_name = $2 AND presenter = $3",
        place_id,
        room_name,
        presenter,
    )
    return bool(result.endswith(" 1"))
