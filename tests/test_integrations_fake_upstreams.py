"""The fake upstream server run as its own process and programmed over HTTP, as a bench does."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.upstreams"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    base_url = process.stdout.readline().strip()
    try:
        yield base_url
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_a_separate_process_is_programmed_and_read_back_over_http(server: str) -> None:
    with httpx.Client(base_url=server, timeout=5) as client:
        client.post("/__control/reset")
        programmed = client.post(
            "/__control/reply",
            json={"method": "GET", "path": "/lambdas/thing", "json": {"x": 1}, "status": 201},
        )
        assert programmed.status_code == 200

        answer = client.get("/lambdas/thing", params={"q": "1"})
        assert answer.status_code == 201
        assert answer.json() == {"x": 1}

        [recorded] = client.get("/__control/requests").json()
        assert recorded["method"] == "GET"
        assert recorded["path"] == "/lambdas/thing"
        assert recorded["query"] == {"q": ["1"]}


def test_the_separate_process_plays_the_catalyst(server: str) -> None:
    entity = {"id": "bafk", "type": "scene", "pointers": ["1,1"], "metadata": {}}
    with httpx.Client(base_url=server, timeout=5) as client:
        client.post("/__control/reset")
        client.post("/__control/entities", json=entity)
        found = client.post("/catalyst/content/entities/active", json={"pointers": ["1,1"]})
        assert found.json() == [entity]
        assert client.get("/unprogrammed").status_code == 404
