"""Catalyst content-server lookups against the fake catalyst."""

from __future__ import annotations

import httpx
import pytest

from config.errors import ServiceUnavailableError, UpstreamError
from config.settings import load_settings
from integrations.catalyst import CatalystClient
from tests.fakes.upstreams import FakeUpstreams, ManualClock

ACTIVE = "/catalyst/content/entities/active"
SCENE = {
    "version": "v3",
    "id": "bafkscene",
    "type": "scene",
    "pointers": ["10,20", "10,21"],
    "timestamp": 1700000000000,
    "content": [],
    "metadata": {"scene": {"base": "10,20", "parcels": ["10,20", "10,21"]}},
}


@pytest.fixture(autouse=True)
def _scene(fake: FakeUpstreams) -> None:
    fake.add_entity(SCENE)


def catalyst_with(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient, clock: ManualClock, **settings: int
) -> CatalystClient:
    return CatalystClient(
        upstream_http, load_settings(**fake.settings_overrides(), **settings), clock=clock
    )


async def test_entity_by_id_reads_the_active_entity(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient, clock: ManualClock
) -> None:
    catalyst = catalyst_with(fake, upstream_http, clock)
    entity = await catalyst.entity_by_id("bafkscene")
    assert entity is not None
    assert entity.id == "bafkscene"
    assert entity.pointers == ("10,20", "10,21")
    assert entity.base_parcel == "10,20"
    assert fake.requests("POST", ACTIVE)[0].json() == {"ids": ["bafkscene"]}


async def test_unknown_entity_is_none(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient, clock: ManualClock
) -> None:
    assert await catalyst_with(fake, upstream_http, clock).entity_by_id("nothing") is None


async def test_active_entities_by_pointer(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient, clock: ManualClock
) -> None:
    catalyst = catalyst_with(fake, upstream_http, clock)
    assert [e.id for e in await catalyst.active_entities(["10,21"])] == ["bafkscene"]
    assert await catalyst.active_entities(["0,0"]) == []
    assert fake.requests("POST", ACTIVE)[0].json() == {"pointers": ["10,21"]}


async def test_cache_ttl_comes_from_the_settings(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient, clock: ManualClock
) -> None:
    catalyst = catalyst_with(fake, upstream_http, clock, CONTENT_CLIENT_CACHE_TTL=10_000)
    await catalyst.entity_by_id("bafkscene")
    clock.advance(9)
    await catalyst.entity_by_id("bafkscene")
    assert len(fake.requests("POST", ACTIVE)) == 1
    clock.advance(2)
    await catalyst.entity_by_id("bafkscene")
    assert len(fake.requests("POST", ACTIVE)) == 2


async def test_cache_size_comes_from_the_settings(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient, clock: ManualClock
) -> None:
    catalyst = catalyst_with(fake, upstream_http, clock, CONTENT_CLIENT_CACHE_MAX=1)
    await catalyst.entity_by_id("bafkscene")
    await catalyst.active_entities(["10,20"])
    await catalyst.entity_by_id("bafkscene")
    assert len(fake.requests("POST", ACTIVE)) == 3


async def test_catalyst_error_is_a_502(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient, clock: ManualClock
) -> None:
    fake.reply("POST", ACTIVE, status=500, json={})
    with pytest.raises(UpstreamError):
        await catalyst_with(fake, upstream_http, clock).entity_by_id("bafkscene")


async def test_catalyst_down_is_a_503(
    fake: FakeUpstreams, quick_http: httpx.AsyncClient, clock: ManualClock
) -> None:
    fake.reply("POST", ACTIVE, json=[], delay=30)
    with pytest.raises(ServiceUnavailableError):
        await catalyst_with(fake, quick_http, clock).active_entities(["10,20"])


async def test_fake_catalyst_serves_the_entity_file_like_a_real_one(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient
) -> None:
    response = await upstream_http.get(fake.base_url + "/catalyst/content/contents/bafkscene")
    assert response.status_code == 200
    assert "id" not in response.json()
    assert response.json()["metadata"] == SCENE["metadata"]
    missing = await upstream_http.get(fake.base_url + "/catalyst/content/contents/nothing")
    assert missing.status_code == 404
