"""Who may manage a place, with the explicit-admin fact read from the place room's snapshot."""

from __future__ import annotations

from actors.keys import place_key
from actors.place_room import PlaceSnapshot
from api.runtime import Runtime
from integrations.places import Place
from integrations.scene_permissions import ScenePermissions, user_scene_permissions


async def place_snapshot(runtime: Runtime, place_id: str) -> PlaceSnapshot:
    """The place's admins and bans, from this front's memory when it can be trusted."""
    snapshot: PlaceSnapshot = await runtime.snapshots.get(place_key(place_id))
    return snapshot


async def permissions_of(runtime: Runtime, place: Place, address: str) -> ScenePermissions:
    address = address.lower()
    snapshot = await place_snapshot(runtime, place.id)
    services = runtime.services
    return await user_scene_permissions(
        place,
        address,
        is_explicit_admin=address in snapshot.admins,
        worlds=services.worlds,
        lambdas=services.lambdas,
        leases=services.leases,
    )
