"""Scene and world routes: tokens, participants, admins, bans."""

from fastapi import APIRouter

from api.routes.scenes import adapters, admins, bans, mute, participants, world_bans

router = APIRouter()
for module in (adapters, participants, admins, bans, world_bans, mute):
    router.include_router(module.router)

__all__ = ["router"]
