"""Community calls: tokens, status, speakers and the queue of requests to speak, moderation.

Speech changes (requests to speak, speakers, mutes, kicks) go to the call's room first and to
LiveKit after; when LiveKit refuses, the room gets its previous state back.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from livekit import api

from actors.community_room import CallStatus, Speech
from actors.keys import community_key
from actors.voice_events import community_streaming_ended
from api.auth import require_service_token
from api.dependencies import RuntimeDep
from api.routes.voice.database import reading
from api.runtime import Runtime
from api.validation import ADDRESS_PATTERN, NOT_BLANK_PATTERN, read_json_or, valid_body, validator
from api.webhooks.front import VoiceFront, voice_front
from config.errors import GatekeeperError, InvalidRequestError, NotFoundError
from integrations.livekit.room_names import COMMUNITY_PREFIX, community_room
from integrations.livekit.tokens import connection_url, mint_token
from storage import community_voice

logger = logging.getLogger(__name__)

router = APIRouter(dependencies=[Depends(require_service_token)])

ACTIONS = ("create", "join", "request-to-speak", "promote-speaker", "demote-speaker", "kick-player")
ROLES = ("owner", "moderator", "member", "none")
MODERATING_ROLES = ("owner", "moderator")

# Properties are listed in the order their failures are reported.
_TOKEN_BODY = validator(
    {
        "type": "object",
        "properties": {
            "community_id": {"type": "string", "minLength": 1},
            "user_address": {"type": "string", "pattern": ADDRESS_PATTERN},
            "action": {"enum": list(ACTIONS)},
            "user_role": {"enum": list(ROLES)},
            "profile_data": {
                "type": ["object", "null"],
                "properties": {
                    "name": {"type": ["string", "null"]},
                    "has_claimed_name": {"type": ["boolean", "null"]},
                    "profile_picture_url": {"type": ["string", "null"]},
                },
            },
        },
        "required": ["community_id", "user_address", "action"],
    }
)
_STATUS_BODY = validator(
    {
        "type": "object",
        "properties": {
            "community_ids": {
                "type": "array",
                "items": {"type": "string", "pattern": NOT_BLANK_PATTERN},
            }
        },
        "required": ["community_ids"],
    }
)
_MUTE_BODY = validator(
    {
        "type": "object",
        "properties": {"muted": {"type": "boolean"}},
        "required": ["muted"],
    }
)


@router.get("/users/{user_address}/community-voice-chat-status")
async def community_voice_chat_status(
    user_address: str, request: Request, runtime: RuntimeDep
) -> Any:
    front = voice_front(request)
    address = user_address.lower()
    async with reading(runtime.pool) as connection:
        found = await community_voice.user_in_any_call(
            connection,
            address,
            front.clock(),
            front.times.interrupted_ttl,
            front.times.initial_ttl,
        )
    return {"userAddress": address, "isInCommunityVoiceChat": found}


@router.post("/community-voice-chat")
@router.post("/community-voice-chat/", include_in_schema=False)
async def community_voice_chat_token(request: Request, runtime: RuntimeDep) -> Any:
    body = await valid_body(request, _TOKEN_BODY)
    community_id: str = body["community_id"]
    address: str = body["user_address"].lower()
    action: str = body["action"]
    role: str = body.get("user_role", "none")
    profile: dict[str, Any] | None = body.get("profile_data") or None

    is_speaker = action == "create" and role in MODERATING_ROLES
    metadata: dict[str, Any] = {"role": role, "isSpeaker": is_speaker, "muted": False}
    if profile:
        for source, target in (
            ("name", "name"),
            ("has_claimed_name", "hasClaimedName"),
            ("profile_picture_url", "profilePictureUrl"),
        ):
            if source in profile:
                metadata[target] = profile[source]

    front = voice_front(request)
    key = community_key(community_id)
    await runtime.rooms.call(
        key, "join", address, role in MODERATING_ROLES, is_speaker, front.clock()
    )
    settings = runtime.settings
    token = mint_token(
        settings.livekit_api_key,
        settings.livekit_api_secret,
        identity=address,
        room=community_room(community_id),
        can_publish=is_speaker,
        can_subscribe=True,
        can_update_own_metadata=False,
        metadata=metadata,
    )
    return {"connection_url": connection_url(settings.livekit_host, token)}


@router.get("/community-voice-chat/active")
async def active_community_voice_chats(request: Request, runtime: RuntimeDep) -> Any:
    front = voice_front(request)
    async with reading(runtime.pool) as connection:
        counts = await community_voice.active_counts(
            connection, None, front.clock(), front.times.interrupted_ttl, front.times.initial_ttl
        )
    data = [
        {
            "communityId": count.room_name[len(COMMUNITY_PREFIX) :],
            "participantCount": count.participants,
            "moderatorCount": count.moderators,
        }
        for count in counts
        if count.moderators > 0
    ]
    return {"data": data, "total": len(data)}


@router.post("/community-voice-chat/status")
async def bulk_community_voice_chat_status(request: Request, runtime: RuntimeDep) -> Any:
    ids: list[str] = (await valid_body(request, _STATUS_BODY))["community_ids"]
    if not ids:
        return {"data": []}
    front = voice_front(request)
    names = [community_room(community_id) for community_id in ids]
    async with reading(runtime.pool) as connection:
        counts = await community_voice.active_counts(
            connection, names, front.clock(), front.times.interrupted_ttl, front.times.initial_ttl
        )
    by_room = {count.room_name: count for count in counts}
    data = []
    for name in sorted(names):
        count = by_room.get(name)
        moderators = 0 if count is None else count.moderators
        data.append(
            {
                "community_id": name[len(COMMUNITY_PREFIX) :],
                "active": moderators > 0,
                "participant_count": 0 if count is None else count.participants,
                "moderator_count": moderators,
            }
        )
    return {"data": data}


@router.get("/community-voice-chat/{community_id}/status")
async def community_voice_chat_room_status(
    community_id: str, request: Request, runtime: RuntimeDep
) -> Any:
    if not community_id.strip():
        raise InvalidRequestError("The parameter communityId is required")
    front = voice_front(request)
    status: CallStatus = await runtime.rooms.call(
        community_key(community_id), "status", front.clock(), front.times
    )
    return {
        "active": status.active,
        "participant_count": status.participants,
        "moderator_count": status.moderators,
    }


@router.post("/community-voice-chat/{community_id}/users/{user_address}/speak-request")
async def request_to_speak(
    community_id: str, user_address: str, request: Request, runtime: RuntimeDep
) -> Any:
    front = voice_front(request)
    address = user_address.lower()
    tell = _metadata_update(runtime, community_id, address, {"isRequestingToSpeak": True})
    await _change_speech(front, community_id, address, tell, "request_to_speak", front.clock())
    return {"message": "Request to speak sent successfully"}


@router.delete("/community-voice-chat/{community_id}/users/{user_address}/speak-request")
async def reject_speak_request(
    community_id: str, user_address: str, request: Request, runtime: RuntimeDep
) -> Any:
    address = user_address.lower()
    tell = _metadata_update(runtime, community_id, address, {"isRequestingToSpeak": False})
    await _change_speech(voice_front(request), community_id, address, tell, "withdraw_request")
    return {"message": "Speak request rejected successfully"}


@router.post("/community-voice-chat/{community_id}/users/{user_address}/speaker")
async def promote_speaker(
    community_id: str, user_address: str, request: Request, runtime: RuntimeDep
) -> Any:
    address = user_address.lower()
    await _change_speech(
        voice_front(request),
        community_id,
        address,
        _speaker_update(runtime, community_room(community_id), address, speaker=True),
        "promote",
    )
    return {"message": "User promoted to speaker successfully"}


@router.delete("/community-voice-chat/{community_id}/users/{user_address}/speaker")
async def demote_speaker(
    community_id: str, user_address: str, request: Request, runtime: RuntimeDep
) -> Any:
    address = user_address.lower()
    await _change_speech(
        voice_front(request),
        community_id,
        address,
        _speaker_update(runtime, community_room(community_id), address, speaker=False),
        "demote",
    )
    return {"message": "User demoted to listener successfully"}


@router.delete("/community-voice-chat/{community_id}/users/{user_address}")
async def kick_from_voice_chat(
    community_id: str, user_address: str, request: Request, runtime: RuntimeDep
) -> Any:
    address = user_address.lower()
    room = community_room(community_id)
    livekit = runtime.services.livekit

    async def tell_livekit() -> None:
        await livekit.remove_participant(room, address)

    await _change_speech(voice_front(request), community_id, address, tell_livekit, "kick")
    return {"message": "User kicked from voice chat successfully"}


@router.patch("/community-voice-chat/{community_id}/users/{user_address}/mute")
async def mute_in_voice_chat(
    community_id: str, user_address: str, request: Request, runtime: RuntimeDep
) -> Any:
    muted: bool = (await valid_body(request, _MUTE_BODY))["muted"]
    address = user_address.lower()
    tell = _metadata_update(runtime, community_id, address, {"muted": muted})
    await _change_speech(voice_front(request), community_id, address, tell, "set_muted", muted)
    return {"message": "User muted successfully" if muted else "User unmuted successfully"}


@router.delete("/community-voice-chat/{community_id}")
async def end_community_voice_chat(community_id: str, request: Request, runtime: RuntimeDep) -> Any:
    body = await read_json_or(request, "Invalid request body")
    caller = body.get("user_address") if isinstance(body, dict) else None
    if not caller:
        raise InvalidRequestError("The property user_address is required")
    by = caller.lower() if isinstance(caller, str) else str(caller)

    front = voice_front(request)
    count: int = await runtime.rooms.call(community_key(community_id), "end", by)
    await runtime.services.livekit.delete_room(community_room(community_id))
    if count > 0:
        runtime.services.events.publish_later(
            community_streaming_ended(community_id, count, front.clock())
        )
    logger.info("community call ended community=%s by=%s rows=%s", community_id, by, count)
    return {"message": "Community voice chat ended successfully"}


def _metadata_update(
    runtime: Runtime, community_id: str, address: str, changes: dict[str, Any]
) -> Callable[[], Awaitable[None]]:
    """What tells LiveKit of a change that only shows in the member's metadata."""
    livekit = runtime.services.livekit
    room = community_room(community_id)

    async def tell_livekit() -> None:
        await livekit.merge_participant_metadata(room, address, changes)

    return tell_livekit


def _speaker_update(
    runtime: Runtime, room: str, address: str, *, speaker: bool
) -> Callable[[], Awaitable[None]]:
    livekit = runtime.services.livekit

    async def tell_livekit() -> None:
        permission = api.ParticipantPermission(
            can_publish=speaker, can_subscribe=True, can_publish_data=True
        )
        await livekit.update_participant(room, address, permission=permission)
        await livekit.merge_participant_metadata(
            room, address, {"isRequestingToSpeak": False, "isSpeaker": speaker}
        )

    return tell_livekit


async def _change_speech(
    front: VoiceFront,
    community_id: str,
    address: str,
    tell_livekit: Callable[[], Awaitable[None]],
    message: str,
    *args: Any,
) -> None:
    """Change the member in its room, then in LiveKit; undo the room's change if LiveKit fails."""
    key = community_key(community_id)
    rooms = front.runtime.rooms
    async with front.participant_lock(key, address):
        before: Speech
        after: Speech
        before, after = await rooms.call(key, message, address, *args)
        try:
            await tell_livekit()
        except GatekeeperError as error:
            try:
                await rooms.call(key, "restore_speech", address, before, after)
            except GatekeeperError as undo_error:
                logger.warning(
                    "speech not restored community=%s address=%s error=%s",
                    community_id,
                    address,
                    undo_error.message,
                )
            if isinstance(error, NotFoundError):
                raise NotFoundError(
                    f"User {address} is not connected to the community voice chat"
                ) from None
            raise
