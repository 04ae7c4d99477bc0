"""Platform-wide moderation: ban and warn players, lift bans, and read them back.

Writes need a moderator (the MODERATOR_TOKEN holder naming themselves, or an allow-listed
wallet); `GET /users/{address}/bans` is public. A new ban takes effect at once: the player is
removed from every LiveKit room, and token requests check bans on every call.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from api.auth import Moderator, moderator_for_read, moderator_for_write
from api.dependencies import RuntimeDep
from api.runtime import Runtime
from api.validation import valid_body, validator
from config.errors import ConflictError, InvalidRequestError, ResourceNotFoundError
from storage import moderation
from storage.moderation import Ban, Warning

logger = logging.getLogger(__name__)
router = APIRouter()

_ADDRESS = re.compile(r"0x[0-9a-f]{40}", re.ASCII)
_BAN_BODY = validator(
    {
        "type": "object",
        # Listed by name: the first failing property reported is the first by name.
        "properties": {
            "customMessage": {"type": "string"},
            "duration": {"type": "number", "exclusiveMinimum": 0},
            "reason": {"type": "string", "minLength": 1},
        },
        "required": ["reason"],
        "additionalProperties": False,
    }
)
_WARNING_BODY = validator(
    {
        "type": "object",
        "properties": {"reason": {"type": "string", "minLength": 1}},
        "required": ["reason"],
        "additionalProperties": False,
    }
)


def _player(address: str) -> str:
    player = address.lower()
    if _ADDRESS.fullmatch(player) is None:
        raise InvalidRequestError("Invalid address")
    return player


def _utc_now() -> datetime:
    # The columns hold UTC without a zone, as the reference writes them.
    return datetime.now(UTC).replace(tzinfo=None)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _ms(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp() * 1000)


def ban_json(ban: Ban) -> dict[str, Any]:
    return {
        "id": str(ban.id),
        "bannedAddress": ban.banned_address,
        "bannedBy": ban.banned_by,
        "reason": ban.reason,
        "customMessage": ban.custom_message,
        "bannedDeviceId": ban.banned_device_id,
        "bannedAt": _iso(ban.banned_at),
        "expiresAt": _iso(ban.expires_at),
        "liftedAt": _iso(ban.lifted_at),
        "liftedBy": ban.lifted_by,
        "createdAt": _iso(ban.created_at),
    }


def warning_json(warning: Warning) -> dict[str, Any]:
    return {
        "id": str(warning.id),
        "warnedAddress": warning.warned_address,
        "warnedBy": warning.warned_by,
        "reason": warning.reason,
        "warnedAt": _iso(warning.warned_at),
        "createdAt": _iso(warning.created_at),
    }


def _event(sub_type: str, key: str, metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "moderation",
        "subType": sub_type,
        "key": key,
        "timestamp": time.time_ns() // 1_000_000,
        "metadata": metadata,
    }


def _ban_created(ban: Ban) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "id": str(ban.id),
        "bannedAddress": ban.banned_address,
        "bannedBy": ban.banned_by,
        "reason": ban.reason,
        "bannedAt": _ms(ban.banned_at),
        "expiresAt": _ms(ban.expires_at) if ban.expires_at else None,
    }
    if ban.custom_message:
        metadata["customMessage"] = ban.custom_message
    return _event("user-ban-created", str(ban.id), metadata)


async def _kick_everywhere(runtime: Runtime, address: str) -> None:
    rooms = await runtime.services.livekit.remove_from_all_rooms(address)
    logger.info("banned player removed from rooms player=%s rooms=%s", address, len(rooms))


@router.post("/users/{address}/bans", status_code=201)
async def ban_player(
    address: str,
    request: Request,
    runtime: RuntimeDep,
    moderator: Moderator = Depends(moderator_for_write),  # noqa: B008
) -> dict[str, Any]:
    body = await valid_body(request, _BAN_BODY)
    player = _player(address)
    now = _utc_now()
    duration = body.get("duration")
    expires_at = now + timedelta(milliseconds=duration) if duration is not None else None

    async with runtime.pool.acquire() as connection, connection.transaction():
        # One active ban per player, even when two moderators act at once.
        await moderation.lock_player(connection, player)
        if await moderation.active_ban(connection, player, now) is not None:
            raise ConflictError(f"Player is already banned: {player}")
        ban = await moderation.insert_ban(
            connection,
            address=player,
            banned_by=moderator.actor,
            reason=body["reason"],
            custom_message=body.get("customMessage"),
            device_id=await moderation.last_device(connection, player),
            now=now,
            expires_at=expires_at,
        )

    logger.info("player banned player=%s by=%s ban=%s", player, moderator.actor, ban.id)
    runtime.services.events.publish_later(_ban_created(ban))
    runtime.background(_kick_everywhere(runtime, player))
    return {"data": ban_json(ban)}


@router.delete("/users/{address}/bans", status_code=204)
async def lift_ban(
    address: str,
    runtime: RuntimeDep,
    moderator: Moderator = Depends(moderator_for_write),  # noqa: B008
) -> Response:
    player = _player(address)
    now = _utc_now()
    async with runtime.pool.acquire() as connection, connection.transaction():
        await moderation.lock_player(connection, player)
        lifted = await moderation.lift_bans(connection, player, moderator.actor, now)
    if not lifted:
        raise ResourceNotFoundError(f"No active ban found for player: {player}")

    logger.info("player ban lifted player=%s by=%s bans=%s", player, moderator.actor, len(lifted))
    runtime.services.events.publish_later(
        *(
            _event(
                "user-ban-lifted",
                str(ban.id),
                {
                    "id": str(ban.id),
                    "bannedAddress": ban.banned_address,
                    "liftedBy": moderator.actor,
                    "liftedAt": _ms(now),
                },
            )
            for ban in lifted
        )
    )
    return Response(status_code=204)


@router.get("/users/{address}/bans")
async def ban_status(address: str, runtime: RuntimeDep) -> dict[str, Any]:
    player = _player(address)
    async with runtime.pool.acquire() as connection:
        ban = await moderation.active_ban(connection, player, _utc_now())
    if ban is None:
        return {"data": {"isBanned": False}}
    return {"data": {"isBanned": True, "ban": ban_json(ban)}}


@router.post("/users/{address}/warnings", status_code=201)
async def warn_player(
    address: str,
    request: Request,
    runtime: RuntimeDep,
    moderator: Moderator = Depends(moderator_for_write),  # noqa: B008
) -> dict[str, Any]:
    body = await valid_body(request, _WARNING_BODY)
    player = _player(address)
    async with runtime.pool.acquire() as connection:
        warning = await moderation.insert_warning(
            connection, player, moderator.actor, body["reason"], _utc_now()
        )
    runtime.services.events.publish_later(
        _event(
            "user-warning-created",
            str(warning.id),
            {
                "id": str(warning.id),
                "warnedAddress": warning.warned_address,
                "warnedBy": warning.warned_by,
                "reason": warning.reason,
                "warnedAt": _ms(warning.warned_at),
            },
        )
    )
    return {"data": warning_json(warning)}


@router.get("/users/{address}/warnings")
async def player_warnings(
    address: str,
    runtime: RuntimeDep,
    _: Moderator = Depends(moderator_for_read),  # noqa: B008
) -> dict[str, Any]:
    player = _player(address)
    async with runtime.pool.acquire() as connection:
        warnings = await moderation.warnings_of(connection, player)
    return {"data": [warning_json(w) for w in warnings]}


@router.get("/bans")
async def all_active_bans(
    runtime: RuntimeDep,
    _: Moderator = Depends(moderator_for_read),  # noqa: B008
) -> JSONResponse:
    async with runtime.pool.acquire() as connection:
        bans = await moderation.active_bans(connection, _utc_now())
    return JSONResponse({"data": [ban_json(b) for b in bans]})
