"""LiveKit access tokens for people and bots joining a room, and the URL that carries one.

A token is an HS256 JWT: `iss` the API key, `sub` the identity, `nbf` now, `exp` now + 300 s,
a `video` grant, and optionally `name` and `metadata`. Claims are laid out exactly as
livekit-api's `AccessToken` lays them out (same keys, same order, same JSON encoding), so a
token minted here is byte-identical to one minted there for the same second; this path only
skips the generic machinery (dataclass walks, key checks) that costs most of the time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Collection, Mapping
from functools import lru_cache
from typing import Any

TOKEN_TTL_SECONDS = 300
MICROPHONE_ONLY = ("microphone",)

# PyJWT sorts header keys and writes them without spaces; this is that header, encoded once.
_HEADER_SEGMENT = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")


def mint_token(
    api_key: str,
    api_secret: str,
    *,
    identity: str,
    room: str,
    can_publish: bool = True,
    can_subscribe: bool = True,
    can_update_own_metadata: bool = True,
    cast: Collection[str] = (),
    metadata: Mapping[str, Any] | None = None,
    ttl_seconds: int = TOKEN_TTL_SECONDS,
    now: int | None = None,
) -> str:
    """A token that lets `identity` join `room` with the given permissions.

    Publishing is limited to the microphone unless the identity is in `cast`. `name` comes
    from `metadata["displayName"]`; `metadata` travels as its JSON text. `now` (Unix seconds)
    fixes the issue time, for comparisons; it defaults to the clock.
    """
    claims = token_claims(
        api_key,
        identity=identity,
        room=room,
        can_publish=can_publish,
        can_subscribe=can_subscribe,
        can_update_own_metadata=can_update_own_metadata,
        cast=cast,
        metadata=metadata,
        ttl_seconds=ttl_seconds,
        now=now,
    )
    return _sign(claims, api_secret)


def token_claims(
    api_key: str,
    *,
    identity: str,
    room: str,
    can_publish: bool = True,
    can_subscribe: bool = True,
    can_update_own_metadata: bool = True,
    cast: Collection[str] = (),
    metadata: Mapping[str, Any] | None = None,
    ttl_seconds: int = TOKEN_TTL_SECONDS,
    now: int | None = None,
) -> dict[str, Any]:
    """The claim set `mint_token` signs, in the order livekit-api writes it."""
    if not identity or not room:
        raise ValueError("identity and room must be set when joining a room")
    issued_at = int(time.time()) if now is None else now

    video: dict[str, Any] = {
        "roomList": False,
        "roomJoin": True,
        "room": room,
        "canPublish": can_publish,
        "canSubscribe": can_subscribe,
        "canPublishData": True,
    }
    if identity not in cast:
        video["canPublishSources"] = list(MICROPHONE_ONLY)
    video["canUpdateOwnMetadata"] = can_update_own_metadata

    claims: dict[str, Any] = {}
    if metadata is not None:
        name = metadata.get("displayName")
        if isinstance(name, str) and name:
            claims["name"] = name
        claims["metadata"] = json.dumps(metadata, separators=(",", ":"), ensure_ascii=False)
    claims["video"] = video
    claims["sub"] = identity
    claims["iss"] = api_key
    claims["nbf"] = issued_at
    claims["exp"] = issued_at + ttl_seconds
    return claims


def connection_url(host: str, token: str) -> str:
    """The `livekit:` URL a client connects with.

    `wss://` is added only to a host without a WebSocket scheme, so a `ws://` development
    server keeps its scheme.
    """
    if not host.startswith(("ws://", "wss://")):
        host = f"wss://{host}"
    return f"livekit:{host}?access_token={token}"


def _sign(claims: Mapping[str, Any], api_secret: str) -> str:
    payload = json.dumps(claims, separators=(",", ":")).encode()
    signing_input = _HEADER_SEGMENT + b"." + _b64url(payload)
    mac = _keyed_mac(api_secret).copy()
    mac.update(signing_input)
    return (signing_input + b"." + _b64url(mac.digest())).decode()


@lru_cache(maxsize=8)
def _keyed_mac(api_secret: str) -> hmac.HMAC:
    # Keying HMAC hashes the secret's pads; done once per secret, copied per token.
    return hmac.new(api_secret.encode(), digestmod=hashlib.sha256)


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")
