"""The voice expiry jobs, driven directly with an injected clock, and their one-at-a-time lock."""

from __future__ import annotations

import asyncpg
import httpx
from fastapi import FastAPI

from actors.expiry import EXPIRY_LOCK, ExpiryReport
from tests.fakes.livekit import FakeLiveKit
from tests.fakes.sns import SnsQueue
from tests.voice_support import new_address, new_id, now_ms, published

TTL = 300_000  # the default of every voice TTL
EVERYTHING = 100_000  # a batch large enough for every room other tests left behind


async def run(app: FastAPI, at: int) -> ExpiryReport:
    report: ExpiryReport | None = await app.state.voice.expiry.run_once(
        now_ms=at, batch_size=EVERYTHING
    )
    assert report is not None
    return report


async def private_room(pool: asyncpg.Pool, *rows: tuple[str, int, int]) -> str:
    """A private call whose rows are (status, joined_at, status_updated_at)."""
    room = f"voice-chat-private-{new_id()}"
    for status, joined, updated in rows:
        await pool.execute(
            "INSERT INTO voice_chat_users VALUES ($1, $2, $3, $4, $5)",
            new_address(),
            room,
            status,
            joined,
            updated,
        )
    return room


async def community_room(pool: asyncpg.Pool, *rows: tuple[bool, str, int]) -> str:
    """A community call whose rows are (is_moderator, status, status_updated_at)."""
    room = f"voice-chat-community-{new_id()}"
    for moderator, status, at in rows:
        await pool.execute(
            "INSERT INTO community_voice_chat_users "
            "(address, room_name, is_moderator, status, joined_at, status_updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $5)",
            new_address(),
            room,
            moderator,
            status,
            at,
        )
    return room


_COUNTS = {
    "voice_chat_users": "SELECT count(*) FROM voice_chat_users WHERE room_name = $1",
    "community_voice_chat_users": (
        "SELECT count(*) FROM community_voice_chat_users WHERE room_name = $1"
    ),
}


async def count(pool: asyncpg.Pool, table: str, room: str) -> int:
    return int(await pool.fetchval(_COUNTS[table], room))


def deleted(fake_livekit: FakeLiveKit) -> set[str]:
    return {call.request.room for call in fake_livekit.calls("DeleteRoom")}


async def test_private_calls_expire_by_their_oldest_pending_member(
    app: FastAPI, http: httpx.AsyncClient, pool: asyncpg.Pool, fake_livekit: FakeLiveKit
) -> None:
    now = now_ms()
    live = await private_room(pool, ("connected", now, now), ("connected", now, now))
    never_joined = await private_room(
        pool, ("connected", now, now), ("not_connected", now - TTL - 1, now - TTL - 1)
    )
    interrupted = await private_room(
        pool, ("connected", now, now), ("connection_interrupted", now, now - TTL - 1)
    )
    left = await private_room(pool, ("connected", now, now), ("disconnected", now, now))

    report = await run(app, now)
    table = "voice_chat_users"
    assert await count(pool, table, live) == 2
    for room in (never_joined, interrupted, left):
        assert await count(pool, table, room) == 0
    assert {never_joined, interrupted} <= set(report.private_destroyed)
    assert left in report.private_cleaned
    assert {never_joined, interrupted} <= deleted(fake_livekit)
    assert not {live, left} & deleted(fake_livekit)


async def test_an_expired_private_call_is_gone_from_its_room_too(
    app: FastAPI, http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    now = now_ms()
    room = await private_room(pool, ("connected", now, now), ("not_connected", now, now))
    room_id = room.removeprefix("voice-chat-private-")
    members = await app.state.runtime.rooms.call(f"private:{room_id}", "members")
    assert len(members) == 2
    await run(app, now + TTL + 1)
    assert await app.state.runtime.rooms.call(f"private:{room_id}", "members") == []


async def test_community_calls_expire_without_an_active_moderator(
    app: FastAPI,
    http: httpx.AsyncClient,
    pool: asyncpg.Pool,
    fake_livekit: FakeLiveKit,
    sns: SnsQueue,
) -> None:
    now = now_ms()
    connected = await community_room(pool, (True, "connected", now - 10 * TTL))
    recently_interrupted = await community_room(
        pool, (True, "connection_interrupted", now - TTL // 2), (False, "connected", now)
    )
    long_gone = await community_room(
        pool,
        (True, "connection_interrupted", now - TTL - 60_000),
        (False, "connected", now),
        (False, "not_connected", now),
    )
    members_only = await community_room(pool, (False, "connected", now))
    sns.drain()

    report = await run(app, now)
    table = "community_voice_chat_users"
    assert await count(pool, table, connected) == 1
    assert await count(pool, table, recently_interrupted) == 2
    assert await count(pool, table, long_gone) == 0
    assert await count(pool, table, members_only) == 0
    assert report.community_ended[long_gone] == 3
    assert report.community_ended[members_only] == 1
    assert {long_gone, members_only} <= deleted(fake_livekit)
    assert not {connected, recently_interrupted} & deleted(fake_livekit)
    ended = {
        e["metadata"]["communityId"]: e["metadata"]["totalParticipants"]
        for e in await published(app, sns, "community-streaming-ended")
    }
    assert ended[long_gone.removeprefix("voice-chat-community-")] == 3


async def test_a_longer_no_moderator_ttl_keeps_an_inactive_call(
    app: FastAPI, http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    now = now_ms()
    # Inactive (interrupted longer than its TTL) but within a longer no-moderator TTL.
    room = await community_room(pool, (True, "connection_interrupted", now - TTL - 1))
    expiry = app.state.voice.expiry
    times = expiry.times
    expiry.times = type(times)(times.interrupted_ttl, times.initial_ttl, 3 * TTL)
    try:
        await run(app, now)
    finally:
        expiry.times = times
    assert await count(pool, "community_voice_chat_users", room) == 1


async def test_only_one_front_runs_the_jobs_at_a_time(
    app: FastAPI, http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    now = now_ms()
    room = await community_room(pool, (False, "connected", now))
    async with pool.acquire() as other_front:
        assert await other_front.fetchval("SELECT pg_try_advisory_lock($1)", EXPIRY_LOCK)
        try:
            assert await app.state.voice.expiry.run_once(now_ms=now) is None
            assert await count(pool, "community_voice_chat_users", room) == 1
        finally:
            await other_front.execute("SELECT pg_advisory_unlock($1)", EXPIRY_LOCK)
    await run(app, now)
    assert await count(pool, "community_voice_chat_users", room) == 0
