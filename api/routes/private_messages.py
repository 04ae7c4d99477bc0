"""Private messages: the explorer's token for the shared private-messages room, and the social
service telling a connected player's privacy setting."""

from __future__ import annotations

import logging
import re
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request, Response

from api.auth import explorer_signed_fetch, require_service_token
from api.dependencies import RuntimeDep
from api.validation import read_json_or
from config.errors import (
    ForbiddenError,
    GatekeeperError,
    InvalidRequestError,
    NotFoundError,
    UnauthorizedError,
)
from integrations.livekit.tokens import connection_url, mint_token
from integrations.signed_fetch import Verification

logger = logging.getLogger(__name__)

router = APIRouter()

PRIVACY_KEY = "private_messages_privacy"
PRIVACY_VALUES = frozenset({"all", "only_friends"})
_WALLET = re.compile(r"^0x[a-fA-F0-9]{40}$")


@router.get("/private-messages/token")
async def private_messages_token(
    request: Request,
    runtime: RuntimeDep,
    signed: Annotated[Verification, Depends(explorer_signed_fetch)],
) -> Response:
    identity = signed.address.lower()
    device = signed.metadata.get("deviceIdentifier")
    device_id = device if isinstance(device, str) and device else None
    runtime.connections.record(identity, request.headers.get("cf-connecting-ip"), device_id)

    services = runtime.services
    if await services.deny_list.is_denied(identity):
        raise UnauthorizedError("Access denied, deny-listed wallet")
    if await runtime.platform_bans.is_banned(identity, device_id):
        raise ForbiddenError("Access denied, platform-banned user")

    privacy = await services.social.private_messages_privacy_or_default(identity)
    settings = runtime.settings
    token = mint_token(
        settings.livekit_api_key,
        settings.livekit_api_secret,
        identity=identity,
        room=settings.PRIVATE_MESSAGES_ROOM_ID,
        can_publish=False,
        can_update_own_metadata=False,
        metadata={PRIVACY_KEY: privacy},
    )
    url = connection_url(settings.livekit_host, token)
    return Response(orjson.dumps({"adapter": url}), media_type="application/json")


@router.patch(
    "/users/{address}/private-messages-privacy",
    status_code=204,
    dependencies=[Depends(require_service_token)],
)
async def set_private_messages_privacy(
    address: str, request: Request, runtime: RuntimeDep
) -> Response:
    player = address.lower()
    if not _WALLET.match(player):
        raise InvalidRequestError("Invalid address")
    body = await read_json_or(request, "Invalid request body")
    value = body.get(PRIVACY_KEY) if isinstance(body, dict) else None
    if not isinstance(value, str) or value.lower() not in PRIVACY_VALUES:
        raise InvalidRequestError(f"Invalid {PRIVACY_KEY}")

    room = runtime.settings.PRIVATE_MESSAGES_ROOM_ID
    try:
        await runtime.services.livekit.merge_participant_metadata(
            room, player, {PRIVACY_KEY: value}
        )
    except NotFoundError:
        # LiveKit knows no such participant (or not even the room): not connected.
        raise InvalidRequestError("Participant is not connected to the room") from None
    except GatekeeperError as error:
        logger.warning("privacy not updated address=%s error=%s", player, error.message)
        raise
    return Response(status_code=204)
