"""Fixtures for tests of the outside-service clients against fake servers on 127.0.0.1.

Each test module gets its own fake servers (module scope); a test asking for `fake` or
`livekit` gets them emptied first, so programmed replies never leak between tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from config.settings import Settings, load_settings
from integrations.denylist import DenyList
from integrations.http import create_http_client
from integrations.lambdas import LambdasClient
from integrations.land_leases import LandLeases
from integrations.places import PlacesClient
from integrations.worlds import WorldsClient
from tests.fakes.livekit import FakeLiveKit
from tests.fakes.upstreams import FakeUpstreams, ManualClock

LIVEKIT_KEY = "APItestkey"
LIVEKIT_SECRET = "a-test-secret-long-enough-for-hs256-signing"


@pytest.fixture(scope="module")
def upstream_server() -> Iterator[FakeUpstreams]:
    with FakeUpstreams() as server:
        yield server


@pytest.fixture
def fake(upstream_server: FakeUpstreams) -> FakeUpstreams:
    upstream_server.reset()
    return upstream_server


@pytest.fixture(scope="module")
def settings(upstream_server: FakeUpstreams) -> Settings:
    return load_settings(**upstream_server.settings_overrides(), OUTSIDE_REQUEST_TIMEOUT_MS=5000)


@pytest.fixture(scope="module")
async def upstream_http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with create_http_client(settings) as client:
        yield client


@pytest.fixture
async def quick_http() -> AsyncIterator[httpx.AsyncClient]:
    """A client with a short deadline, for services that never answer."""
    async with create_http_client(load_settings(OUTSIDE_REQUEST_TIMEOUT_MS=200)) as client:
        yield client


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def worlds(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient, settings: Settings, clock: ManualClock
) -> WorldsClient:
    return WorldsClient(upstream_http, settings, clock=clock)


@pytest.fixture
def places(
    worlds: WorldsClient, upstream_http: httpx.AsyncClient, settings: Settings, clock: ManualClock
) -> PlacesClient:
    return PlacesClient(upstream_http, settings, worlds, clock=clock)


@pytest.fixture
def lambdas(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient, settings: Settings, clock: ManualClock
) -> LambdasClient:
    return LambdasClient(upstream_http, settings, clock=clock)


@pytest.fixture
def denylist(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient, settings: Settings, clock: ManualClock
) -> DenyList:
    return DenyList(upstream_http, settings, clock=clock)


@pytest.fixture
def leases(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient, settings: Settings, clock: ManualClock
) -> LandLeases:
    return LandLeases(upstream_http, settings, clock=clock)


@pytest.fixture(scope="module")
def livekit_server() -> Iterator[FakeLiveKit]:
    with FakeLiveKit(api_key=LIVEKIT_KEY, api_secret=LIVEKIT_SECRET) as server:
        yield server


@pytest.fixture
def livekit(livekit_server: FakeLiveKit) -> FakeLiveKit:
    livekit_server.reset()
    return livekit_server
