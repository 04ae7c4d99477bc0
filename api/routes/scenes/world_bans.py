"""GET /worlds/{worldName}/parcels/{baseParcel}/users/{address}/ban-status (service token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from api.auth import require_service_token
from api.dependencies import RuntimeDep
from api.scenes.bans import is_banned_from_place
from config.errors import NotFoundError

router = APIRouter()


@router.get(
    "/worlds/{world_name}/parcels/{base_parcel}/users/{address}/ban-status",
    dependencies=[Depends(require_service_token)],
)
async def world_ban_status(
    world_name: str, base_parcel: str, address: str, runtime: RuntimeDep
) -> dict[str, Any]:
    try:
        place = await runtime.services.places.world_scene_place(world_name, base_parcel)
    except NotFoundError:
        # No scene there, so nobody is banned from it.
        return {"isBanned": False}
    return {"isBanned": await is_banned_from_place(runtime, place.id, address)}
