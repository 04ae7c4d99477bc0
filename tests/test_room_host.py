"""The room host's rules, run in this process against the real database (no Ray hop)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest

from actors import registry
from actors.host import HostConfig, RoomHost
from actors.placement import Membership, owner_of
from actors.replies import ERROR, MOVING, NOT_MINE, OK, Message
from actors.room import Room, RoomContext, write
from config.errors import GatekeeperError, InvalidRequestError, ServiceUnavailableError
from tests.fakes.tcp_proxy import TcpProxy


class ProbeRoom(Room):
    """Counts how many of its messages run at once."""

    kind = "probe"
    running = 0
    most_at_once = 0
    gate: asyncio.Event | None = None
    # Set once `expected` messages are running at the same time.
    expected = 1
    reached: asyncio.Event | None = None

    @classmethod
    async def activate(cls, key: str, context: RoomContext) -> ProbeRoom:
        return cls(key, context)

    @write
    async def work(self) -> int:
        cls = type(self)
        cls.running += 1
        cls.most_at_once = max(cls.most_at_once, cls.running)
        assert cls.gate is not None
        assert cls.reached is not None
        if cls.running >= cls.expected:
            cls.reached.set()
        await cls.gate.wait()
        cls.running -= 1
        return cls.most_at_once


@pytest.fixture
def probe_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry._KINDS, ProbeRoom.kind, ProbeRoom)
    ProbeRoom.running = ProbeRoom.most_at_once = 0
    ProbeRoom.gate = asyncio.Event()
    ProbeRoom.reached = asyncio.Event()
    ProbeRoom.expected = 1


@pytest.fixture
async def host(database_url: str, pool: asyncpg.Pool) -> AsyncIterator[RoomHost]:
    """Host 0 of a one-host membership (so it owns every key)."""
    room_host = RoomHost(0, HostConfig(database_url, idle_seconds=300.0, pool_size=2))
    await room_host._ready()
    room_host._membership = Membership(10**9, 1)
    yield room_host
    assert room_host._reaper is not None
    room_host._reaper.cancel()
    assert room_host._pool is not None
    await room_host._pool.close()


def place() -> str:
    return f"place:{uuid.uuid4()}"


def msg(key: str, name: str, *args: Any) -> Message:
    return (key, name, args, {})


async def one(host: RoomHost, key: str, name: str, *args: Any) -> Any:
    [(status, payload)] = await host.handle(host._membership.epoch, [msg(key, name, *args)])
    if status == ERROR:
        raise payload
    assert status == OK
    return payload


async def test_messages_to_one_room_run_one_at_a_time(host: RoomHost, probe_kind: None) -> None:
    key = f"probe:{uuid.uuid4()}"
    batches = [host.handle(host._membership.epoch, [msg(key, "work")] * 5) for _ in range(4)]
    running = asyncio.gather(*batches)
    assert ProbeRoom.reached is not None
    await ProbeRoom.reached.wait()
    for _ in range(50):  # turns enough for every batch to reach the room were it not locked
        await asyncio.sleep(0)
    assert ProbeRoom.running == 1
    assert ProbeRoom.gate is not None
    ProbeRoom.gate.set()
    replies = await running
    assert [status for batch in replies for status, _ in batch] == [OK] * 20
    assert ProbeRoom.most_at_once == 1


async def test_messages_to_different_rooms_interleave(host: RoomHost, probe_kind: None) -> None:
    keys = [f"probe:{uuid.uuid4()}" for _ in range(3)]
    ProbeRoom.expected = 3
    batch = [msg(k, "work") for k in keys]
    running = asyncio.ensure_future(host.handle(host._membership.epoch, batch))
    assert ProbeRoom.reached is not None
    await ProbeRoom.reached.wait()
    assert ProbeRoom.gate is not None
    ProbeRoom.gate.set()
    assert [status for status, _ in await running] == [OK] * 3
    assert ProbeRoom.most_at_once == 3


async def test_a_failed_write_leaves_memory_and_database_as_they_were(
    host: RoomHost, pool: asyncpg.Pool
) -> None:
    key = place()
    await one(host, key, "add_ban", "0xaaa", "0xowner")
    await pool.execute(
        """
        CREATE OR REPLACE FUNCTION refuse_test_ban() RETURNS trigger AS $$
        BEGIN
            IF NEW.banned_address = '0xrefused' THEN RAISE EXCEPTION 'refused'; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql;
        DROP TRIGGER IF EXISTS refuse_test_ban ON scene_bans;
        CREATE TRIGGER refuse_test_ban BEFORE INSERT ON scene_bans
            FOR EACH ROW EXECUTE FUNCTION refuse_test_ban();
        """
    )
    try:
        with pytest.raises(ServiceUnavailableError):
            await one(host, key, "add_ban", "0xrefused", "0xowner")
    finally:
        await pool.execute("DROP TRIGGER refuse_test_ban ON scene_bans")

    assert key in await host.active_rooms()
    assert [row.banned_address for row in await one(host, key, "list_bans")] == ["0xaaa"]
    place_id = key.partition(":")[2]
    stored = await pool.fetchval("SELECT count(*) FROM scene_bans WHERE place_id = $1", place_id)
    assert stored == 1


async def test_a_commit_that_fails_drops_the_room_and_it_reloads_from_the_database(
    host: RoomHost, pool: asyncpg.Pool
) -> None:
    key = place()
    await one(host, key, "add_admin", "0xkept", "0xowner")
    await pool.execute(
        """
        CREATE OR REPLACE FUNCTION refuse_test_admin() RETURNS trigger AS $$
        BEGIN
            IF NEW.admin = '0xlate' THEN RAISE EXCEPTION 'refused at commit'; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql;
        DROP TRIGGER IF EXISTS refuse_test_admin ON scene_admin;
        CREATE CONSTRAINT TRIGGER refuse_test_admin AFTER INSERT ON scene_admin
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION refuse_test_admin();
        """
    )
    try:
        with pytest.raises(ServiceUnavailableError):
            await one(host, key, "add_admin", "0xlate", "0xowner")
    finally:
        await pool.execute("DROP TRIGGER refuse_test_admin ON scene_admin")

    assert key not in await host.active_rooms()
    admins = await one(host, key, "list_admins")
    assert [row.admin for row in admins] == ["0xkept"]


async def test_passivated_room_comes_back_with_the_same_state(host: RoomHost) -> None:
    key = place()
    await one(host, key, "add_admin", "0xadmin", "0xowner")
    await one(host, key, "add_ban", "0xbanned", "0xowner")
    before = await one(host, key, "snapshot")

    assert await host.passivate_idle(0) >= 1
    assert key not in await host.active_rooms()

    after = await one(host, key, "snapshot")
    assert (after.admins, after.banned) == (before.admins, before.banned)
    assert after.admins == frozenset({"0xadmin"})
    assert after.banned == frozenset({"0xbanned"})


async def test_a_room_that_raises_stays_usable(host: RoomHost) -> None:
    key = place()
    await one(host, key, "add_ban", "0xbanned", "0xowner")
    with pytest.raises(GatekeeperError) as raised:
        await one(host, key, "list_bans", "not a number")
    assert raised.value.status == 500
    with pytest.raises(InvalidRequestError):
        await one(host, key, "no_such_message")
    assert await one(host, key, "is_banned", "0xbanned") is True


async def test_unknown_room_kind_is_refused_as_a_bad_request(host: RoomHost) -> None:
    with pytest.raises(InvalidRequestError):
        await one(host, "nosuchkind:1", "snapshot")


async def test_host_refuses_keys_it_does_not_own(host: RoomHost) -> None:
    host._membership = Membership(host._membership.epoch, 2)
    key = next(k for k in (f"place:{i}" for i in range(100)) if owner_of(k, 2) == 1)
    [(status, payload)] = await host.handle(host._membership.epoch, [msg(key, "snapshot")])
    assert status == NOT_MINE
    assert payload == (host._membership.epoch, 2)
    assert key not in await host.active_rooms()


async def test_prepared_host_refuses_keys_about_to_move(host: RoomHost) -> None:
    epoch = host._membership.epoch
    moving = next(k for k in (f"place:{i}" for i in range(100)) if owner_of(k, 2) == 1)
    staying = next(k for k in (f"place:{i}" for i in range(100)) if owner_of(k, 2) == 0)
    await one(host, moving, "snapshot")
    await host.prepare(epoch + 1, 2)

    replies = await host.handle(epoch, [msg(moving, "snapshot"), msg(staying, "snapshot")])
    assert [status for status, _ in replies] == [MOVING, OK]

    assert await host.adopt(epoch + 1, 2) >= 1
    assert moving not in await host.active_rooms()
    [(status, _)] = await host.handle(epoch + 1, [msg(moving, "snapshot")])
    assert status == NOT_MINE


async def test_active_room_answers_from_memory_while_the_database_is_down(
    database_url: str,
) -> None:
    address = urlsplit(database_url)
    proxy = TcpProxy(address.hostname or "127.0.0.1", address.port or 5432)
    await proxy.start()
    through_proxy = address._replace(netloc=f"postgres@127.0.0.1:{proxy.port}").geturl()
    room_host = RoomHost(0, HostConfig(through_proxy, idle_seconds=300.0, pool_size=2))
    await room_host._ready()
    room_host._membership = Membership(10**9, 1)
    try:
        key = place()
        await one(room_host, key, "add_ban", "0xbanned", "0xowner")
        await proxy.cut()

        assert await one(room_host, key, "is_banned", "0xbanned") is True
        with pytest.raises(ServiceUnavailableError):
            await one(room_host, key, "add_ban", "0xlater", "0xowner")
        with pytest.raises(ServiceUnavailableError):
            await one(room_host, place(), "snapshot")  # a cold room cannot load
        assert (await one(room_host, key, "snapshot")).banned == frozenset({"0xbanned"})

        await proxy.start()
        assert await one(room_host, key, "add_ban", "0xlater", "0xowner") is True
        assert (await one(room_host, key, "snapshot")).banned == {"0xbanned", "0xlater"}
    finally:
        assert room_host._reaper is not None
        room_host._reaper.cancel()
        assert room_host._pool is not None
        room_host._pool.terminate()
        await proxy.cut()
