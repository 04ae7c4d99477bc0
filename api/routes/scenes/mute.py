"""POST /mute: retired; kept so old clients get a clear answer."""

from __future__ import annotations

from fastapi import APIRouter

from config.errors import NotFoundError

router = APIRouter()


@router.post("/mute")
async def mute() -> None:
    raise NotFoundError("Deprecated endpoint")
