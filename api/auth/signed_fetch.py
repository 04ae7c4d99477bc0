"""Signed-fetch dependencies: one per kind of route, each verifying at most once per request.

The result is kept on `request.state`, so a handler that checks the request again (the
reference does, in `validate()`) reuses it instead of recovering signatures twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from api.auth.services import auth_services
from config.errors import SignedFetchError, UnauthorizedError
from integrations.signed_fetch import (
    MetadataGuard,
    Verification,
    join_headers,
    not_signed_by_scene,
    signed_by_explorer,
    signed_by_scene,
    signed_by_scene_or_server,
)

ACCESS_DENIED = "Access denied, invalid signed-fetch request"
_STATE_KEY = "signed_fetch"


def request_path(request: Request) -> str:
    """The path as the client sent and signed it: percent-encoding kept, no query."""
    raw = request.scope.get("raw_path")
    if isinstance(raw, bytes | bytearray):
        return bytes(raw).decode("latin-1").partition("?")[0]
    return request.url.path


def request_headers(request: Request) -> dict[str, str]:
    return join_headers(request.scope["headers"])


def verified(request: Request) -> Verification | None:
    """The verification an earlier dependency made for this request, if any."""
    found = getattr(request.state, _STATE_KEY, None)
    return found if isinstance(found, Verification) else None


async def _verify(request: Request, guard: MetadataGuard | None) -> Verification:
    verifier = auth_services(request).verifier
    result = await verifier.verify(
        request.method, request_path(request), request_headers(request), guard
    )
    setattr(request.state, _STATE_KEY, result)
    return result


def signed_fetch_guard(guard: MetadataGuard) -> Callable[[Request], Awaitable[Verification]]:
    """A dependency that requires a signed request whose metadata passes `guard`;
    failures answer `{"ok": false, "message": ...}` with the reference's status."""

    async def dependency(request: Request) -> Verification:
        return verified(request) or await _verify(request, guard)

    return dependency


def optional_signed_fetch_guard(
    guard: MetadataGuard,
) -> Callable[[Request], Awaitable[Verification | None]]:
    """Like `signed_fetch_guard`, but any failure leaves the request anonymous (None)."""

    async def dependency(request: Request) -> Verification | None:
        try:
            return verified(request) or await _verify(request, guard)
        except SignedFetchError:
            return None

    return dependency


scene_signed_fetch = signed_fetch_guard(signed_by_scene)
"""Routes scenes call: signer `decentraland-kernel-scene`."""

scene_or_server_signed_fetch = signed_fetch_guard(signed_by_scene_or_server)
"""GET /scene-admin: a scene or the authoritative server."""

explorer_signed_fetch = signed_fetch_guard(signed_by_explorer)
"""Explorer-level calls: signer `dcl:explorer`."""

moderation_signed_fetch = optional_signed_fetch_guard(not_signed_by_scene)
"""Moderation routes: optional, and a scene-signed request counts as anonymous."""


async def handler_signed_fetch(request: Request) -> Verification:
    """The in-handler check: reuse the route's verification or verify now (no guard);
    any failure is 401 `{"error": "Access denied, invalid signed-fetch request"}`."""
    try:
        return verified(request) or await _verify(request, None)
    except SignedFetchError:
        raise UnauthorizedError(ACCESS_DENIED) from None
