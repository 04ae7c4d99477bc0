"""Voice calls: private calls between two users and community calls with speakers."""

from fastapi import APIRouter

from api.routes.voice import community, private

router = APIRouter()
router.include_router(private.router)
router.include_router(community.router)

__all__ = ["router"]
