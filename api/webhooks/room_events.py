"""The `user-joined-room` / `user-left-room` events LiveKit's participant webhooks produce."""

from __future__ import annotations

from typing import Any

from integrations.livekit.room_names import ParsedRoom


def _location(parsed: ParsedRoom) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if parsed.voice_chat_id is not None:
        fields["voiceChatId"] = parsed.voice_chat_id
    if parsed.community_id is not None:
        fields["communityId"] = parsed.community_id
    if parsed.island_name is not None:
        fields["islandName"] = parsed.island_name
    fields["roomType"] = parsed.room_type
    return fields


def user_joined_room(room: str, address: str, parsed: ParsedRoom, now_ms: int) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "sceneId": parsed.scene_id or "",
        "userAddress": address,
        "parcel": "",
        "realmName": parsed.realm_or_world or "",
        "isWorld": parsed.world_name is not None,
        **_location(parsed),
    }
    return {
        "type": "comms",
        "subType": "user-joined-room",
        "key": f"user-joined-room-{room}-{address}",
        "timestamp": now_ms,
        "metadata": metadata,
    }


def user_left_room(room: str, address: str, parsed: ParsedRoom, now_ms: int) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    if parsed.scene_id is not None:
        metadata["sceneId"] = parsed.scene_id
    metadata.update(
        userAddress=address,
        isWorld=parsed.world_name is not None,
        realmName=parsed.realm_or_world or "",
        **_location(parsed),
    )
    return {
        "type": "comms",
        "subType": "user-left-room",
        "key": f"user-left-room-{room}-{address}",
        "timestamp": now_ms,
        "metadata": metadata,
    }
