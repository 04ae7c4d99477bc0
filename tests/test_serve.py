"""`comms-gatekeeper serve` with nothing configured: local Ray, embedded PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest

from storage.embedded import EmbeddedPostgres

STARTUP_SECONDS = 180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Service:
    def __init__(self, data_dir: Path, **extra: str) -> None:
        self.port = free_port()
        environment = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("PG_COMPONENT_PSQL_", "RAY_", "ROOM_"))
        }
        environment |= {
            "DATA_DIR": str(data_dir),
            "HTTP_SERVER_HOST": "127.0.0.1",
            "HTTP_SERVER_PORT": str(self.port),
            "ROOM_HOSTS": "1",
            **extra,
        }
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            [str(Path(sys.executable).with_name("comms-gatekeeper")), "serve"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self) -> httpx.Response:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                assert self.process.stderr is not None
                raise AssertionError(f"service exited: {self.process.stderr.read()[-3000:]}")
            try:
                response = httpx.get(self.url("/health/ready"), timeout=5)
            except httpx.TransportError:
                time.sleep(0.5)  # the process is still starting; there is no event to await
                continue
            if response.status_code == 200:
                return response
            time.sleep(0.5)
        raise AssertionError("service did not become ready")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        _, errors = self.process.communicate(timeout=60)
        # uvicorn shuts down in order, then exits by the signal it caught.
        assert self.process.returncode in (0, -signal.SIGTERM), errors[-3000:]
        assert "runtime stopped" in errors


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


async def write_marker(data_dir: Path) -> None:
    connection = await asyncpg.connect(EmbeddedPostgres(data_dir).start())
    await connection.execute(
        "INSERT INTO scene_bans (id, place_id, banned_address, banned_by, banned_at) "
        "VALUES (gen_random_uuid(), 'marker', '0xkept', '0xowner', 1)"
    )
    await connection.close()


async def read_marker(data_dir: Path) -> list[str]:
    connection = await asyncpg.connect(EmbeddedPostgres(data_dir).start())
    try:
        rows = await connection.fetch(
            "SELECT banned_address FROM scene_bans WHERE place_id = 'marker'"
        )
        return [row["banned_address"] for row in rows]
    finally:
        await connection.close()


def test_serve_with_nothing_configured_is_ready_and_keeps_its_data(data_dir: Path) -> None:
    first = Service(data_dir)
    try:
        ready = first.wait_ready()
        assert ready.json()["database"] == "ok"
        assert ready.json()["roomHosts"] == 1
        assert httpx.get(first.url("/ping")).text == "/ping"

        asyncio.run(write_marker(data_dir))
    finally:
        first.stop()

    second = Service(data_dir)
    try:
        second.wait_ready()
        assert asyncio.run(read_marker(data_dir)) == ["0xkept"]
    finally:
        second.stop()
    EmbeddedPostgres(data_dir).stop()


def test_serve_with_several_workers_shares_one_ray_and_database(data_dir: Path) -> None:
    service = Service(data_dir, WEB_CONCURRENCY="2")
    try:
        ready = service.wait_ready()
        assert ready.json()["roomHosts"] == 1
        workers = [
            child
            for child in psutil.Process(service.process.pid).children(recursive=True)
            if "multiprocessing" in " ".join(child.cmdline())
            and "spawn_main" in " ".join(child.cmdline())
        ]
        assert len(workers) == 2
        for _ in range(6):  # new connections land on either worker
            assert httpx.get(service.url("/health/ready"), timeout=10).status_code == 200
    finally:
        service.stop()
