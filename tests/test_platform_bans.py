"""The front's in-memory platform bans against real PostgreSQL: changes written by anyone are
heard through the trigger's NOTIFY, expiry is checked when asked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from actors.platform_bans import PlatformBans
from tests.fakes.upstreams import ManualClock
from tests.signing import make_identity


@pytest.fixture
async def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def bans(
    pool: asyncpg.Pool, database_url: str, clock: ManualClock
) -> AsyncIterator[PlatformBans]:
    held = PlatformBans(pool, database_url, clock=clock)
    await held.start()
    yield held
    await held.close()


async def until(bans: PlatformBans, seen: Any) -> None:
    """Wait for reloads until `seen()` holds (each reload follows a NOTIFY)."""
    async with asyncio.timeout(5):
        while not seen():
            await bans.next_refresh()


async def ban(pool: asyncpg.Pool, address: str, device: str | None = None) -> None:
    await pool.execute(
        "INSERT INTO user_bans (banned_address, banned_by, reason, banned_device_id)"
        " VALUES ($1, 'mod', 'test', $2)",
        address,
        device,
    )


async def test_ban_written_to_the_database_is_heard(pool: asyncpg.Pool, bans: PlatformBans) -> None:
    address = make_identity().lower_address
    assert bans.trusted
    assert not await bans.is_banned(address)

    await ban(pool, address)
    await until(bans, lambda: bans.banned_in_memory(address))

    assert await bans.is_banned(address.upper().replace("0X", "0x"))


async def test_lifted_ban_stops_counting(pool: asyncpg.Pool, bans: PlatformBans) -> None:
    address = make_identity().lower_address
    await ban(pool, address)
    await until(bans, lambda: bans.banned_in_memory(address))

    await pool.execute(
        "UPDATE user_bans SET lifted_at = now(), lifted_by = 'mod' WHERE banned_address = $1",
        address,
    )
    await until(bans, lambda: not bans.banned_in_memory(address))

    assert not await bans.is_banned(address)


async def test_expired_ban_never_counts(pool: asyncpg.Pool, bans: PlatformBans) -> None:
    expired, marker = make_identity().lower_address, make_identity().lower_address
    await pool.execute(
        "INSERT INTO user_bans (banned_address, banned_by, reason, expires_at)"
        " VALUES ($1, 'mod', 'old', LOCALTIMESTAMP - interval '1 second')",
        expired,
    )
    await ban(pool, marker)
    await until(bans, lambda: bans.banned_in_memory(marker))

    assert not await bans.is_banned(expired)


async def test_ban_runs_out_at_lookup_time(
    pool: asyncpg.Pool, bans: PlatformBans, clock: ManualClock
) -> None:
    address = make_identity().lower_address
    await pool.execute(
        "INSERT INTO user_bans (banned_address, banned_by, reason, expires_at)"
        " VALUES ($1, 'mod', 'short', LOCALTIMESTAMP + interval '1 hour')",
        address,
    )
    await until(bans, lambda: bans.banned_in_memory(address))

    clock.advance(3599)
    still = await bans.is_banned(address)
    clock.advance(2)

    assert still
    assert not await bans.is_banned(address)


async def test_device_ban_reaches_other_wallets(pool: asyncpg.Pool, bans: PlatformBans) -> None:
    banned = make_identity().lower_address
    other = make_identity().lower_address
    device = f"device-{other[-8:]}"
    await ban(pool, banned, device)
    await until(bans, lambda: bans.banned_in_memory(banned))

    assert await bans.is_banned(other, device)
    assert not await bans.is_banned(other, "another-device")
    assert not await bans.is_banned(other)


async def test_without_the_listener_the_database_answers(
    pool: asyncpg.Pool, database_url: str
) -> None:
    address = make_identity().lower_address
    held = PlatformBans(pool, database_url)
    await ban(pool, address, "dev-x")

    # Never started: nothing in memory can be trusted, so each lookup reads the table.
    assert not held.trusted
    assert await held.is_banned(address)
    assert await held.is_banned(make_identity().lower_address, "dev-x")
    assert not await held.is_banned(make_identity().lower_address)
