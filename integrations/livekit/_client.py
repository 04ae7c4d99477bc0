"""The HTTP side shared by the LiveKit server-API clients: one session, timeouts, errors.

livekit-api speaks Twirp over aiohttp. Its failures arrive as `ServerError` (LiveKit answered
with an error) or as aiohttp/timeout errors (LiveKit did not answer); both are turned here
into the service's own errors so no caller handles a livekit or aiohttp type.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

import aiohttp
from livekit import api

from config.errors import GatekeeperError, NotFoundError, ServiceUnavailableError, UpstreamError

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT_SECONDS = 5.0

_UNAVAILABLE_CODES = frozenset({"unavailable", "deadline_exceeded", "canceled"})


def api_url(host: str) -> str:
    """The server-API base URL for a LiveKit host given as ws(s)://, http(s):// or bare."""
    if "://" not in host:
        host = f"https://{host}"
    return host.rstrip("/")


class LiveKitClient:
    """Owns the aiohttp session and the livekit-api services bound to it.

    The session is opened on first use, inside the running event loop, and closed by
    `close()`. Every request is bounded by `timeout_seconds` (connecting included).
    """

    def __init__(
        self,
        host: str,
        api_key: str,
        api_secret: str,
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.host = host
        self._url = api_url(host)
        self._api_key = api_key
        self._api_secret = api_secret
        self.timeout_seconds = timeout_seconds
        self._timeout = aiohttp.ClientTimeout(
            total=timeout_seconds, connect=timeout_seconds, sock_connect=timeout_seconds
        )
        self._session: aiohttp.ClientSession | None = None
        self._api: api.LiveKitAPI | None = None

    @property
    def livekit(self) -> api.LiveKitAPI:
        if self._api is None or self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
            # Region failover only exists on LiveKit Cloud and would retry behind our back.
            self._api = api.LiveKitAPI(
                self._url,
                self._api_key,
                self._api_secret,
                session=self._session,
                failover=False,
            )
        return self._api

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
        self._api = None

    async def call(self, method: str, request: Awaitable[T]) -> T:
        """Await one server-API request, translating its failures."""
        try:
            # livekit-api hands aiohttp `timeout=None`, which switches the session's
            # timeout off, so the bound is enforced here around the whole request.
            async with asyncio.timeout(self.timeout_seconds):
                return await request
        except api.ServerError as error:
            raise self._answered_error(method, error) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            logger.warning(
                "livekit unreachable method=%s host=%s error=%s",
                method,
                self.host,
                type(error).__name__,
            )
            raise ServiceUnavailableError(
                f"LiveKit at {self.host} did not answer {method} ({type(error).__name__})"
            ) from None

    def _answered_error(self, method: str, error: api.ServerError) -> GatekeeperError:
        if error.code == "not_found":
            return NotFoundError(error.message or f"LiveKit {method}: not found")
        logger.warning(
            "livekit error method=%s host=%s code=%s status=%s",
            method,
            self.host,
            error.code,
            error.status,
        )
        detail = f"LiveKit {method} failed: {error.code} {error.message}".rstrip()
        if error.code in _UNAVAILABLE_CODES or error.status == 503:
            return ServiceUnavailableError(detail)
        return UpstreamError(detail)
