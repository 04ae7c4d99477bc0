"""Rooms and participants on the LiveKit server, through its RoomService.

Room and participant metadata are JSON objects other parts of the system also write, so every
change here reads the current value, merges onto it and writes it back, one change at a time
per room (per participant for participant metadata) inside this process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from livekit import api

from config.errors import GatekeeperError, NotFoundError
from config.settings import Settings
from integrations.livekit._client import LiveKitClient

logger = logging.getLogger(__name__)

# Rooms are searched for a banned identity a few at a time, not all at once.
_ROOM_SCAN_CONCURRENCY = 8


class LiveKitRooms(LiveKitClient):
    """RoomService calls, and the read-merge-write helpers built on them."""

    def __init__(
        self,
        host: str,
        api_key: str,
        api_secret: str,
        *,
        timeout_seconds: float = 5.0,
    ) -> None:
        super().__init__(host, api_key, api_secret, timeout_seconds=timeout_seconds)
        self._locks: weakref.WeakValueDictionary[tuple[str, ...], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> LiveKitRooms:
        return cls(
            settings.livekit_host,
            settings.livekit_api_key,
            settings.livekit_api_secret,
            timeout_seconds=settings.OUTSIDE_REQUEST_TIMEOUT_MS / 1000,
        )

    # Plain RoomService calls.

    async def list_rooms(self, names: Sequence[str] | None = None) -> list[api.Room]:
        request = api.ListRoomsRequest(names=list(names or ()))
        response = await self.call("ListRooms", self.livekit.room.list_rooms(request))
        return list(response.rooms)

    async def get_room(self, name: str) -> api.Room | None:
        rooms = await self.list_rooms([name])
        return next((room for room in rooms if room.name == name), None)

    async def create_room(self, name: str) -> api.Room:
        request = api.CreateRoomRequest(name=name)
        return await self.call("CreateRoom", self.livekit.room.create_room(request))

    async def delete_room(self, room: str) -> None:
        """Delete a room; never fails, since a room already gone is what the caller wants."""
        try:
            request = api.DeleteRoomRequest(room=room)
            await self.call("DeleteRoom", self.livekit.room.delete_room(request))
        except GatekeeperError as error:
            logger.warning("livekit room not deleted room=%s error=%s", room, error.message)
        except Exception:
            logger.exception("livekit room not deleted room=%s", room)

    async def update_room_metadata(self, room: str, metadata: str) -> api.Room:
        """Overwrite the room's metadata; prefer `merge_room_metadata`."""
        request = api.UpdateRoomMetadataRequest(room=room, metadata=metadata)
        return await self.call(
            "UpdateRoomMetadata", self.livekit.room.update_room_metadata(request)
        )

    async def list_participants(self, room: str) -> list[api.ParticipantInfo]:
        request = api.ListParticipantsRequest(room=room)
        response = await self.call("ListParticipants", self.livekit.room.list_participants(request))
        return list(response.participants)

    async def remove_participant(self, room: str, identity: str) -> None:
        request = api.RoomParticipantIdentity(room=room, identity=identity)
        await self.call("RemoveParticipant", self.livekit.room.remove_participant(request))

    async def update_participant(
        self,
        room: str,
        identity: str,
        *,
        permission: api.ParticipantPermission | None = None,
        metadata: str | None = None,
    ) -> api.ParticipantInfo:
        """Replace the participant's permission and/or metadata (only what is given)."""
        request = api.UpdateParticipantRequest(room=room, identity=identity)
        if permission is not None:
            request.permission.CopyFrom(permission)
        if metadata is not None:
            request.metadata = metadata
        return await self.call("UpdateParticipant", self.livekit.room.update_participant(request))

    # Read-merge-write helpers.

    async def merge_room_metadata(
        self, room: str, changes: Mapping[str, Any], *, create: bool = False
    ) -> dict[str, Any] | None:
        """Shallow-merge `changes` onto the room's metadata; the merged object, or None.

        A missing room is left alone (None) unless `create` is set.
        """
        async with self._lock("room", room):
            current = await self._read_room_metadata(room, create=create)
            if current is None:
                return None
            merged = {**current, **changes}
            await self.update_room_metadata(room, _dump(merged))
            return merged

    async def append_to_room_list(
        self, room: str, field: str, value: str, *, create: bool = False
    ) -> bool:
        """Add `value` to the list `field` of the room's metadata; whether it was written.

        Nothing is written when the room is missing (unless `create`) or the value is there.
        """
        async with self._lock("room", room):
            current = await self._read_room_metadata(room, create=create)
            if current is None:
                return False
            values = _string_list(current.get(field))
            if value in values:
                return False
            current[field] = [*values, value]
            await self.update_room_metadata(room, _dump(current))
            return True

    async def remove_from_room_list(self, room: str, field: str, value: str) -> bool:
        """Drop `value` from the list `field`; whether anything was written."""
        async with self._lock("room", room):
            current = await self._read_room_metadata(room, create=False)
            if current is None:
                return False
            values = _string_list(current.get(field))
            if value not in values:
                return False
            current[field] = [item for item in values if item != value]
            await self.update_room_metadata(room, _dump(current))
            return True

    async def ensure_room_and_append(self, room: str, field: str, value: str) -> bool:
        """Create the room when absent, then add `value` to the list `field`."""
        return await self.append_to_room_list(room, field, value, create=True)

    async def merge_participant_metadata(
        self, room: str, identity: str, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Shallow-merge `changes` onto a participant's metadata and write it back.

        The participant is found case-insensitively; an unreadable list counts as empty
        metadata. Raises NotFoundError ("participant does not exist") when LiveKit has no
        participant `identity` in the room.
        """
        async with self._lock("participant", room, identity.lower()):
            current: dict[str, Any] = {}
            try:
                participants = await self.list_participants(room)
            except GatekeeperError as error:
                logger.warning(
                    "livekit participants unreadable room=%s error=%s", room, error.message
                )
                participants = []
            wanted = identity.lower()
            for participant in participants:
                if participant.identity.lower() == wanted:
                    current = _load(participant.metadata)
                    break

            merged = {**current, **changes}
            await self.update_participant(room, identity, metadata=_dump(merged))
            return merged

    async def remove_from_all_rooms(self, identity: str) -> list[str]:
        """Remove `identity` from every room it is in; the rooms it was removed from.

        Matching is case-insensitive and removal uses each room's own spelling of the
        identity. Failures are logged, never raised.
        """
        try:
            rooms = await self.list_rooms()
        except GatekeeperError as error:
            logger.warning("livekit rooms unreadable identity=%s error=%s", identity, error.message)
            return []

        gate = asyncio.Semaphore(_ROOM_SCAN_CONCURRENCY)

        async def remove_from(room: str) -> str | None:
            async with gate:
                return await self._remove_matching(room, identity.lower())

        removed = await asyncio.gather(*(remove_from(room.name) for room in rooms))
        return [room for room in removed if room is not None]

    async def _remove_matching(self, room: str, wanted: str) -> str | None:
        try:
            participants = await self.list_participants(room)
            for participant in participants:
                if participant.identity.lower() == wanted:
                    await self.remove_participant(room, participant.identity)
                    logger.info(
                        "livekit participant removed room=%s identity=%s",
                        room,
                        participant.identity,
                    )
                    return room
        except NotFoundError:
            return None
        except GatekeeperError as error:
            logger.warning(
                "livekit participant not removed room=%s identity=%s error=%s",
                room,
                wanted,
                error.message,
            )
        return None

    async def _read_room_metadata(self, room: str, *, create: bool) -> dict[str, Any] | None:
        found = await self.get_room(room)
        if found is None:
            if not create:
                logger.debug("livekit room missing, metadata left alone room=%s", room)
                return None
            found = await self.create_room(room)
        return _load(found.metadata)

    def _lock(self, *key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock


def _load(metadata: str) -> dict[str, Any]:
    """Metadata as an object; anything else (empty, not JSON, not an object) is `{}`."""
    if not metadata:
        return {}
    try:
        value = json.loads(metadata)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _dump(metadata: Mapping[str, Any]) -> str:
    return json.dumps(metadata, separators=(",", ":"), ensure_ascii=False)


def _string_list(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
