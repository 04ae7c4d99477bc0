"""Which place a scene request is about; the place id keys its admins and bans."""

from __future__ import annotations

from api.auth import SceneRequest
from api.services import Services
from config.errors import InvalidRequestError, NotFoundError
from integrations.places import Place


def is_world_name(realm_name: str) -> bool:
    """How the adapters tell a world: its realm name ends with `.eth` (case-sensitive)."""
    return realm_name.endswith(".eth")


async def request_place(services: Services, request: SceneRequest) -> Place:
    """The place of an admin or ban request: the world scene at its parcel, or the land place."""
    if not request.parcel:
        raise InvalidRequestError("Access denied, invalid signed-fetch request, no parcel")
    if request.is_world:
        return await services.places.world_scene_place(request.realm_name or "", request.parcel)
    return await services.places.place_by_parcel(request.parcel)


async def ban_place(
    services: Services,
    *,
    scene_id: str | None,
    realm_name: str | None,
    parcel: str | None,
    is_world: bool,
) -> Place:
    """The place a scene-ban check concerns, by the first rule the request allows."""
    if is_world and parcel:
        return await services.places.world_scene_place(realm_name or "", parcel)
    if is_world and scene_id:
        return await services.places.world_scene_place_by_entity_id(realm_name or "", scene_id)
    if parcel:
        return await services.places.place_by_parcel(parcel)
    if scene_id:
        entity = await services.catalyst.entity_by_id(scene_id)
        base = entity.base_parcel if entity is not None else None
        if base is None:
            raise NotFoundError(f"No scene found with id {scene_id}")
        return await services.places.place_by_parcel(base)
    raise InvalidRequestError("No scene ID, world name or parcel provided")
