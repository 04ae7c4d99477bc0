"""Checking the webhooks LiveKit posts: who signed them and that the body is the one signed.

LiveKit sends the raw JWT in `Authorization` (no `Bearer `): HS256 with the API secret,
issuer the API key, and a `sha256` claim holding base64(SHA-256(body)). The body is a
`WebhookEvent` in protobuf JSON.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import logging
import time
from functools import lru_cache
from typing import Any

import orjson
from google.protobuf.json_format import ParseDict, ParseError
from livekit import api

from config.errors import InvalidRequestError

logger = logging.getLogger(__name__)

MISSING_AUTHORIZATION = "Authorization header not found"
INVALID_EVENT = "Invalid webhook event"

CLOCK_LEEWAY = datetime.timedelta(seconds=10)


# The parts of an event the service acts on, by their JSON names (protobuf JSON accepts the
# camelCase and the field names). Parsing only these keeps a webhook's cost small: converting a
# whole event (every track, codec and setting of the room and participant) cost more than
# checking its signature. A key mapped to None is kept whole.
_READ: dict[str, frozenset[str] | None] = {
    "event": None,
    "id": None,
    "createdAt": None,
    "created_at": None,
    "room": frozenset({"name", "sid"}),
    "participant": frozenset({"identity", "sid", "disconnectReason", "disconnect_reason"}),
    "ingressInfo": frozenset({"ingressId", "ingress_id"}),
    "ingress_info": frozenset({"ingressId", "ingress_id"}),
}


def verify_webhook(
    body: str, authorization: str | None, api_key: str, api_secret: str
) -> api.WebhookEvent:
    """The event LiveKit signed, with the fields this service reads (see `_READ`).

    Raises InvalidRequestError whose message (and so response body) tells the two failures
    apart: MISSING_AUTHORIZATION for an absent or empty header, INVALID_EVENT for anything
    else (bad signature, wrong issuer, expired, body not the one signed, not an event).
    """
    if not authorization:
        raise InvalidRequestError(MISSING_AUTHORIZATION)
    try:
        claims = _verified_claims(authorization, api_key, api_secret.encode())
        signed_digest = base64.b64decode(str(claims.get("sha256") or ""), validate=True)
        if not signed_digest or not hmac.compare_digest(
            signed_digest, hashlib.sha256(body.encode()).digest()
        ):
            raise _Refused("body is not the one signed")
        return _event(body)
    except (_Refused, ParseError, ValueError, binascii.Error) as error:
        logger.info("livekit webhook refused reason=%s", error)
        raise InvalidRequestError(INVALID_EVENT) from None


class _Refused(Exception):
    pass


def _event(body: str) -> api.WebhookEvent:
    document = orjson.loads(body)
    if not isinstance(document, dict):
        raise _Refused("not an event")
    kept: dict[str, Any] = {}
    for key, value in document.items():
        if key not in _READ:
            continue
        fields = _READ[key]
        if fields is None or not isinstance(value, dict):
            kept[key] = value  # a wrong type is for the parser to refuse
        else:
            kept[key] = {name: part for name, part in value.items() if name in fields}
    return ParseDict(kept, api.WebhookEvent(), ignore_unknown_fields=True)


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


@lru_cache(maxsize=8)
def _hmac_key(secret: bytes) -> Any:
    # The HMAC state after absorbing the key; copied per token instead of rebuilt.
    return hmac.new(secret, digestmod=hashlib.sha256)


def _verified_claims(token: str, api_key: str, secret: bytes) -> dict[str, Any]:
    """The claims of an HS256 JWT signed with `secret` and issued by `api_key`.

    The same checks as livekit-api's TokenVerifier (through PyJWT): the algorithm, the
    signature, the issuer, a required `exp`, and `nbf`/`iat` when present, each with
    CLOCK_LEEWAY; done here because that verifier is rebuilt and re-keyed on every call,
    which cost most of a webhook's time.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise _Refused("not a JWT")
    header = orjson.loads(_b64url(parts[0]))
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise _Refused("not HS256")
    mac = _hmac_key(secret).copy()
    mac.update(f"{parts[0]}.{parts[1]}".encode())
    if not hmac.compare_digest(mac.digest(), _b64url(parts[2])):
        raise _Refused("bad signature")
    claims = orjson.loads(_b64url(parts[1]))
    if not isinstance(claims, dict) or claims.get("iss") != api_key:
        raise _Refused("wrong issuer")
    now = time.time()
    leeway = CLOCK_LEEWAY.total_seconds()
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or now > expires + leeway:
        raise _Refused("expired or no expiry")
    for claim in ("nbf", "iat"):
        moment = claims.get(claim)
        if moment is not None and (not isinstance(moment, int | float) or moment > now + leeway):
            raise _Refused(f"{claim} in the future")
    return claims
