"""Who may moderate users: the holder of MODERATOR_TOKEN (writes must then name themselves
in `?moderator=`), or a signed-fetch wallet on the feature-flag allow-list."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import Depends, Request

from api.auth.bearer import authorization_header, same_secret
from api.auth.services import auth_services
from api.auth.signed_fetch import moderation_signed_fetch
from config.errors import InvalidRequestError, UnauthorizedError
from integrations.signed_fetch import Verification

NOT_AUTHORIZED = "You are not authorized to access this resource"
MISSING_MODERATOR = "Missing moderator query parameter"
INVALID_MODERATOR = (
    "Invalid moderator query parameter. Must be alphanumeric (spaces, hyphens, underscores, "
    "and dots allowed) and at most 100 characters"
)
_MODERATOR_NAME = re.compile(r"[A-Za-z0-9 _.\-]{1,100}", re.ASCII)
_ADDRESS = re.compile(r"0x[0-9a-f]{40}", re.ASCII)
_BEARER = "Bearer "


@dataclass(frozen=True)
class Moderator:
    """The acting moderator: a wallet, or the name a token holder gave (lower-cased);
    empty for token reads, which need no name."""

    actor: str
    by_token: bool


async def _authenticate(
    request: Request, verification: Verification | None, *, write: bool
) -> Moderator:
    services = auth_services(request)
    header = authorization_header(request)
    if (
        services.moderator_token
        and header.startswith(_BEARER)
        and same_secret(header[len(_BEARER) :], services.moderator_token)
    ):
        if not write:
            return Moderator(actor="", by_token=True)
        name = request.query_params.get("moderator")
        if not name:
            raise InvalidRequestError(MISSING_MODERATOR)
        name = name.strip()
        if _MODERATOR_NAME.fullmatch(name) is None:
            raise InvalidRequestError(INVALID_MODERATOR)
        return Moderator(actor=name.lower(), by_token=True)

    address = verification.address if verification is not None else ""
    if _ADDRESS.fullmatch(address) is None or not await services.moderators.contains(address):
        raise UnauthorizedError(NOT_AUTHORIZED)
    return Moderator(actor=address, by_token=False)


async def moderator_for_write(
    request: Request,
    verification: Verification | None = Depends(moderation_signed_fetch),  # noqa: B008
) -> Moderator:
    """Dependency for moderation writes (bans, warnings)."""
    return await _authenticate(request, verification, write=True)


async def moderator_for_read(
    request: Request,
    verification: Verification | None = Depends(moderation_signed_fetch),  # noqa: B008
) -> Moderator:
    """Dependency for moderation reads (GET warnings, GET /bans)."""
    return await _authenticate(request, verification, write=False)
