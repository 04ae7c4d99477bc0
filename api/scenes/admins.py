"""Scene admins: the list a scene shows, and adding or removing an explicit admin.

Explicit admins live in the place room; owners, operators, permission holders and land
tenants manage a scene without being on that list and cannot be removed from it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from actors.keys import place_key
from api.auth import SceneRequest
from api.runtime import Runtime
from api.scenes.bans import is_user_banned
from api.scenes.names import display_names, name_owner
from api.scenes.permissions import permissions_of
from api.scenes.places import request_place
from config.errors import InvalidRequestError, UnauthorizedError
from integrations.scene_permissions import scene_extra_addresses, scene_lease_holders
from storage.scene_admins import AdminRow

logger = logging.getLogger(__name__)

SCENE_ADMINS = "sceneAdmins"


def _admin_json(row: AdminRow, name: str, can_be_removed: bool) -> dict[str, Any]:
    # `created_at` is a BIGINT, which the reference's driver hands out as a string.
    return {
        "id": str(row.id),
        "place_id": row.place_id,
        "admin": row.admin,
        "added_by": row.added_by,
        "created_at": str(row.created_at),
        "active": row.active,
        "name": name,
        "canBeRemoved": can_be_removed,
    }


async def list_admins(
    runtime: Runtime, request: SceneRequest, admin_filter: str | None
) -> list[dict[str, Any]]:
    """Explicit admins first, then those who manage the scene by right, each once."""
    services = runtime.services
    place = await request_place(services, request)
    found = await asyncio.gather(
        runtime.rooms.call(place_key(place.id), "list_admins"),
        scene_extra_addresses(place, worlds=services.worlds, lambdas=services.lambdas),
        scene_lease_holders(place, leases=services.leases),
        return_exceptions=True,
    )
    for outcome in found:
        if isinstance(outcome, BaseException):
            raise outcome
    rows: list[AdminRow] = found[0]  # type: ignore[assignment]
    extra: list[str] = found[1]  # type: ignore[assignment]
    tenants: list[str] = found[2]  # type: ignore[assignment]
    if admin_filter:
        rows = [row for row in rows if row.admin == admin_filter.lower()]

    listed = {row.admin for row in rows}
    by_right = [a for a in dict.fromkeys([*extra, *tenants]) if a not in listed]
    names = await display_names(services, [*listed, *by_right])
    extra_set = set(extra)
    return [
        *(_admin_json(row, names.get(row.admin, ""), row.admin not in extra_set) for row in rows),
        *({"admin": a, "name": names.get(a, ""), "canBeRemoved": False} for a in by_right),
    ]


async def add_admin(
    runtime: Runtime, request: SceneRequest, address: str | None, name: str | None
) -> None:
    """Add the wallet at `address`, or else the owner of DCL name `name`."""
    caller = request.identity.lower()
    place = await request_place(runtime.services, request)
    if not (await permissions_of(runtime, place, caller)).can_manage:
        raise UnauthorizedError("You do not have permission to add admins to this place")
    target = (address or await name_owner(runtime.services, name or "")).lower()
    if (await permissions_of(runtime, place, target)).is_protected:
        raise InvalidRequestError("Cannot add this address as an admin")
    banned = await is_user_banned(
        runtime,
        target,
        scene_id=request.scene_id,
        realm_name=request.realm_name,
        parcel=request.parcel,
        is_world=request.is_world,
    )
    if banned:
        raise InvalidRequestError(
            "Cannot add this address as an admin because it is banned from this scene"
        )
    room = runtime.services.names.room_for(
        request.realm_name or "", is_world=request.is_world, scene_id=request.scene_id
    )

    added = await runtime.snapshots.write(place_key(place.id), "add_admin", target, caller)
    logger.info("scene admin added place=%s admin=%s by=%s new=%s", place.id, target, caller, added)

    runtime.background(runtime.services.livekit.append_to_room_list(room, SCENE_ADMINS, target))


async def remove_admin(runtime: Runtime, request: SceneRequest, target: str) -> None:
    caller = request.identity.lower()
    target = target.lower()
    place = await request_place(runtime.services, request)
    if not (await permissions_of(runtime, place, caller)).can_manage:
        raise UnauthorizedError("Only scene admins or the owner can remove admins")
    rights = await permissions_of(runtime, place, target)
    if rights.owner or rights.has_extended_permissions:
        raise InvalidRequestError("Cannot remove the user with privileges from this scene")
    if not rights.admin:
        raise InvalidRequestError("The specified admin does not exist or is already inactive")
    room = runtime.services.names.room_for(
        request.realm_name or "", is_world=request.is_world, scene_id=request.scene_id
    )

    removed = await runtime.snapshots.write(place_key(place.id), "remove_admin", target)
    if not removed:
        raise InvalidRequestError("The specified admin does not exist or is already inactive")
    logger.info("scene admin removed place=%s admin=%s by=%s", place.id, target, caller)

    runtime.background(runtime.services.livekit.remove_from_room_list(room, SCENE_ADMINS, target))
