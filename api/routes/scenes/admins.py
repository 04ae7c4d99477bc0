"""GET, POST and DELETE /scene-admin: a scene's explicit admins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from api.auth import (
    handler_signed_fetch,
    scene_or_server_signed_fetch,
    scene_request_of,
    scene_signed_fetch,
)
from api.dependencies import RuntimeDep
from api.scenes import admins
from api.scenes.target import TargetBody
from api.validation import is_address, read_json, read_json_or
from config.errors import InvalidRequestError

router = APIRouter()

_TARGET = TargetBody("admin", "name")


@router.get("/scene-admin", dependencies=[Depends(scene_or_server_signed_fetch)])
async def list_scene_admins(
    request: Request, runtime: RuntimeDep, admin: str | None = None
) -> list[dict[str, Any]]:
    scene = scene_request_of(await handler_signed_fetch(request))
    return await admins.list_admins(runtime, scene, admin or None)


@router.post("/scene-admin", status_code=204, dependencies=[Depends(scene_signed_fetch)])
async def add_scene_admin(request: Request, runtime: RuntimeDep) -> Response:
    target = _TARGET.target(await read_json(request))
    scene = scene_request_of(await handler_signed_fetch(request))
    await admins.add_admin(runtime, scene, target.address, target.name)
    return Response(status_code=204)


@router.delete("/scene-admin", status_code=204, dependencies=[Depends(scene_signed_fetch)])
async def remove_scene_admin(request: Request, runtime: RuntimeDep) -> Response:
    body = await read_json_or(request, "Invalid payload")
    admin = body.get("admin") if isinstance(body, dict) else None
    if not admin:
        raise InvalidRequestError("Invalid payload")
    if not is_address(admin):
        raise InvalidRequestError("Invalid admin address")
    scene = scene_request_of(await handler_signed_fetch(request))
    await admins.remove_admin(runtime, scene, str(admin))
    return Response(status_code=204)
