"""Liveness, readiness, and the reference's `/ping` and `/status`."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from api.dependencies import RuntimeDep
from config.errors import GatekeeperError
from storage.database import database_answers

router = APIRouter()


@router.get("/ping")
async def ping(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.url.path)


@router.get("/status")
async def status(runtime: RuntimeDep) -> dict[str, Any]:
    settings = runtime.settings
    return {
        "version": settings.CURRENT_VERSION,
        "currentTime": time.time_ns() // 1_000_000,
        "commitHash": settings.COMMIT_HASH,
    }


@router.get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/health/ready")
async def ready(runtime: RuntimeDep) -> JSONResponse:
    database = await database_answers(runtime.pool)
    try:
        hosts = len(await runtime.rooms.ping_all(within=3.0))
    except GatekeeperError:
        hosts = 0
    ok = database and hosts == runtime.rooms.membership.host_count
    body = {
        "status": "ok" if ok else "unavailable",
        "database": "ok" if database else "unavailable",
        "roomHosts": hosts,
        "roomSnapshots": "listening" if runtime.snapshots.listening else "not listening",
    }
    return JSONResponse(body, status_code=200 if ok else 503)
