"""The platform deny list: wallets refused everywhere, whatever their signature says.

The list is read at most every five minutes. When a refresh fails the previous copy stays in
use; with no copy at all nobody is deny-listed, so an outage never locks users out.
"""

from __future__ import annotations

import logging
import time

import httpx

from config.errors import GatekeeperError
from config.settings import Settings
from integrations.cache import AsyncTTLCache, Clock
from integrations.http import get_json

logger = logging.getLogger(__name__)

SERVICE = "Deny list"
CACHE_TTL_SECONDS = 300.0


class DenyList:
    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        self._http = client
        self._url = settings.DENYLIST_JSON_URL
        self._cache: AsyncTTLCache[str, frozenset[str]] = AsyncTTLCache(
            maxsize=1, ttl=CACHE_TTL_SECONDS, clock=clock, keep_stale=True, name="denylist"
        )

    async def _load(self) -> frozenset[str]:
        body = await get_json(self._http, self._url, service=SERVICE)
        users = body.get("users") if isinstance(body, dict) else None
        if not isinstance(users, list):
            return frozenset()
        return frozenset(
            user["wallet"].lower()
            for user in users
            if isinstance(user, dict) and isinstance(user.get("wallet"), str)
        )

    async def wallets(self) -> frozenset[str]:
        """The deny-listed wallets, lower-cased; empty when the list was never readable."""
        try:
            return await self._cache.get(self._url, self._load)
        except GatekeeperError as error:
            logger.warning("deny list unavailable, nobody is deny-listed error=%s", error.message)
            return frozenset()

    async def is_denied(self, address: str) -> bool:
        return address.lower() in await self.wallets()
