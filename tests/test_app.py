"""The application as a whole: health, the reference's ping and status, error shapes, events."""

from __future__ import annotations

import time

import httpx
from fastapi import FastAPI

from api.runtime import Runtime
from tests.fakes.sns import SnsQueue


async def test_ready_when_database_and_room_hosts_answer(http: httpx.AsyncClient) -> None:
    response = await http.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "roomHosts": 2,
        "roomSnapshots": "listening",
    }
    assert (await http.get("/health/live")).json() == {"status": "ok"}


async def test_ping_answers_its_path_and_status_the_time(http: httpx.AsyncClient) -> None:
    ping = await http.get("/ping")
    assert (ping.status_code, ping.text) == (200, "/ping")
    before = time.time_ns() // 1_000_000
    status = (await http.get("/status")).json()
    assert status["version"] == ""
    assert status["commitHash"] == ""
    assert before <= status["currentTime"] <= time.time_ns() // 1_000_000


async def test_unknown_path_and_method_get_json_errors(http: httpx.AsyncClient) -> None:
    missing = await http.get("/no-such-thing")
    assert (missing.status_code, missing.json()) == (404, {"error": "Not Found"})
    wrong = await http.post("/ping")
    assert (wrong.status_code, wrong.content) == (405, b"")
    assert "GET" in wrong.headers["allow"]


async def test_events_reach_the_topic_with_their_attributes(app: FastAPI, sns: SnsQueue) -> None:
    runtime: Runtime = app.state.runtime
    sns.drain()
    event = {"type": "comms", "subType": "test-event", "key": "k-1", "timestamp": 1, "metadata": {}}
    assert await runtime.services.events.publish(event)
    [received] = sns.drain()
    assert received["_attributes"] == {"type": "comms", "subType": "test-event"}
    assert {k: v for k, v in received.items() if k != "_attributes"} == event
