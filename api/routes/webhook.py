"""`POST /livekit-webhook`: LiveKit tells who joined and left rooms, and when streams start.

The request must carry LiveKit's signature (a JWT over the body's SHA-256); anything else is
401. A handled event is answered with the body it came with, as the reference does.
"""

from __future__ import annotations

import logging

import asyncpg
from fastapi import Request
from fastapi.responses import Response
from starlette.routing import Route

from api.webhooks.dispatch import handle_event
from api.webhooks.front import voice_front
from config.errors import (
    GatekeeperError,
    InvalidRequestError,
    ServiceUnavailableError,
    UnauthorizedError,
)
from integrations.livekit.webhooks import verify_webhook

logger = logging.getLogger(__name__)


HANDLING_FAILED = "Error handling webhook event"

_DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


async def livekit_webhook(request: Request) -> Response:
    body = (await request.body()).decode("utf-8", errors="replace")
    settings = request.app.state.settings
    try:
        event = verify_webhook(
            body,
            request.headers.get("authorization"),
            settings.livekit_api_key,
            settings.livekit_api_secret,
        )
    except InvalidRequestError as error:
        raise UnauthorizedError(error.message) from None

    try:
        await handle_event(voice_front(request), event)
    except _DATABASE_ERRORS as error:
        logger.warning("webhook not handled event=%s error=%s", event.event, type(error).__name__)
        raise ServiceUnavailableError("Database unavailable") from None
    except GatekeeperError as error:
        if error.status >= 500:
            # LiveKit retries what we could not take; the room is unchanged.
            raise
        logger.warning(
            "webhook not handled event=%s room=%s error=%s",
            event.event,
            event.room.name,
            error.message,
        )
        raise InvalidRequestError(HANDLING_FAILED) from None
    return Response(content=body, media_type="text/plain")


# The busiest path: a plain route, without FastAPI's per-request dependency machinery (it has
# no dependencies), matched before every other.
route = Route("/livekit-webhook", livekit_webhook, methods=["POST"])
