"""The service bearer token other Decentraland services present:
`Authorization: Bearer <COMMS_GATEKEEPER_AUTH_TOKEN>`."""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

from api.auth.services import auth_services
from config.errors import UnauthorizedError


def same_secret(given: str, expected: str) -> bool:
    """Constant-time equality; hashing first hides the expected length too."""
    return hmac.compare_digest(
        hashlib.sha256(given.encode()).digest(), hashlib.sha256(expected.encode()).digest()
    )


def authorization_header(request: Request) -> str:
    # Node keeps the first of repeated Authorization headers.
    return request.headers.get("authorization", "")


async def require_service_token(request: Request) -> None:
    """401 `Authorization header is missing` / `Invalid authorization header` unless the
    request carries the service token."""
    header = authorization_header(request)
    if not header:
        raise UnauthorizedError("Authorization header is missing")
    scheme, _, token = header.partition(" ")
    expected = auth_services(request).service_token
    if scheme.lower() != "bearer" or not token or not expected or not same_secret(token, expected):
        raise UnauthorizedError("Invalid authorization header")
