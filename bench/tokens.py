"""Tokens per second from /get-scene-adapter, for a Genesis City scene and for a world.

Starts everything it needs on 127.0.0.1: a throwaway database on the machine's PostgreSQL,
the fake outside services and the fake LiveKit (each a subprocess), and `comms-gatekeeper
serve` itself. Requests are signed before each phase by a pool of wallets (the signature
window is 60 s) and replayed over keep-alive HTTP/1.1 connections by a lean asyncio client,
after a warm-up that fills the caches and activates the place rooms.

    .venv/bin/python -m bench.tokens [--workers N] [--seconds S] [--wallets W]

Prints throughput, p50 and p99 per phase, and the CPU the server used (its own processes
apart from everything it started, Ray included).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import psutil

from tests.signing import Identity, make_identity, signed_headers

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
LIVEKIT_KEY = "bench-key"
LIVEKIT_SECRET = "bench-secret-long-enough-for-hs256-signing-0000"
SERVICE_TOKEN = "bench-service-token"

SCENE_PARCEL = "10,20"
SCENE_ID = "bafkreibenchgenesisscene"
WORLD = "benchworld.dcl.eth"
WORLD_PARCEL = "0,0"
WORLD_SCENE = "bafkreibenchworldscene"
PATH = "/get-scene-adapter"
NO_RIGHTS = {
    "owner": False,
    "operator": False,
    "updateOperator": False,
    "updateManager": False,
    "approvedForAll": False,
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_fake(module: str, *args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(  # noqa: S603 - our own modules
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url:
        raise RuntimeError(f"{module} did not start")
    return process, url


def control(base: str, action: str, body: Any) -> None:
    request = urllib.request.Request(  # noqa: S310 - our own fake, plain http
        f"{base}/__control/{action}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - our own fake
        answer.read()


def program_upstreams(base: str, wallets: list[Identity]) -> None:
    def reply(method: str, path: str, json_body: Any, query: dict[str, str] | None = None) -> None:
        spec: dict[str, Any] = {"method": method, "path": path, "json": json_body}
        if query:
            spec["query"] = query
        control(base, "reply", spec)

    land = {
        "id": str(uuid.uuid4()),
        "title": "Bench plaza",
        "positions": [SCENE_PARCEL],
        "base_position": SCENE_PARCEL,
    }
    world_place = {
        "id": str(uuid.uuid4()),
        "title": "Bench world",
        "positions": [WORLD_PARCEL],
        "base_position": WORLD_PARCEL,
        "world": True,
        "world_name": WORLD,
    }
    reply("GET", "/places-api/places", {"data": [land]}, {"positions": SCENE_PARCEL})
    reply(
        "GET",
        "/places-api/places",
        {"data": [world_place]},
        {"positions": WORLD_PARCEL, "names": WORLD},
    )
    reply("GET", f"/places-api/worlds/{WORLD}", {"data": world_place})
    reply(
        "GET",
        f"/worlds/world/{WORLD}/permissions",
        {
            "owner": "0x" + "0" * 40,
            "permissions": {
                "deployment": {"type": "allow-list", "wallets": []},
                "access": {"type": "unrestricted"},
                "streaming": {"type": "allow-list", "wallets": []},
            },
        },
    )
    reply("GET", "/denylist/denylist.json", {"users": []})
    reply("GET", "/leases/authorizations.json", [])
    x, y = SCENE_PARCEL.split(",")
    for wallet in wallets:
        address = wallet.lower_address
        reply("GET", f"/lambdas/users/{address}/parcels/{x}/{y}/permissions", NO_RIGHTS)
        reply("GET", f"/lambdas/users/{address}/names", {"elements": []})


def start_server(
    database_url: str, upstreams: str, livekit: str, workers: int
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        **os.environ,
        "ENV": "bench",
        "PG_COMPONENT_PSQL_CONNECTION_STRING": database_url,
        "PROD_LIVEKIT_HOST": livekit,
        "PROD_LIVEKIT_API_KEY": LIVEKIT_KEY,
        "PROD_LIVEKIT_API_SECRET": LIVEKIT_SECRET,
        "COMMS_GATEKEEPER_AUTH_TOKEN": SERVICE_TOKEN,
        "HTTP_SERVER_HOST": "127.0.0.1",
        "HTTP_SERVER_PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "SCENE_ROOM_PREFIX": "scene-",
        "WORLD_ROOM_PREFIX": "world-prod-scene-room-",
        "PLACES_API_URL": f"{upstreams}/places-api",
        "WORLD_CONTENT_URL": f"{upstreams}/worlds",
        "LAMBDAS_URL": f"{upstreams}/lambdas",
        "CATALYST_CONTENT_URL": f"{upstreams}/catalyst/content",
        "CATALYST_URL": f"{upstreams}/catalyst",
        "DENYLIST_JSON_URL": f"{upstreams}/denylist/denylist.json",
        "LAND_LEASE_AUTHORIZATIONS_URL": f"{upstreams}/leases/authorizations.json",
        "SOCIAL_SERVICE_URL": f"{upstreams}/social",
        "FF_URL": f"{upstreams}/feature-flags",
    }
    env.pop("RAY_ADDRESS", None)
    command = [str(Path(sys.executable).with_name("comms-gatekeeper")), "--log-level", "warning"]
    server = subprocess.Popen([*command, "serve"], cwd=ROOT, env=env)  # noqa: S603
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited during start-up")
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/health/ready", timeout=2
            ) as answer:
                if answer.status == 200:
                    return server, port
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not become ready")


def request_bytes(identity: Identity, metadata: dict[str, Any], port: int) -> bytes:
    headers = signed_headers(identity, "POST", PATH, metadata)
    lines = [f"POST {PATH} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Content-Length: 0"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def sign_all(
    wallets: list[Identity], metadata: dict[str, Any], port: int, per_wallet: int
) -> list[bytes]:
    signed: list[bytes] = []
    for round_ in range(per_wallet):
        for wallet in wallets:
            meta = {**metadata, "deviceIdentifier": f"device-{round_}"}
            signed.append(request_bytes(wallet, meta, port))
    return signed


@dataclass
class Phase:
    name: str
    concurrency: int
    done: int
    errors: int
    seconds: float
    latencies: list[float]
    server_cpu: float
    all_cpu: float
    client_cpu: float


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def _worker(
    port: int,
    requests: list[bytes],
    offset: int,
    stop_at: float,
    latencies: list[float],
    counts: list[int],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    index = offset
    try:
        while time.perf_counter() < stop_at:
            payload = requests[index % len(requests)]
            index += 7
            started = time.perf_counter()
            writer.write(payload)
            status = await _read_response(reader)
            latencies.append(time.perf_counter() - started)
            counts[0 if status == 200 else 1] += 1
    finally:
        writer.close()


def _cpu(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _fronts_and_all(server: psutil.Process) -> tuple[list[psutil.Process], list[psutil.Process]]:
    everything = [server, *server.children(recursive=True)]
    fronts = [server] + [p for p in server.children() if "ray" not in " ".join(p.cmdline()).lower()]
    return fronts, everything


async def run_phase(
    name: str,
    port: int,
    requests: list[bytes],
    concurrency: int,
    seconds: float,
    server: psutil.Process,
) -> Phase:
    latencies: list[float] = []
    counts = [0, 0]
    fronts, everything = _fronts_and_all(server)
    front_before, all_before = _cpu(fronts), _cpu(everything)
    client = psutil.Process()
    client_before = _cpu([client])
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(
        *(_worker(port, requests, i, stop_at, latencies, counts) for i in range(concurrency))
    )
    elapsed = time.perf_counter() - started
    return Phase(
        name,
        concurrency,
        counts[0],
        counts[1],
        elapsed,
        latencies,
        (_cpu(fronts) - front_before) / elapsed,
        (_cpu(everything) - all_before) / elapsed,
        (_cpu([client]) - client_before) / elapsed,
    )


def report(phase: Phase) -> None:
    ordered = sorted(phase.latencies)
    p50 = statistics.median(ordered) * 1000 if ordered else 0.0
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000 if ordered else 0.0
    print(
        f"{phase.name:<14} c={phase.concurrency:<3} {phase.done / phase.seconds:8.0f} tokens/s  "
        f"p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  errors {phase.errors:<4} "
        f"server CPU {phase.server_cpu * 100:4.0f}% (all its processes "
        f"{phase.all_cpu * 100:4.0f}%)  load generator {phase.client_cpu * 100:3.0f}%",
        flush=True,
    )


async def bench(port: int, server: psutil.Process, wallets: list[Identity], seconds: float) -> None:
    scene = {
        "signer": "dcl:explorer",
        "realmName": "main",
        "sceneId": SCENE_ID,
        "parcel": SCENE_PARCEL,
    }
    world = {
        "signer": "dcl:explorer",
        "realmName": WORLD,
        "sceneId": WORLD_SCENE,
        "parcel": WORLD_PARCEL,
    }
    for name, metadata in (("scene", scene), ("world", world)):
        for concurrency in (16, 64):
            # Fresh signatures per phase: each phase fits in the 60 s window.
            requests = sign_all(wallets, metadata, port, per_wallet=4)
            warm = await run_phase(f"{name} warm-up", port, requests, 8, 2.0, server)
            if warm.errors:
                print(f"warm-up saw {warm.errors} errors", flush=True)
            report(await run_phase(name, port, requests, concurrency, seconds, server))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1")))
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--wallets", type=int, default=64)
    options = parser.parse_args()

    database = f"gatekeeper_bench_{uuid.uuid4().hex[:10]}"
    database_url = POSTGRES.rsplit("/", 1)[0] + f"/{database}"

    async def create() -> None:
        admin = await asyncpg.connect(POSTGRES)
        await admin.execute(f'CREATE DATABASE "{database}"')
        await admin.close()

    async def drop() -> None:
        admin = await asyncpg.connect(POSTGRES)
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()

    asyncio.run(create())
    started: list[subprocess.Popen[Any]] = []
    try:
        upstreams_process, upstreams = start_fake("tests.fakes.upstreams")
        started.append(upstreams_process)
        livekit_process, livekit = start_fake(
            "tests.fakes.livekit", "--api-key", LIVEKIT_KEY, "--api-secret", LIVEKIT_SECRET
        )
        started.append(livekit_process)
        wallets = [make_identity() for _ in range(options.wallets)]
        program_upstreams(upstreams, wallets)
        server_process, port = start_server(database_url, upstreams, livekit, options.workers)
        started.append(server_process)
        print(
            f"server pid={server_process.pid} workers={options.workers} "
            f"wallets={options.wallets} cpus={psutil.cpu_count()}",
            flush=True,
        )
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        asyncio.run(bench(port, psutil.Process(server_process.pid), wallets, options.seconds))
    finally:
        for process in reversed(started):
            process.terminate()
        for process in reversed(started):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        asyncio.run(drop())


if __name__ == "__main__":
    main()
