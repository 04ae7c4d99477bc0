"""The shared HTTP helpers and the TTL caches, against the fake upstream server."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from config.errors import NotFoundError, ServiceUnavailableError, UpstreamError
from config.settings import Settings
from integrations.cache import AsyncBatchTTLCache, AsyncTTLCache
from integrations.http import (
    close_shared_http_client,
    create_http_client,
    get_json,
    post_json,
    shared_http_client,
)
from tests.fakes.upstreams import FakeUpstreams, ManualClock


def test_client_deadlines_come_from_the_timeout_setting(settings: Settings) -> None:
    client = create_http_client(settings)
    assert client.timeout.connect == 5.0
    assert client.timeout.read == 5.0


async def test_shared_client_is_one_per_process(settings: Settings) -> None:
    first = shared_http_client(settings)
    assert shared_http_client(settings) is first
    await close_shared_http_client()
    assert shared_http_client(settings) is not first
    await close_shared_http_client()


async def test_get_json_returns_the_body(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient
) -> None:
    fake.reply("GET", "/social/thing", json={"a": 1})
    assert await get_json(upstream_http, fake.base_url + "/social/thing", service="Thing") == {
        "a": 1
    }


async def test_post_json_sends_the_body(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient
) -> None:
    fake.reply("POST", "/social/thing", json=[1])
    assert await post_json(
        upstream_http, fake.base_url + "/social/thing", {"x": 2}, service="T"
    ) == [1]
    [request] = fake.requests("POST", "/social/thing")
    assert request.json() == {"x": 2}
    assert request.headers["content-type"] == "application/json"


async def test_non_2xx_is_an_upstream_error_naming_the_status(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient
) -> None:
    fake.reply("GET", "/social/thing", status=500, json={"error": "boom"})
    with pytest.raises(UpstreamError, match=r"Thing answered with status 500") as caught:
        await get_json(upstream_http, fake.base_url + "/social/thing", service="Thing")
    assert caught.value.status == 502


async def test_a_body_that_is_not_json_is_an_upstream_error(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient
) -> None:
    fake.reply("GET", "/social/thing", body=b"<html>")
    with pytest.raises(UpstreamError, match=r"not JSON"):
        await get_json(upstream_http, fake.base_url + "/social/thing", service="Thing")


async def test_a_silent_service_is_unavailable_instead_of_hanging(
    fake: FakeUpstreams, quick_http: httpx.AsyncClient
) -> None:
    fake.reply("GET", "/social/slow", json={}, delay=30)
    with pytest.raises(ServiceUnavailableError, match=r"did not answer in time") as caught:
        await get_json(quick_http, fake.base_url + "/social/slow", service="Thing")
    assert caught.value.status == 503


async def test_a_dropped_connection_is_unavailable(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient
) -> None:
    fake.reply("GET", "/social/drop", drop=True)
    with pytest.raises(ServiceUnavailableError, match=r"unreachable"):
        await get_json(upstream_http, fake.base_url + "/social/drop", service="Thing")


async def test_a_closed_port_is_unavailable(upstream_http: httpx.AsyncClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ServiceUnavailableError):
        await get_json(upstream_http, f"http://127.0.0.1:{port}/x", service="Thing")


class _Source:
    """A loader whose calls are counted and whose answer is released on demand."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.fail = False

    async def load(self) -> str:
        self.calls += 1
        await self.release.wait()
        if self.fail:
            raise UpstreamError("down")
        return f"value-{self.calls}"


async def test_concurrent_callers_share_one_load() -> None:
    cache: AsyncTTLCache[str, str] = AsyncTTLCache(maxsize=10)
    source = _Source()
    waiting = [asyncio.ensure_future(cache.get("k", source.load)) for _ in range(20)]
    await asyncio.sleep(0)
    source.release.set()
    assert await asyncio.gather(*waiting) == ["value-1"] * 20
    assert source.calls == 1


async def test_a_value_expires_after_its_ttl() -> None:
    clock = ManualClock()
    cache: AsyncTTLCache[str, str] = AsyncTTLCache(maxsize=10, ttl=300, clock=clock)
    source = _Source()
    source.release.set()
    assert await cache.get("k", source.load) == "value-1"
    clock.advance(299)
    assert await cache.get("k", source.load) == "value-1"
    clock.advance(2)
    assert await cache.get("k", source.load) == "value-2"


async def test_a_failure_is_not_cached() -> None:
    cache: AsyncTTLCache[str, str] = AsyncTTLCache(maxsize=10)
    source = _Source()
    source.release.set()
    source.fail = True
    with pytest.raises(UpstreamError):
        await cache.get("k", source.load)
    source.fail = False
    assert await cache.get("k", source.load) == "value-2"


async def test_a_cancelled_caller_does_not_cancel_the_shared_load() -> None:
    cache: AsyncTTLCache[str, str] = AsyncTTLCache(maxsize=10)
    source = _Source()
    impatient = asyncio.ensure_future(cache.get("k", source.load))
    patient = asyncio.ensure_future(cache.get("k", source.load))
    await asyncio.sleep(0)
    impatient.cancel()
    source.release.set()
    assert await patient == "value-1"


async def test_stale_copy_is_served_when_a_refresh_fails() -> None:
    clock = ManualClock()
    cache: AsyncTTLCache[str, str] = AsyncTTLCache(
        maxsize=10, ttl=300, clock=clock, keep_stale=True
    )
    source = _Source()
    source.release.set()
    assert await cache.get("k", source.load) == "value-1"
    clock.advance(301)
    source.fail = True
    assert await cache.get("k", source.load) == "value-1"
    assert source.calls == 2


async def test_without_stale_mode_an_expired_value_is_not_served_on_failure() -> None:
    clock = ManualClock()
    cache: AsyncTTLCache[str, str] = AsyncTTLCache(maxsize=10, ttl=300, clock=clock)
    source = _Source()
    source.release.set()
    await cache.get("k", source.load)
    clock.advance(301)
    source.fail = True
    with pytest.raises(UpstreamError):
        await cache.get("k", source.load)


async def test_the_cache_is_bounded() -> None:
    cache: AsyncTTLCache[int, int] = AsyncTTLCache(maxsize=2)

    async def load_one() -> int:
        return 1

    for key in range(5):
        await cache.get(key, load_one)
    assert sum(cache.peek(key) is not None for key in range(5)) == 2


async def test_batch_cache_loads_only_unknown_keys_and_remembers_absent_ones() -> None:
    clock = ManualClock()
    cache: AsyncBatchTTLCache[str, str] = AsyncBatchTTLCache(maxsize=10, ttl=300, clock=clock)
    asked: list[list[str]] = []

    async def load_many(keys: list[str]) -> dict[str, str]:
        asked.append(keys)
        return {k: k.upper() for k in keys if k != "ghost"}

    assert await cache.get_many(["a", "ghost"], load_many) == {"a": "A"}
    assert await cache.get_many(["a", "b", "ghost"], load_many) == {"a": "A", "b": "B"}
    assert asked == [["a", "ghost"], ["b"]]
    clock.advance(301)
    await cache.get_many(["a"], load_many)
    assert asked[-1] == ["a"]


async def test_batch_cache_shares_keys_in_flight_and_does_not_cache_failures() -> None:
    cache: AsyncBatchTTLCache[str, str] = AsyncBatchTTLCache(maxsize=10)
    release = asyncio.Event()
    asked: list[list[str]] = []
    fail = True

    async def load_many(keys: list[str]) -> dict[str, str]:
        asked.append(keys)
        await release.wait()
        if fail:
            raise NotFoundError("nobody")
        return {k: k.upper() for k in keys}

    first = asyncio.ensure_future(cache.get_many(["a"], load_many))
    second = asyncio.ensure_future(cache.get_many(["a"], load_many))
    await asyncio.sleep(0)
    release.set()
    for outcome in await asyncio.gather(first, second, return_exceptions=True):
        assert isinstance(outcome, NotFoundError)
    assert asked == [["a"]]

    fail = False
    assert await cache.get_many(["a"], load_many) == {"a": "A"}
    assert asked == [["a"], ["a"]]
