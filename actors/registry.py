"""Room kinds by the prefix of their keys."""

from __future__ import annotations

from actors.place_room import PlaceRoom
from actors.room import Room

_KINDS: dict[str, type[Room]] = {PlaceRoom.kind: PlaceRoom}


def room_class(kind: str) -> type[Room] | None:
    return _KINDS.get(kind)
