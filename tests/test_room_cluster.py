"""Room hosts on a real local Ray: routing, crashes, resizing and front snapshots."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg
import pytest
import ray

from actors.client import RoomClient
from actors.cluster import resize
from actors.host import HostConfig
from actors.placement import Membership
from actors.replies import NOT_MINE
from actors.snapshots import RoomSnapshots
from config.errors import GatekeeperError, InvalidRequestError
from tests.fakes.tcp_proxy import TcpProxy


def place() -> str:
    return f"place:{uuid.uuid4()}"


@pytest.fixture
def rooms(room_hosts: Membership) -> RoomClient:
    return RoomClient(room_hosts)


async def active_hosts_of(client: RoomClient, key: str) -> list[int]:
    hosts = [await client.host(i) for i in range(client.membership.host_count)]
    active = await asyncio.gather(*(h.active_rooms.remote() for h in hosts))
    return [index for index, keys in enumerate(active) if key in keys]


async def test_room_errors_reach_the_caller_as_our_errors(rooms: RoomClient) -> None:
    key = place()
    with pytest.raises(InvalidRequestError):
        await rooms.call(key, "no_such_message")
    with pytest.raises(GatekeeperError) as raised:
        await rooms.call(key, "list_bans", "not a number")
    assert raised.value.status == 500
    assert not isinstance(raised.value, ray.exceptions.RayError)
    assert await rooms.call(key, "add_ban", "0xb", "0xo") is True


async def test_two_fronts_route_a_key_to_the_same_host(room_hosts: Membership) -> None:
    first, second = RoomClient(room_hosts), RoomClient(room_hosts)
    key = place()
    assert await first.call(key, "add_admin", "0xa", "0xo") is True
    assert await second.call(key, "add_admin", "0xa", "0xo") is False
    assert await second.call(key, "is_admin", "0xa") is True
    assert await active_hosts_of(first, key) == [first.owner(key)]


async def test_host_refuses_over_ray_a_key_it_does_not_own(rooms: RoomClient) -> None:
    key = place()
    stranger = 1 - rooms.owner(key)
    host = await rooms.host(stranger)
    [(status, payload)] = await host.handle.remote(
        rooms.membership.epoch, [(key, "snapshot", (), {})]
    )
    assert status == NOT_MINE
    assert payload == (rooms.membership.epoch, rooms.membership.host_count)


async def test_killed_host_loses_no_acknowledged_write(
    rooms: RoomClient, pool: asyncpg.Pool
) -> None:
    key = place()
    acknowledged: list[str] = []
    failed = 0
    under_way = asyncio.Event()

    async def writer(worker: int) -> None:
        nonlocal failed
        for n in range(40):
            address = f"0x{worker:02d}{n:04d}"
            try:
                await rooms.call(key, "add_ban", address, "0xowner")
            except GatekeeperError:
                failed += 1
            else:
                acknowledged.append(address)
                if len(acknowledged) == 20:
                    under_way.set()

    writers = asyncio.gather(*(writer(w) for w in range(8)))
    await under_way.wait()
    ray.kill(await rooms.host(rooms.owner(key)), no_restart=False)
    await writers

    assert len(acknowledged) > 20
    banned = {row.banned_address for row in await rooms.call(key, "list_bans")}
    assert set(acknowledged) <= banned
    place_id = key.partition(":")[2]
    stored = {
        r["banned_address"]
        for r in await pool.fetch(
            "SELECT banned_address FROM scene_bans WHERE place_id = $1", place_id
        )
    }
    assert stored == banned


async def test_resizing_moves_rooms_without_losing_or_doubling_state(
    room_hosts: Membership, pool: asyncpg.Pool, host_config: HostConfig
) -> None:
    stale_front = RoomClient(room_hosts)
    keys = [place() for _ in range(60)]
    await asyncio.gather(*(stale_front.call(k, "add_ban", "0xbanned", "0xo") for k in keys))

    grown = await resize(pool, host_config, 3)
    try:
        assert grown.host_count == 3
        fresh_front = RoomClient(grown)
        moved = [k for k in keys if fresh_front.owner(k) == 2]
        assert moved, "some rooms should move to the new host"

        # A front that has not heard of the change still reaches every room.
        answers = await asyncio.gather(
            *(stale_front.call(k, "add_ban", "0xsecond", "0xo") for k in keys)
        )
        assert all(answers)
        assert stale_front.membership == grown
        for key in keys:
            assert await active_hosts_of(fresh_front, key) == [fresh_front.owner(key)]
    finally:
        shrunk = await resize(pool, host_config, 2)
    assert shrunk.host_count == 2

    back = RoomClient(shrunk)
    snapshots = await asyncio.gather(*(back.call(k, "snapshot") for k in keys))
    assert all(s.banned == frozenset({"0xbanned", "0xsecond"}) for s in snapshots)
    place_ids = [k.partition(":")[2] for k in keys]
    rows = await pool.fetchval(
        "SELECT count(*) FROM scene_bans WHERE place_id = ANY($1::text[])", place_ids
    )
    assert rows == 2 * len(keys)


@pytest.fixture
async def snapshots(rooms: RoomClient, database_url: str) -> AsyncIterator[RoomSnapshots]:
    front = RoomSnapshots(rooms, database_url)
    await front.start()
    yield front
    await front.close()


async def test_front_snapshot_follows_changes_made_elsewhere(
    snapshots: RoomSnapshots, room_hosts: Membership
) -> None:
    key = place()
    assert (await snapshots.get(key)).banned == frozenset()

    other_front = RoomClient(room_hosts)
    announced = asyncio.ensure_future(snapshots.changed(key))
    await other_front.call(key, "add_ban", "0xbanned", "0xo")
    await announced

    assert (await snapshots.get(key)).banned == frozenset({"0xbanned"})


async def test_front_stops_trusting_snapshots_while_listening_is_lost(
    rooms: RoomClient, room_hosts: Membership, database_url: str
) -> None:
    address = urlsplit(database_url)
    proxy = TcpProxy(address.hostname or "127.0.0.1", address.port or 5432)
    await proxy.start()
    front = RoomSnapshots(
        rooms, address._replace(netloc=f"postgres@127.0.0.1:{proxy.port}").geturl()
    )
    await front.start()
    try:
        key = place()
        assert (await front.get(key)).banned == frozenset()
        await proxy.cut()
        await front.listener_lost()
        assert not front.listening

        # A change this front cannot hear of is still seen: it asks the room instead.
        await RoomClient(room_hosts).call(key, "add_ban", "0xunheard", "0xo")
        assert (await front.get(key)).banned == frozenset({"0xunheard"})

        await proxy.start()
        await front.listening_again()
        announced = asyncio.ensure_future(front.changed(key))
        await RoomClient(room_hosts).call(key, "add_ban", "0xheard", "0xo")
        await announced
        assert (await front.get(key)).banned == frozenset({"0xunheard", "0xheard"})
    finally:
        await front.close()
        await proxy.cut()
