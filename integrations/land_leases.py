"""Land-lease authorizations: wallets allowed to manage parcels they rent.

The document is read at most every five minutes; a failed refresh keeps the previous copy,
and with no copy at all nobody holds a lease.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from config.errors import GatekeeperError, UpstreamError
from config.settings import Settings
from integrations.cache import AsyncTTLCache, Clock
from integrations.http import get_json

logger = logging.getLogger(__name__)

SERVICE = "Land-lease authorizations"
CACHE_TTL_SECONDS = 300.0


@dataclass(frozen=True)
class LeaseAuthorization:
    name: str
    addresses: frozenset[str]
    plots: frozenset[str]

    @classmethod
    def from_json(cls, data: Any) -> LeaseAuthorization | None:
        if not isinstance(data, dict):
            return None
        addresses = data.get("addresses")
        plots = data.get("plots")
        return cls(
            name=str(data.get("name") or ""),
            addresses=frozenset(a.lower() for a in addresses if isinstance(a, str))
            if isinstance(addresses, list)
            else frozenset(),
            plots=frozenset(str(p) for p in plots) if isinstance(plots, list) else frozenset(),
        )


class LandLeases:
    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        self._http = client
        self._url = settings.LAND_LEASE_AUTHORIZATIONS_URL
        self._cache: AsyncTTLCache[str, tuple[LeaseAuthorization, ...]] = AsyncTTLCache(
            maxsize=1, ttl=CACHE_TTL_SECONDS, clock=clock, keep_stale=True, name="land-leases"
        )

    async def _load(self) -> tuple[LeaseAuthorization, ...]:
        body = await get_json(self._http, self._url, service=SERVICE)
        if not isinstance(body, list):
            raise UpstreamError(f"{SERVICE} document is not a list")
        parsed = (LeaseAuthorization.from_json(item) for item in body)
        return tuple(item for item in parsed if item is not None)

    async def authorizations(self) -> tuple[LeaseAuthorization, ...]:
        try:
            return await self._cache.get(self._url, self._load)
        except GatekeeperError as error:
            logger.warning("lease document unavailable, no leases known error=%s", error.message)
            return ()

    async def holders(self, parcels: Iterable[str]) -> list[str]:
        """Lower-cased wallets leasing any of `parcels`, in document order, once each."""
        wanted = set(parcels)
        found: list[str] = []
        for lease in await self.authorizations():
            if lease.plots & wanted:
                found.extend(sorted(lease.addresses))
        return list(dict.fromkeys(found))

    async def holds_lease(self, address: str, parcels: Iterable[str]) -> bool:
        return address.lower() in await self.holders(parcels)
