"""The catalyst lambdas: DCL names, land permissions and operators, name owners, profiles."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from config.errors import NotFoundError, UpstreamError
from config.settings import Settings
from integrations.cache import AsyncBatchTTLCache, AsyncTTLCache, Clock
from integrations.http import get_json, json_body, post_json, send

logger = logging.getLogger(__name__)

SERVICE = "Lambdas"
CACHE_SIZE = 1000
PROFILE_CACHE_SIZE = 10_000
CACHE_TTL_SECONDS = 300.0


@dataclass(frozen=True)
class LandPermissions:
    """What one wallet may do on one parcel."""

    owner: bool
    operator: bool
    update_operator: bool
    update_manager: bool
    approved_for_all: bool

    @property
    def extended(self) -> bool:
        return self.operator or self.update_operator or self.update_manager or self.approved_for_all


@dataclass(frozen=True)
class LandOperators:
    """Everyone who holds a parcel or may act for its owner (lower-cased)."""

    owner: str | None
    operator: str | None
    update_operator: str | None
    update_managers: tuple[str, ...]
    approved_for_all: tuple[str, ...]

    def addresses(self) -> list[str]:
        single = [self.owner, self.operator, self.update_operator]
        found = [a for a in single if a] + [*self.update_managers, *self.approved_for_all]
        return list(dict.fromkeys(found))


def _address(value: Any) -> str | None:
    return value.lower() if isinstance(value, str) and value else None


def _addresses(value: Any) -> tuple[str, ...]:
    return (
        tuple(a.lower() for a in value if isinstance(a, str) and a)
        if isinstance(value, list)
        else ()
    )


def _parcel_path(parcel: str) -> str:
    x, _, y = parcel.partition(",")
    return f"{x.strip()}/{y.strip()}"


def display_name(avatar: dict[str, Any]) -> str | None:
    """`name` for a claimed name, else `name#` and the last four characters of the address."""
    name = avatar.get("name")
    if not isinstance(name, str):
        return None
    if avatar.get("hasClaimedName"):
        return name
    address = str(avatar.get("ethAddress") or avatar.get("userId") or "")
    return f"{name}#{address[-4:]}"


class _NoOwner(Exception):
    """The Lambdas know no owner for a name (raised inside a cache load so it is not kept)."""


class LambdasClient:
    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        self._http = client
        base = settings.LAMBDAS_URL
        self._base = base if base.endswith("/") else f"{base}/"

        def cache(name: str) -> AsyncTTLCache[Any, Any]:
            return AsyncTTLCache(maxsize=CACHE_SIZE, ttl=CACHE_TTL_SECONDS, clock=clock, name=name)

        self._names: AsyncTTLCache[str, list[str]] = cache("user-names")
        self._permissions: AsyncTTLCache[tuple[str, str], LandPermissions] = cache("land-perms")
        self._operators: AsyncTTLCache[str, LandOperators] = cache("land-operators")
        self._owners: AsyncTTLCache[str, str] = cache("name-owners")
        self._profiles: AsyncBatchTTLCache[str, str] = AsyncBatchTTLCache(
            maxsize=PROFILE_CACHE_SIZE, ttl=CACHE_TTL_SECONDS, clock=clock
        )

    async def user_names(self, address: str) -> list[str]:
        """The DCL names the wallet owns."""
        url = f"{self._base}users/{address.lower()}/names"

        async def load() -> list[str]:
            body = await get_json(self._http, url, service=SERVICE)
            elements = body.get("elements") if isinstance(body, dict) else None
            if not isinstance(elements, list):
                return []
            return [
                e["name"]
                for e in elements
                if isinstance(e, dict) and isinstance(e.get("name"), str)
            ]

        return await self._names.get(address.lower(), load)

    async def owns_name(self, address: str, name: str) -> bool:
        wanted = name.lower()
        return any(owned.lower() == wanted for owned in await self.user_names(address))

    async def land_permissions(self, address: str, parcel: str) -> LandPermissions:
        url = f"{self._base}users/{address.lower()}/parcels/{_parcel_path(parcel)}/permissions"

        async def load() -> LandPermissions:
            body = await get_json(self._http, url, service=SERVICE)
            if not isinstance(body, dict) or not body:
                raise NotFoundError(f"Land permissions not found for {address} at {parcel}")
            return LandPermissions(
                owner=bool(body.get("owner")),
                operator=bool(body.get("operator")),
                update_operator=bool(body.get("updateOperator")),
                update_manager=bool(body.get("updateManager")),
                approved_for_all=bool(body.get("approvedForAll")),
            )

        return await self._permissions.get((address.lower(), parcel), load)

    async def land_operators(self, parcel: str) -> LandOperators:
        url = f"{self._base}parcels/{_parcel_path(parcel)}/operators"

        async def load() -> LandOperators:
            body = await get_json(self._http, url, service=SERVICE)
            if not isinstance(body, dict):
                raise UpstreamError(f"{SERVICE} sent land operators that are not an object")
            return LandOperators(
                owner=_address(body.get("owner")),
                operator=_address(body.get("operator")),
                update_operator=_address(body.get("updateOperator")),
                update_managers=_addresses(body.get("updateManagers")),
                approved_for_all=_addresses(body.get("approvedForAll")),
            )

        return await self._operators.get(parcel, load)

    async def name_owner(self, name: str) -> str | None:
        """The wallet owning DCL name `name` (lower-cased), or None when nobody owns it.

        Neither "nobody" nor a failure (502/503) is cached: a name just claimed resolves at once.
        """
        url = f"{self._base}names/{quote(name, safe='')}/owner"

        async def load() -> str:
            response = await send(self._http, "GET", url, service=SERVICE)
            if response.status_code == 404:
                raise _NoOwner
            body = json_body(response, service=SERVICE)
            owner = _address(body.get("owner")) if isinstance(body, dict) else None
            if owner is None:
                raise _NoOwner
            return owner

        try:
            return await self._owners.get(name, load)
        except _NoOwner:
            return None

    async def display_names(self, addresses: Iterable[str]) -> dict[str, str]:
        """Display name per lower-cased address; addresses without a profile are absent."""
        return await self._profiles.get_many(
            (a.lower() for a in addresses), self._load_display_names
        )

    async def _load_display_names(self, addresses: list[str]) -> dict[str, str]:
        body = await post_json(
            self._http, f"{self._base}profiles", {"ids": addresses}, service=SERVICE
        )
        names: dict[str, str] = {}
        for profile in body if isinstance(body, list) else []:
            avatars = profile.get("avatars") if isinstance(profile, dict) else None
            if not isinstance(avatars, list) or not avatars or not isinstance(avatars[0], dict):
                continue
            avatar = avatars[0]
            owner = _address(avatar.get("ethAddress")) or _address(avatar.get("userId"))
            name = display_name(avatar)
            if owner is not None and name is not None:
                names[owner] = name
        return names
