"""Private calls between two users: start, end, and whether a user is in one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from actors.keys import private_key
from api.auth import require_service_token
from api.dependencies import RuntimeDep
from api.routes.voice.database import reading
from api.validation import (
    ADDRESS,
    ADDRESS_PATTERN,
    NOT_BLANK_PATTERN,
    read_json_or,
    valid_body,
    validator,
)
from api.webhooks.front import voice_front
from config.errors import InvalidRequestError
from integrations.livekit.room_names import private_room
from integrations.livekit.tokens import connection_url, mint_token
from storage import private_voice

router = APIRouter(dependencies=[Depends(require_service_token)])

_CALL_BODY = validator(
    {
        "type": "object",
        "properties": {
            "user_addresses": {
                "type": "array",
                "minItems": 2,
                "maxItems": 2,
                "items": {"type": "string", "pattern": ADDRESS_PATTERN},
            },
            "room_id": {"type": "string", "pattern": NOT_BLANK_PATTERN},
        },
        "required": ["user_addresses", "room_id"],
    }
)


@router.get("/users/{address}/voice-chat-status")
async def voice_chat_status(address: str, request: Request, runtime: RuntimeDep) -> Any:
    front = voice_front(request)
    times = front.times
    async with reading(runtime.pool) as connection:
        found = await private_voice.user_in_call(
            connection, address.lower(), front.clock(), times.interrupted_ttl, times.initial_ttl
        )
    return {"is_user_in_voice_chat": found}


@router.post("/private-voice-chat")
async def create_private_voice_chat(request: Request, runtime: RuntimeDep) -> Any:
    body = await valid_body(request, _CALL_BODY)
    room_id: str = body["room_id"]
    members = [address.lower() for address in body["user_addresses"]]
    if members[0] == members[1]:
        raise InvalidRequestError("A private voice chat needs two different user_addresses")

    front = voice_front(request)
    await runtime.rooms.call(private_key(room_id), "create", members, front.clock(), front.times)

    settings = runtime.settings
    room = private_room(room_id)
    answer: dict[str, dict[str, str]] = {}
    for member in members:
        token = mint_token(
            settings.livekit_api_key,
            settings.livekit_api_secret,
            identity=member,
            room=room,
            can_publish=True,
            can_subscribe=True,
            can_update_own_metadata=False,
        )
        answer[member] = {"connection_url": connection_url(settings.livekit_host, token)}
    return answer


@router.delete("/private-voice-chat/{room_id}")
async def end_private_voice_chat(room_id: str, request: Request, runtime: RuntimeDep) -> Any:
    body = await read_json_or(request, "Invalid request body")
    address = body.get("address") if isinstance(body, dict) else None
    if not address:
        raise InvalidRequestError("Invalid request body, missing address")
    if not isinstance(address, str) or not ADDRESS.match(address.lower()):
        raise InvalidRequestError("Invalid request body, invalid address")

    members = await runtime.rooms.call(private_key(room_id), "end", address.lower())
    await runtime.services.livekit.delete_room(private_room(room_id))
    return {"users_in_voice_chat": members}
