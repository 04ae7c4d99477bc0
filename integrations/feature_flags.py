"""The feature-flag service, read for one thing: the platform moderators' allow-list.

The service answers `GET {FF_URL}/dapps.json` with `{"flags": {...}, "variants": {...}}`; the
list is the variant `dapps-platform_user_moderators` (payload value: comma-separated wallets),
honoured only while the flag of the same key is on. The document is cached; one refresh runs
at a time, a failed refresh keeps serving the last good copy, and with no copy at all the list
is empty.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

import httpx

logger = logging.getLogger(__name__)

APPLICATION = "dapps"
MODERATORS_FLAG = "platform_user_moderators"
DEFAULT_TTL_SECONDS = 240.0
RETRY_SECONDS = 10.0

_ADDRESS = re.compile(r"0x[0-9a-f]{40}", re.ASCII)


class ModeratorAllowList:
    """The lower-case wallets allowed to moderate users, from the feature-flag service."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        ff_url: str,
        timeout_ms: int,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        referer: str = "comms-gatekeeper",
    ) -> None:
        self._client = client
        self._url = f"{ff_url.rstrip('/')}/{APPLICATION}.json"
        self._timeout = httpx.Timeout(timeout_ms / 1000)
        self._ttl = ttl_seconds
        self._referer = referer
        self._addresses: frozenset[str] | None = None
        self._fetched_at = -float("inf")
        self._refresh: asyncio.Task[None] | None = None

    async def addresses(self) -> frozenset[str]:
        if time.monotonic() - self._fetched_at >= self._ttl:
            if self._refresh is None:
                self._refresh = asyncio.create_task(self._reload())
            refresh = self._refresh
            # Shielded so one cancelled caller does not cancel the refresh the others await.
            await asyncio.shield(refresh)
        return self._addresses if self._addresses is not None else frozenset()

    async def contains(self, address: str) -> bool:
        return address.lower() in await self.addresses()

    async def _reload(self) -> None:
        try:
            document = await self._fetch()
        except (httpx.HTTPError, ValueError) as error:
            logger.warning(
                "feature flags unavailable url=%s error=%s stale_copy=%s",
                self._url,
                type(error).__name__,
                self._addresses is not None,
            )
            # Back off rather than ask on every request: the stale copy (or the empty list)
            # holds until the next attempt.
            self._fetched_at = time.monotonic() - self._ttl + min(self._ttl, RETRY_SECONDS)
            return
        finally:
            self._refresh = None
        self._addresses = moderators_from(document)
        self._fetched_at = time.monotonic()
        logger.info("moderator allow-list refreshed count=%s", len(self._addresses))

    async def _fetch(self) -> Any:
        response = await self._client.get(
            self._url, headers={"Referer": self._referer}, timeout=self._timeout
        )
        response.raise_for_status()
        return response.json()


def moderators_from(document: Any) -> frozenset[str]:
    """The allow-list a feature-flags document grants; empty when the flag is off."""
    key = f"{APPLICATION}-{MODERATORS_FLAG}"
    if not isinstance(document, dict):
        return frozenset()
    flags, variants = document.get("flags"), document.get("variants")
    if not isinstance(flags, dict) or not flags.get(key) or not isinstance(variants, dict):
        return frozenset()
    variant = variants.get(key)
    payload = variant.get("payload") if isinstance(variant, dict) else None
    value = payload.get("value") if isinstance(payload, dict) else None
    if not isinstance(value, str):
        return frozenset()
    entries = (entry.strip().lower() for entry in value.replace("\n", "").split(","))
    return frozenset(entry for entry in entries if _ADDRESS.fullmatch(entry))
