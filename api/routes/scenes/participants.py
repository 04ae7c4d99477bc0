"""GET /scene-participants: the wallets connected to a scene's or a world's room."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import APIRouter

from api.dependencies import RuntimeDep
from api.runtime import Runtime
from config.errors import GatekeeperError, InvalidRequestError, NotFoundError

logger = logging.getLogger(__name__)

router = APIRouter()

_WALLET = re.compile(r"^0x[a-fA-F0-9]{40}$")
DEFAULT_REALM = "main"


async def _room(runtime: Runtime, pointer: str | None, realm_name: str | None) -> str:
    services = runtime.services
    if pointer and not realm_name:
        realm_name = DEFAULT_REALM
    if not pointer and not realm_name:
        raise InvalidRequestError("Either pointer or realm_name must be provided")
    assert realm_name is not None
    if realm_name.endswith(".eth"):
        if not pointer:
            return services.names.world_room(realm_name)
        entity_id = await services.worlds.scene_id_at(realm_name, pointer)
        if entity_id is None:
            raise NotFoundError(f"No scene found for world {realm_name} at pointer: {pointer}")
        return services.names.world_scene_room(realm_name, entity_id)
    if not pointer:
        raise InvalidRequestError(
            "Either pointer with realm_name or a world realm_name must be provided"
        )
    entities = await services.catalyst.active_entities([pointer])
    if not entities:
        raise NotFoundError(f"No scene found for pointer: {pointer}")
    return services.names.scene_room(realm_name, entities[0].id)


async def _addresses(runtime: Runtime, room: str) -> list[str]:
    livekit = runtime.services.livekit
    try:
        if await livekit.get_room(room) is None:
            return []
        participants = await livekit.list_participants(room)
    except GatekeeperError as error:
        # Who is in a room is informative only; LiveKit failing reads as nobody.
        logger.warning("scene participants unreadable room=%s error=%s", room, error.message)
        return []
    found = (participant.identity.lower()[:42] for participant in participants)
    return [identity for identity in found if _WALLET.match(identity)]


@router.get("/scene-participants")
async def scene_participants(
    runtime: RuntimeDep, pointer: str | None = None, realm_name: str | None = None
) -> dict[str, Any]:
    room = await _room(runtime, pointer or None, realm_name or None)
    return {"ok": True, "data": {"addresses": await _addresses(runtime, room)}}
