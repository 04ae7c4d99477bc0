"""Scene bans: the check every token request makes, and banning or unbanning a wallet.

Bans are per place. The check reads the place room's snapshot (memory, no hop for an active
room). A ban or unban goes through the room, which commits before answering; the event, the
kick and the room-metadata update follow in the background and never fail the request.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from actors.keys import place_key
from api.auth import SceneRequest
from api.runtime import Runtime
from api.scenes.permissions import permissions_of, place_snapshot
from api.scenes.places import ban_place, request_place
from config.errors import InvalidRequestError, UnauthorizedError
from integrations.places import Place

logger = logging.getLogger(__name__)

BANNED_ADDRESSES = "bannedAddresses"


async def is_banned_from_place(runtime: Runtime, place_id: str, address: str) -> bool:
    return address.lower() in (await place_snapshot(runtime, place_id)).banned


async def is_user_banned(
    runtime: Runtime,
    address: str,
    *,
    scene_id: str | None,
    realm_name: str | None,
    parcel: str | None,
    is_world: bool,
) -> bool:
    place = await ban_place(
        runtime.services,
        scene_id=scene_id,
        realm_name=realm_name,
        parcel=parcel,
        is_world=is_world,
    )
    return await is_banned_from_place(runtime, place.id, address)


def ban_event(sub_type: str, place: Place, address: str) -> dict[str, Any]:
    now = time.time_ns() // 1_000_000
    return {
        "type": "comms",
        "subType": sub_type,
        "key": f"{place.id}-{address}-{now}",
        "timestamp": now,
        "metadata": {
            "userAddress": address,
            "placeTitle": place.title or f"Place at {place.base_position}",
        },
    }


def _room_of(runtime: Runtime, request: SceneRequest) -> str:
    return runtime.services.names.room_for(
        request.realm_name or "", is_world=request.is_world, scene_id=request.scene_id
    )


async def ban(runtime: Runtime, request: SceneRequest, target: str) -> None:
    """Ban `target` from the request's place, as the request's signer."""
    caller = request.identity.lower()
    target = target.lower()
    place = await request_place(runtime.services, request)
    if not (await permissions_of(runtime, place, caller)).can_manage:
        raise UnauthorizedError("You do not have permission to ban users from this place")
    if (await permissions_of(runtime, place, target)).is_protected:
        raise InvalidRequestError("Cannot ban this address")
    room = _room_of(runtime, request)

    added = await runtime.snapshots.write(place_key(place.id), "add_ban", target, caller)
    logger.info("scene ban place=%s address=%s by=%s new=%s", place.id, target, caller, added)

    runtime.services.events.publish_later(ban_event("user-banned-from-scene", place, target))
    livekit = runtime.services.livekit
    runtime.background(livekit.remove_participant(room, target))
    runtime.background(livekit.append_to_room_list(room, BANNED_ADDRESSES, target))


async def unban(runtime: Runtime, request: SceneRequest, target: str) -> None:
    """Lift `target`'s ban from the request's place; lifting a missing ban is no error."""
    caller = request.identity.lower()
    target = target.lower()
    place = await request_place(runtime.services, request)
    if not (await permissions_of(runtime, place, caller)).can_manage:
        raise UnauthorizedError("You do not have permission to unban users from this place")
    room = _room_of(runtime, request)

    removed = await runtime.snapshots.write(place_key(place.id), "remove_ban", target)
    logger.info("scene unban place=%s address=%s by=%s found=%s", place.id, target, caller, removed)

    runtime.services.events.publish_later(ban_event("user-unbanned-from-scene", place, target))
    runtime.background(
        runtime.services.livekit.remove_from_room_list(room, BANNED_ADDRESSES, target)
    )
