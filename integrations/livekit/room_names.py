"""LiveKit room names: how scene, world, community and private rooms are named and read back.

The prefixes are settings (`SCENE_ROOM_PREFIX`, `WORLD_ROOM_PREFIX`, `COMMS_ROOM_PREFIX`,
`PRIVATE_MESSAGES_ROOM_ID`); realm and world names keep their case.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.errors import InvalidRequestError
from config.settings import Settings

COMMUNITY_PREFIX = "voice-chat-community-"
PRIVATE_PREFIX = "voice-chat-private-"
VOICE_PREFIX = "voice-chat"
ISLAND_PREFIX = "island-"
PREVIEW_ROOM_PREFIX = "preview-"
_PREVIEW_REALMS = frozenset({"localpreview", "preview"})

SCENE = "scene"
WORLD = "world"
ISLAND = "island"
COMMUNITY_VOICE_CHAT = "community-voice-chat"
VOICE_CHAT = "voice-chat"
PRIVATE_MESSAGE = "private-message"
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ParsedRoom:
    """What a room name tells; `room_type` is one of the constants above."""

    room_type: str
    realm_name: str | None = None
    scene_id: str | None = None
    world_name: str | None = None
    island_name: str | None = None
    community_id: str | None = None
    voice_chat_id: str | None = None

    @property
    def realm_or_world(self) -> str | None:
        return self.world_name if self.world_name is not None else self.realm_name


def community_room(community_id: str) -> str:
    return f"{COMMUNITY_PREFIX}{community_id}"


def private_room(room_id: str) -> str:
    return f"{PRIVATE_PREFIX}{room_id}"


def is_preview_realm(name: str | None) -> bool:
    """`LocalPreview` / `preview` in any case, whatever ALLOW_LOCAL_PREVIEW says."""
    return name is not None and name.lower() in _PREVIEW_REALMS


@dataclass(frozen=True, slots=True)
class RoomNames:
    scene_prefix: str
    world_prefix: str
    comms_prefix: str
    private_messages_room: str
    local_preview_allowed: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> RoomNames:
        return cls(
            scene_prefix=settings.SCENE_ROOM_PREFIX,
            world_prefix=settings.WORLD_ROOM_PREFIX,
            comms_prefix=settings.COMMS_ROOM_PREFIX,
            private_messages_room=settings.PRIVATE_MESSAGES_ROOM_ID,
            local_preview_allowed=settings.local_preview_allowed,
        )

    def scene_room(self, realm_name: str, scene_id: str) -> str:
        return f"{self.scene_prefix}{realm_name}:{scene_id}"

    def world_scene_room(self, world_name: str, scene_id: str) -> str:
        return f"{self.world_prefix}{world_name}-{scene_id}"

    def world_room(self, world_name: str) -> str:
        return f"{self.comms_prefix}{world_name}"

    def room_for(self, realm_name: str, *, is_world: bool, scene_id: str | None) -> str:
        """The room a scene admin or ban change concerns (world rooms without a scene too)."""
        if is_world:
            if scene_id:
                return self.world_scene_room(realm_name, scene_id)
            return self.world_room(realm_name)
        if not scene_id:
            raise InvalidRequestError("Access denied, invalid signed-fetch request, no sceneId")
        return self.scene_room(realm_name, scene_id)

    def is_local_preview(self, realm_name: str | None) -> bool:
        return self.local_preview_allowed and is_preview_realm(realm_name)

    def parse(self, name: str) -> ParsedRoom:
        """Read a room name back; the first rule that matches wins, as LiveKit rooms are named."""
        if name.startswith(self.scene_prefix):
            realm, _, scene = name[len(self.scene_prefix) :].partition(":")
            return ParsedRoom(SCENE, realm_name=realm, scene_id=scene or None)
        if name.startswith(self.world_prefix):
            rest = name[len(self.world_prefix) :]
            world, dash, scene = rest.rpartition("-")
            if not dash:
                return ParsedRoom(WORLD, world_name=rest)
            return ParsedRoom(WORLD, world_name=world, scene_id=scene)
        if self.comms_prefix and name.startswith(self.comms_prefix):
            return ParsedRoom(WORLD, world_name=name[len(self.comms_prefix) :])
        if name.startswith(ISLAND_PREFIX):
            return ParsedRoom(ISLAND, island_name=name[len(ISLAND_PREFIX) :])
        if name.startswith("voice-chat-community"):
            return ParsedRoom(COMMUNITY_VOICE_CHAT, community_id=_after(name, COMMUNITY_PREFIX))
        if name.startswith(PRIVATE_PREFIX):
            return ParsedRoom(VOICE_CHAT, voice_chat_id=name[len(PRIVATE_PREFIX) :])
        if name.startswith(self.private_messages_room):
            return ParsedRoom(PRIVATE_MESSAGE)
        return ParsedRoom(UNKNOWN)


def _after(name: str, prefix: str) -> str:
    return name[len(prefix) :] if name.startswith(prefix) else ""
