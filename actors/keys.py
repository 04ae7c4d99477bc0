"""Room keys: the one name of a room across the cluster, `<kind>:<id>`."""

from __future__ import annotations

PLACE = "place"
COMMUNITY = "community"
PRIVATE = "private"


def room_key(kind: str, room_id: str) -> str:
    return f"{kind}:{room_id}"


def place_key(place_id: str) -> str:
    return room_key(PLACE, place_id)


def community_key(community_id: str) -> str:
    return room_key(COMMUNITY, community_id)


def private_key(room_id: str) -> str:
    return room_key(PRIVATE, room_id)


def split_key(key: str) -> tuple[str, str]:
    """The kind and the id of a key; raises ValueError for a key without a kind."""
    kind, sep, room_id = key.partition(":")
    if not sep or not kind:
        raise ValueError(f"not a room key: {key!r}")
    return kind, room_id
