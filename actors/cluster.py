"""Starting or joining Ray, creating the room hosts, and changing how many there are."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from typing import Any

import asyncpg
import ray
from ray.actor import ActorHandle

from actors.host import HostConfig, RoomHost
from actors.placement import NAMESPACE, Membership, host_name
from storage.database import Connection
from storage.membership import load_membership, store_membership

logger = logging.getLogger(__name__)

# Held while the membership is read or changed, so fronts starting together agree.
_MEMBERSHIP_LOCK = 0x6761_7465_6B70  # "gatekp"

_RemoteHost: Any = ray.remote(RoomHost)


def connect(address: str = "") -> None:
    """Join the Ray cluster at `address`, or start a local one when it is empty."""
    if ray.is_initialized():
        return
    # Ray replaces the SIGTERM and SIGINT handlers with ones that exit at once; the server's
    # own handlers, which shut down in order, are put back.
    handlers = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    ray.init(
        address=address or None,
        namespace=NAMESPACE,
        include_dashboard=False,
        logging_level=logging.WARNING,
        log_to_driver=True,
    )
    if threading.current_thread() is threading.main_thread():
        for number, handler in handlers.items():
            signal.signal(number, handler)
    logger.info("ray connected address=%s", address or "local")


def _start_host(index: int, config: HostConfig) -> ActorHandle[Any]:
    return _RemoteHost.options(  # type: ignore[no-any-return]
        name=host_name(index),
        namespace=NAMESPACE,
        lifetime="detached",
        get_if_exists=True,
        max_restarts=-1,
        max_task_retries=0,
        num_cpus=0,
        scheduling_strategy="SPREAD",
    ).remote(index, config)


async def _start_hosts(count: int, config: HostConfig) -> list[ActorHandle[Any]]:
    hosts = [_start_host(index, config) for index in range(count)]
    await asyncio.gather(*(host.ping.remote() for host in hosts))
    return hosts


async def ensure_hosts(pool: asyncpg.Pool, config: HostConfig, wanted: int) -> Membership:
    """Make sure `wanted` room hosts run and the membership says so; returns the membership."""
    async with pool.acquire() as connection:
        await connection.execute("SELECT pg_advisory_lock($1)", _MEMBERSHIP_LOCK)
        try:
            stored = await load_membership(connection)
            if stored is None:
                await store_membership(connection, 1, wanted)
                await _start_hosts(wanted, config)
                return Membership(1, wanted)
            current = Membership(*stored)
            if current.host_count == wanted:
                await _start_hosts(wanted, config)
                return current
            return await _resize(connection, current, config, wanted)
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", _MEMBERSHIP_LOCK)


async def resize(pool: asyncpg.Pool, config: HostConfig, wanted: int) -> Membership:
    """Change the number of room hosts while running; rooms move, nothing is lost."""
    return await ensure_hosts(pool, config, wanted)


async def _resize(
    connection: Connection, current: Membership, config: HostConfig, wanted: int
) -> Membership:
    coming = Membership(current.epoch + 1, wanted)
    hosts = await _start_hosts(max(current.host_count, wanted), config)
    logger.info(
        "room hosts resizing epoch=%s from=%s to=%s", coming.epoch, current.host_count, wanted
    )
    await asyncio.gather(*(h.prepare.remote(coming.epoch, wanted) for h in hosts))
    await store_membership(connection, coming.epoch, wanted)
    moved: list[int] = await asyncio.gather(*(h.adopt.remote(coming.epoch, wanted) for h in hosts))
    for surplus in hosts[wanted:]:
        ray.kill(surplus, no_restart=True)
    logger.info(
        "room hosts resized epoch=%s hosts=%s rooms_moved=%s", coming.epoch, wanted, sum(moved)
    )
    return coming
