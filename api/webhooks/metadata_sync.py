"""The full refresh of a scene or world room's LiveKit metadata: who is banned, who is admin.

Triggered by `room_started` and `participant_joined`. At most one refresh per room each
`COOLDOWN_SECONDS`; a refresh that fails is logged, forgotten, and allowed again at once.
It runs in the background so that the webhook is answered without waiting for Places.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from actors.client import RoomClient
from actors.keys import place_key
from api.services import Services
from integrations.livekit.room_names import SCENE, WORLD, ParsedRoom
from integrations.places import Place
from integrations.scene_permissions import scene_extra_addresses, scene_lease_holders
from storage.scene_admins import AdminRow
from storage.scene_bans import BanRow

logger = logging.getLogger(__name__)

COOLDOWN_SECONDS = 60.0


class RoomMetadataSync:
    def __init__(
        self,
        services: Services,
        rooms: RoomClient,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.services = services
        self.rooms = rooms
        self.clock = clock
        self._cooling: dict[str, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def trigger(self, room_name: str) -> None:
        """Refresh `room_name` in the background unless it was refreshed within the cooldown."""
        now = self.clock()
        until = self._cooling.get(room_name)
        if until is not None and until > now:
            return
        self._cooling[room_name] = now + COOLDOWN_SECONDS
        if len(self._cooling) > 10_000:
            self._cooling = {k: v for k, v in self._cooling.items() if v > now}
        parsed = self.services.names.parse(room_name)
        if parsed.room_type not in (SCENE, WORLD):
            return
        task = asyncio.create_task(self._refresh(room_name, parsed))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the refreshes under way (at shutdown and in tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _refresh(self, room_name: str, parsed: ParsedRoom) -> None:
        try:
            place = await self._place(parsed)
            if place is None:
                return
            metadata = await self._metadata(place, room_name)
            await self.services.livekit.merge_room_metadata(room_name, metadata)
            logger.debug("room metadata refreshed room=%s place=%s", room_name, place.id)
        except Exception as error:  # a refresh never fails the webhook; the next one retries
            self._cooling.pop(room_name, None)
            logger.warning(
                "room metadata refresh failed room=%s error=%s", room_name, type(error).__name__
            )

    async def _place(self, parsed: ParsedRoom) -> Place | None:
        places = self.services.places
        if parsed.room_type == WORLD:
            world = parsed.world_name or ""
            if parsed.scene_id:
                return await places.world_scene_place_by_entity_id(world, parsed.scene_id)
            return await places.world_by_name(world)
        if not parsed.scene_id:
            return None
        entity = await self.services.catalyst.entity_by_id(parsed.scene_id)
        base = None if entity is None else entity.base_parcel
        if base is None:
            logger.info("scene entity without base parcel scene=%s", parsed.scene_id)
            return None
        return await places.place_by_parcel(base)

    async def _metadata(self, place: Place, room_name: str) -> dict[str, list[str]]:
        key = place_key(place.id)
        bans: list[BanRow]
        admins: list[AdminRow]
        presenters: list[str]
        extra: list[str]
        leases: list[str]
        bans, admins, presenters, extra, leases = await asyncio.gather(
            self.rooms.call(key, "list_bans"),
            self.rooms.call(key, "list_admins"),
            self.rooms.call(key, "presenters_of", room_name),
            scene_extra_addresses(
                place, worlds=self.services.worlds, lambdas=self.services.lambdas
            ),
            scene_lease_holders(place, leases=self.services.leases),
        )
        scene_admins = [row.admin for row in admins] + extra + leases
        metadata = {
            "bannedAddresses": [row.banned_address for row in bans],
            "sceneAdmins": list(dict.fromkeys(a.lower() for a in scene_admins)),
        }
        if presenters:
            # A LiveKit room that closed and started again gets its presenters back.
            metadata["presenters"] = presenters
        return metadata
