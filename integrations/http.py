"""The one HTTP client the process uses for outside services, and the calls made through it.

Every request has a connect and a read deadline, so a silent service costs at most
`OUTSIDE_REQUEST_TIMEOUT_MS` and never holds a caller. A service that cannot be reached
becomes `ServiceUnavailableError` (503); one that answers with an unusable status or body
becomes `UpstreamError` (502).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from config.errors import ServiceUnavailableError, UpstreamError
from config.settings import Settings

logger = logging.getLogger(__name__)

MAX_CONNECTIONS = 100
MAX_KEEPALIVE_CONNECTIONS = 20

_shared: httpx.AsyncClient | None = None


def create_http_client(settings: Settings) -> httpx.AsyncClient:
    """A client with the service's deadlines and connection limits."""
    seconds = settings.OUTSIDE_REQUEST_TIMEOUT_MS / 1000
    return httpx.AsyncClient(
        timeout=httpx.Timeout(seconds, connect=seconds, read=seconds, write=seconds, pool=seconds),
        limits=httpx.Limits(
            max_connections=MAX_CONNECTIONS,
            max_keepalive_connections=MAX_KEEPALIVE_CONNECTIONS,
        ),
        follow_redirects=True,
        headers={"User-Agent": "comms-gatekeeper"},
    )


def shared_http_client(settings: Settings) -> httpx.AsyncClient:
    """The process-wide client, made on first use from the first settings given."""
    global _shared
    if _shared is None or _shared.is_closed:
        _shared = create_http_client(settings)
    return _shared


async def close_shared_http_client() -> None:
    global _shared
    if _shared is not None:
        await _shared.aclose()
        _shared = None


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    service: str,
    json: Any = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Send one request; a transport failure or timeout becomes `ServiceUnavailableError`."""
    try:
        if json is None:
            return await client.request(method, url, headers=headers)
        return await client.request(method, url, json=json, headers=headers)
    except httpx.TimeoutException:
        logger.warning("outside request timed out service=%s method=%s", service, method)
        raise ServiceUnavailableError(f"{service} did not answer in time") from None
    except httpx.HTTPError as error:
        logger.warning(
            "outside request failed service=%s method=%s error=%s",
            service,
            method,
            type(error).__name__,
        )
        raise ServiceUnavailableError(f"{service} is unreachable") from None


def json_body(response: httpx.Response, *, service: str) -> Any:
    """The JSON of a 2xx response; any other status or a body that is not JSON is a 502."""
    if not response.is_success:
        logger.warning(
            "outside service answered with an error service=%s status=%s",
            service,
            response.status_code,
        )
        raise UpstreamError(f"{service} answered with status {response.status_code}")
    try:
        return response.json()
    except ValueError:
        logger.warning("outside service sent a body that is not JSON service=%s", service)
        raise UpstreamError(f"{service} sent a body that is not JSON") from None


async def get_json(
    client: httpx.AsyncClient,
    url: str,
    *,
    service: str,
    headers: dict[str, str] | None = None,
) -> Any:
    response = await send(client, "GET", url, service=service, headers=headers)
    return json_body(response, service=service)


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    body: Any,
    *,
    service: str,
    headers: dict[str, str] | None = None,
) -> Any:
    response = await send(client, "POST", url, service=service, json=body, headers=headers)
    return json_body(response, service=service)
