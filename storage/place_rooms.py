"""Everything a place room loads on activation, read in one round trip."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.database import Connection
from storage.scene_admins import AdminRow
from storage.scene_bans import BanRow

__all__ = ["AdminRow", "BanRow", "PlaceRows", "load_place"]


@dataclass(frozen=True, slots=True)
class PlaceRows:
    admins: list[AdminRow]
    bans: list[BanRow]
    # (LiveKit room name, presenter), oldest first.
    presenters: list[tuple[str, str]] = field(default_factory=list)


# The three tables in one statement: the union carries a `kind` tag and the columns the tables
# share in shape (id, place, address, actor, time); `active` is null on ban rows, and on
# presenter rows `actor` holds the LiveKit room name.
_LOAD_PLACE = """
SELECT 'admin' AS kind, id, place_id, admin AS address, added_by AS actor,
       created_at AS at, active
FROM scene_admin
WHERE place_id = $1 AND active = true
UNION ALL
SELECT 'ban', id, place_id, banned_address, banned_by, banned_at, NULL
FROM scene_bans
WHERE place_id = $1
UNION ALL
SELECT 'presenter', NULL, place_id, presenter, room_name, added_at, NULL
FROM scene_presenters
WHERE place_id = $1
ORDER BY at DESC, id
"""


async def load_place(conn: Connection, place_id: str) -> PlaceRows:
    """The place's active admins and its bans, each list newest first."""
    admins: list[AdminRow] = []
    bans: list[BanRow] = []
    presenters: list[tuple[str, str]] = []
    for record in await conn.fetch(_LOAD_PLACE, place_id):
        if record["kind"] == "presenter":
            presenters.append((record["actor"], record["address"]))
        elif record["kind"] == "admin":
            admins.append(
                AdminRow(
                    id=record["id"],
                    place_id=record["place_id"],
                    admin=record["address"],
                    added_by=record["actor"],
                    created_at=int(record["at"]),
                    active=bool(record["active"]),
                )
            )
        else:
            bans.append(
                BanRow(
                    id=record["id"],
                    place_id=record["place_id"],
                    banned_address=record["address"],
                    banned_by=record["actor"],
                    banned_at=int(record["at"]),
                )
            )
    return PlaceRows(admins=admins, bans=bans, presenters=presenters[::-1])
