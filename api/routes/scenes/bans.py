"""GET /scene-bans, GET /scene-bans/addresses, POST and DELETE /scene-bans."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from actors.keys import place_key
from api.auth import SceneRequest, handler_signed_fetch, scene_request_of, scene_signed_fetch
from api.dependencies import RuntimeDep
from api.runtime import Runtime
from api.scenes import bans
from api.scenes.names import display_names, name_owner
from api.scenes.paging import Page, page_of
from api.scenes.permissions import permissions_of
from api.scenes.places import request_place
from api.scenes.target import TargetBody
from api.validation import is_address, read_json, read_json_or
from config.errors import InvalidRequestError, UnauthorizedError
from storage.scene_bans import BanRow

router = APIRouter(dependencies=[Depends(scene_signed_fetch)])

INVALID_BODY = "Invalid request body"
_TARGET = TargetBody("banned_address", "banned_name")


async def _ban_page(runtime: Runtime, scene: SceneRequest, page: Page) -> tuple[list[BanRow], int]:
    place = await request_place(runtime.services, scene)
    if not (await permissions_of(runtime, place, scene.identity)).can_manage:
        raise UnauthorizedError("User does not have permission to list scene bans")
    rows, total = await runtime.rooms.call(place_key(place.id), "ban_page", page.limit, page.offset)
    return rows, total


def _listing(results: list[Any], total: int, page: Page) -> dict[str, Any]:
    return {
        "results": results,
        "total": total,
        "page": page.page,
        "pages": page.pages(total),
        "limit": page.limit,
    }


@router.get("/scene-bans")
async def list_scene_bans(
    request: Request,
    runtime: RuntimeDep,
    limit: str | None = None,
    offset: str | None = None,
) -> dict[str, Any]:
    scene = scene_request_of(await handler_signed_fetch(request))
    page = page_of(limit, offset)
    rows, total = await _ban_page(runtime, scene, page)
    names = await display_names(runtime.services, [row.banned_address for row in rows])
    results = [
        {"bannedAddress": row.banned_address, "name": names.get(row.banned_address, "")}
        for row in rows
    ]
    return _listing(results, total, page)


@router.get("/scene-bans/addresses")
async def list_scene_ban_addresses(
    request: Request,
    runtime: RuntimeDep,
    limit: str | None = None,
    offset: str | None = None,
) -> dict[str, Any]:
    scene = scene_request_of(await handler_signed_fetch(request))
    page = page_of(limit, offset)
    rows, total = await _ban_page(runtime, scene, page)
    return _listing([row.banned_address for row in rows], total, page)


@router.post("/scene-bans", status_code=204)
async def ban_from_scene(request: Request, runtime: RuntimeDep) -> Response:
    target = _TARGET.target(await read_json(request))
    scene = scene_request_of(await handler_signed_fetch(request))
    address = target.address or await name_owner(runtime.services, target.name or "")
    await bans.ban(runtime, scene, address)
    return Response(status_code=204)


@router.delete("/scene-bans", status_code=204)
async def unban_from_scene(request: Request, runtime: RuntimeDep) -> Response:
    body = await read_json_or(request, INVALID_BODY)
    body = body if isinstance(body, dict) else {}
    address = body.get("banned_address")
    name = body.get("banned_name")
    if not address and not name:
        raise InvalidRequestError(f"{INVALID_BODY}, missing banned_address or banned_name")
    if address and not is_address(address):
        raise InvalidRequestError(f"{INVALID_BODY}, invalid banned_address")
    if not address and not isinstance(name, str):
        raise InvalidRequestError(f"{INVALID_BODY}, invalid banned_name")
    scene = scene_request_of(await handler_signed_fetch(request))
    target = str(address) if address else await name_owner(runtime.services, str(name))
    await bans.unban(runtime, scene, target)
    return Response(status_code=204)
