"""Signed-fetch (ADR-44) request verification, in the order the reference checks:
chain → timestamp → freshness window → metadata → route guard → payload → signatures.

The window comes before anything costly, so stale requests never reach the crypto.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from config.errors import SignedFetchError
from integrations.signed_fetch.catalyst import CatalystSignatureChecker
from integrations.signed_fetch.chain import (
    ChainError,
    EphemeralCache,
    check_personal_chain,
    is_contract_wallet_chain,
    read_chain,
)
from integrations.signed_fetch.jsnumbers import js_number, js_number_text
from integrations.signed_fetch.text import clip

TIMESTAMP_HEADER = "x-identity-timestamp"
METADATA_HEADER = "x-identity-metadata"
DEFAULT_WINDOW_MS = 60_000

MetadataGuard = Callable[[dict[str, Any]], bool]
Clock = Callable[[], int]


@dataclass(frozen=True, slots=True)
class Verification:
    """Who signed the request (lower-case address) and the metadata they signed."""

    address: str
    metadata: dict[str, Any]


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class SignedFetchVerifier:
    """Checks signed requests; one per process, shared by every route that needs it."""

    def __init__(
        self,
        *,
        window_ms: int = DEFAULT_WINDOW_MS,
        catalyst: CatalystSignatureChecker | None = None,
        clock: Clock = wall_clock_ms,
        cache: EphemeralCache | None = None,
    ) -> None:
        self._window_ms = window_ms
        self._catalyst = catalyst
        self._clock = clock
        self.cache = cache if cache is not None else EphemeralCache()

    async def verify(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        guard: MetadataGuard | None = None,
    ) -> Verification:
        """The request's signer, or SignedFetchError with the reference's status and text.

        `path` is the raw (still percent-encoded) request path without its query;
        `headers` maps lower-case names to values, duplicates already joined with ", ".
        """
        links = read_chain(headers)
        raw_timestamp = headers.get(TIMESTAMP_HEADER)
        timestamp = js_number(raw_timestamp or "0")
        if not math.isfinite(timestamp):
            message = f"Invalid chain timestamp: {clip(raw_timestamp or '')}"
            raise SignedFetchError(400, message)

        now = self._clock()
        self._check_window(timestamp, now)

        raw_metadata = headers.get(METADATA_HEADER)
        metadata = _parse_metadata(raw_metadata)
        if guard is not None and not guard(metadata):
            shown = json.dumps(metadata, separators=(",", ":"), ensure_ascii=False)
            raise SignedFetchError(400, f"Invalid metadata content: {shown}")

        payload = f"{method}:{path}:{raw_timestamp or ''}:{raw_metadata or ''}".lower()
        if is_contract_wallet_chain(links):
            if self._catalyst is None:
                raise SignedFetchError(503, "No catalyst configured for contract wallets")
            await self._catalyst.check(links, payload)
        else:
            try:
                check_personal_chain(links, payload, now, self.cache)
            except ChainError as error:
                raise SignedFetchError(401, f"Invalid signature: {error}") from None
        return Verification(address=links[0].payload.lower(), metadata=metadata)

    async def verify_optional(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        guard: MetadataGuard | None = None,
    ) -> Verification | None:
        """Like `verify`, but any failure means an anonymous request (None)."""
        try:
            return await self.verify(method, path, headers, guard)
        except SignedFetchError:
            return None

    def _check_window(self, timestamp: float, now: int) -> None:
        window = self._window_ms
        if timestamp + window < now:
            raise SignedFetchError(
                401,
                f"Expired signature: signature timestamp: {js_number_text(timestamp)}, "
                f"timestamp expiration: {js_number_text(timestamp + window)}, "
                f"local timestamp: {now}",
            )
        if timestamp > now + window:
            raise SignedFetchError(
                401,
                "Signature timestamp is too far in the future: "
                f"signature timestamp: {js_number_text(timestamp)}, local timestamp: {now}",
            )


def _parse_metadata(raw: str | None) -> dict[str, Any]:
    if raw is None:
        return {}
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except ValueError:
        value = _NOT_JSON
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SignedFetchError(400, f'Invalid chain metadata: "{clip(raw)}"')
    return value


_NOT_JSON = object()


def _refuse_constant(name: str) -> object:
    raise ValueError(name)


def join_headers(pairs: Iterable[tuple[bytes | str, bytes | str]]) -> dict[str, str]:
    """Lower-case header names mapped to values, repeated headers joined with ", " as Node
    joins them. `pairs` is an iterable of (name, value), as bytes (ASGI) or str."""
    joined: dict[str, str] = {}
    for name, value in pairs:
        key = (name.decode("latin-1") if isinstance(name, bytes) else name).lower()
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        joined[key] = f"{joined[key]}, {text}" if key in joined else text
    return joined
