"""What the voice and webhook tests share: callers, addresses, signed webhooks, row readers."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from livekit import api

from tests.conftest import LIVEKIT_KEY, LIVEKIT_SECRET, SERVICE_TOKEN
from tests.fakes.livekit import signed_webhook, webhook_event
from tests.fakes.sns import SnsQueue

AUTH = {"Authorization": f"Bearer {SERVICE_TOKEN}"}

CLIENT_INITIATED = 1
DUPLICATE_IDENTITY = 2
PARTICIPANT_REMOVED = 4
ROOM_DELETED = 5
MIGRATION = 8


def new_address() -> str:
    return "0x" + secrets.token_hex(20)


def new_id() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def participant(identity: str, sid: str | None = None, reason: int = 0) -> api.ParticipantInfo:
    return api.ParticipantInfo(
        identity=identity,
        sid=sid if sid is not None else "PA_" + secrets.token_hex(6),
        disconnect_reason=reason,  # type: ignore[arg-type]
    )


def joined(
    room: str, identity: str, sid: str | None = None, created_at: int | None = None
) -> api.WebhookEvent:
    event = webhook_event(
        "participant_joined", room=api.Room(name=room), participant=participant(identity, sid)
    )
    if created_at is not None:
        event.created_at = created_at
    return event


def left(
    room: str,
    identity: str,
    reason: int,
    sid: str | None = None,
    created_at: int | None = None,
) -> api.WebhookEvent:
    event = webhook_event(
        "participant_left",
        room=api.Room(name=room),
        participant=participant(identity, sid, reason),
    )
    if created_at is not None:
        event.created_at = created_at
    return event


async def post_webhook(http: httpx.AsyncClient, event: api.WebhookEvent) -> httpx.Response:
    body, token = signed_webhook(event, LIVEKIT_KEY, LIVEKIT_SECRET)
    return await http.post(
        "/livekit-webhook",
        content=body.encode(),
        headers={"Authorization": token, "Content-Type": "application/webhook+json"},
    )


async def private_rows(pool: asyncpg.Pool, room: str) -> dict[str, dict[str, Any]]:
    records = await pool.fetch(
        "SELECT address, status, joined_at, status_updated_at FROM voice_chat_users "
        "WHERE room_name = $1",
        room,
    )
    return {r["address"]: dict(r) for r in records}


async def community_rows(pool: asyncpg.Pool, room: str) -> dict[str, dict[str, Any]]:
    records = await pool.fetch(
        "SELECT address, is_moderator, status, joined_at, status_updated_at, sid "
        "FROM community_voice_chat_users WHERE room_name = $1",
        room,
    )
    return {r["address"]: dict(r) for r in records}


async def join_community(
    http: httpx.AsyncClient,
    community_id: str,
    address: str,
    role: str = "member",
    action: str = "join",
) -> httpx.Response:
    return await http.post(
        "/community-voice-chat",
        headers=AUTH,
        json={
            "community_id": community_id,
            "user_address": address,
            "action": action,
            "user_role": role,
        },
    )


async def published(app: FastAPI, sns: SnsQueue, sub_type: str) -> list[dict[str, Any]]:
    """Events of `sub_type` that reached the topic, once background publishing is done."""
    await asyncio.sleep(0)  # let coalesced events leave
    await app.state.runtime.services.events.drain()
    return [event for event in sns.drain() if event.get("subType") == sub_type]
