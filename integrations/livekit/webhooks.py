"""Checking the webhooks LiveKit posts: who signed them and that the body is the one signed.

LiveKit sends the raw JWT in `Authorization` (no `Bearer `): HS256 with the API secret,
issuer the API key, and a `sha256` claim holding base64(SHA-256(body)). The body is a
`WebhookEvent` in protobuf JSON.
"""

from __future__ import annotations

import datetime
import logging

from livekit import api

from config.errors import InvalidRequestError

logger = logging.getLogger(__name__)

MISSING_AUTHORIZATION = "Authorization header not found"
INVALID_EVENT = "Invalid webhook event"

CLOCK_LEEWAY = datetime.timedelta(seconds=10)


def verify_webhook(
    body: str, authorization: str | None, api_key: str, api_secret: str
) -> api.WebhookEvent:
    """The event LiveKit signed.

    Raises InvalidRequestError whose message (and so response body) tells the two failures
    apart: MISSING_AUTHORIZATION for an absent or empty header, INVALID_EVENT for anything
    else (bad signature, wrong issuer, expired, body not the one signed, not an event).
    """
    if not authorization:
        raise InvalidRequestError(MISSING_AUTHORIZATION)

    receiver = api.WebhookReceiver(api.TokenVerifier(api_key, api_secret, leeway=CLOCK_LEEWAY))
    try:
        return receiver.receive(body, authorization)
    except Exception as error:
        # The receiver signals every failure with a bare Exception or a JWT/protobuf error.
        logger.info("livekit webhook refused reason=%s", type(error).__name__)
        raise InvalidRequestError(INVALID_EVENT) from None
