"""Room kinds by the prefix of their keys."""

from __future__ import annotations

from actors.community_room import CommunityRoom
from actors.place_room import PlaceRoom
from actors.private_room import PrivateRoom
from actors.room import Room

_KINDS: dict[str, type[Room]] = {
    PlaceRoom.kind: PlaceRoom,
    CommunityRoom.kind: CommunityRoom,
    PrivateRoom.kind: PrivateRoom,
}


def room_class(kind: str) -> type[Room] | None:
    return _KINDS.get(kind)
