"""Room-host figures: message rate and latency through an async front, activation, memory.

Runs a local Ray with two room hosts against a throwaway database (the machine's PostgreSQL at
TEST_POSTGRES_URL / 127.0.0.1:5432, or an embedded one) and prints:
  - read and write messages per second, p50/p99, with 1 and 256 messages in flight;
  - cold activation p50/p99 (one in flight);
  - heap growth per active room at 10,000 and 100,000 rooms, measured with tracemalloc inside
    the hosts.

    .venv/bin/python bench/actors.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import ray

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from actors.client import RoomClient
from actors.cluster import ensure_hosts
from actors.host import HostConfig
from actors.placement import NAMESPACE
from storage.database import create_pool
from storage.embedded import EmbeddedPostgres
from storage.migrate import migrate

SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def drive(
    rooms: RoomClient, keys: list[str], in_flight: int, seconds: float, write: bool
) -> tuple[float, float, float]:
    """Messages/s, p50 ms, p99 ms for `in_flight` concurrent senders over `seconds`."""
    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    counter = 0

    async def sender(worker: int) -> None:
        nonlocal counter
        while time.perf_counter() < stop:
            counter += 1
            key = keys[counter % len(keys)]
            started = time.perf_counter()
            if write:
                await rooms.call(key, "add_ban", f"0x{worker:04x}{counter:08x}", "0xbench")
            else:
                await rooms.call(key, "is_banned", "0xnobody")
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(sender(w) for w in range(in_flight)))
    elapsed = time.perf_counter() - began
    return (
        len(latencies) / elapsed,
        percentile(latencies, 0.50) * 1000,
        percentile(latencies, 0.99) * 1000,
    )


async def activate(rooms: RoomClient, keys: list[str], in_flight: int = 256) -> None:
    queue = iter(keys)

    async def worker() -> None:
        for key in queue:
            await rooms.call(key, "is_banned", "0xnobody")

    await asyncio.gather(*(worker() for _ in range(in_flight)))


async def run(seconds: float) -> None:
    embedded: EmbeddedPostgres | None = None
    try:
        admin = await asyncpg.connect(SERVER, timeout=3)
        server = SERVER
    except (OSError, asyncpg.PostgresError):
        embedded = EmbeddedPostgres(Path(tempfile.mkdtemp()) / "pg")
        server = embedded.start()
        admin = await asyncpg.connect(server)
    name = f"gatekeeper_bench_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = server.rsplit("/", 1)[0] + "/" + name
    try:
        await migrate(url)
        pool = await create_pool(url, 4)
        ray.init(namespace=NAMESPACE, include_dashboard=False, logging_level=logging.ERROR)
        membership = await ensure_hosts(pool, HostConfig(url, 3600.0, 8), 2)
        rooms = RoomClient(membership)
        hosts = [await rooms.host(i) for i in range(membership.host_count)]

        keys = [f"place:{uuid.uuid4()}" for _ in range(1000)]
        await activate(rooms, keys)
        print(f"room hosts: {membership.host_count}; active rooms: {len(keys)}")
        for write in (False, True):
            for in_flight in (1, 256):
                rate, p50, p99 = await drive(rooms, keys, in_flight, seconds, write)
                kind = "write" if write else "read"
                print(
                    f"{kind:5} in flight {in_flight:3}: {rate:9,.0f} msg/s  "
                    f"p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
                )

        await asyncio.gather(*(h.passivate_idle.remote(0) for h in hosts))
        cold: list[float] = []
        for _ in range(500):
            started = time.perf_counter()
            await rooms.call(f"place:{uuid.uuid4()}", "is_banned", "0xnobody")
            cold.append(time.perf_counter() - started)
        print(
            f"cold activation (1 in flight): p50 {percentile(cold, 0.5) * 1000:.2f} ms  "
            f"p99 {percentile(cold, 0.99) * 1000:.2f} ms"
        )

        await asyncio.gather(*(h.passivate_idle.remote(0) for h in hosts))
        await asyncio.gather(*(h.start_memory_trace.remote() for h in hosts))
        baseline = sum(await asyncio.gather(*(h.traced_memory.remote() for h in hosts)))
        active = 0
        for target in (10_000, 100_000):
            fresh = [f"place:{uuid.uuid4()}" for _ in range(target - active)]
            await activate(rooms, fresh)
            active = target
            used = sum(await asyncio.gather(*(h.traced_memory.remote() for h in hosts)))
            print(
                f"memory at {target:7,} active rooms: {(used - baseline) / target:6.0f} B/room "
                f"({(used - baseline) / 2**20:.1f} MiB over {membership.host_count} hosts)"
            )
        await asyncio.gather(*(h.stop_memory_trace.remote() for h in hosts))
        await pool.close()
    finally:
        ray.shutdown()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
        if embedded is not None:
            embedded.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each rate run")
    asyncio.run(run(parser.parse_args().seconds))


if __name__ == "__main__":
    main()
