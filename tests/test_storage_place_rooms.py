"""Admins and bans of a place, through the query functions, on the session database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from storage import scene_admins, scene_bans
from storage.database import Connection
from storage.place_rooms import load_place


@pytest.fixture
async def conn(pool: asyncpg.Pool) -> AsyncIterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    async with pool.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        try:
            yield connection
        finally:
            await transaction.rollback()


@pytest.fixture
def place_id() -> str:
    return f"place-{uuid.uuid4()}"


async def test_adding_an_admin_twice_keeps_one_active_row(conn: Connection, place_id: str) -> None:
    first = await scene_admins.add_admin(conn, place_id, "0xadmin", "0xowner", 1_000)
    second = await scene_admins.add_admin(conn, place_id, "0xadmin", "0xother", 2_000)

    assert first is not None
    assert (first.place_id, first.admin, first.added_by, first.created_at, first.active) == (
        place_id,
        "0xadmin",
        "0xowner",
        1_000,
        True,
    )
    assert second is None
    count = await conn.fetchval(
        "SELECT count(*) FROM scene_admin WHERE place_id = $1 AND active", place_id
    )
    assert count == 1


async def test_deactivated_admin_is_gone_and_can_be_added_again(
    conn: Connection, place_id: str
) -> None:
    first = await scene_admins.add_admin(conn, place_id, "0xadmin", "0xowner", 1_000)

    assert await scene_admins.deactivate_admin(conn, place_id, "0xadmin") is True
    assert await scene_admins.deactivate_admin(conn, place_id, "0xadmin") is False
    assert (await load_place(conn, place_id)).admins == []

    again = await scene_admins.add_admin(conn, place_id, "0xadmin", "0xowner", 3_000)
    assert again is not None
    assert first is not None
    assert again.id != first.id
    rows = await conn.fetch(
        "SELECT active FROM scene_admin WHERE place_id = $1 ORDER BY created_at", place_id
    )
    assert [row["active"] for row in rows] == [False, True]


async def test_deactivating_someone_who_is_not_admin_reports_false(
    conn: Connection, place_id: str
) -> None:
    assert await scene_admins.deactivate_admin(conn, place_id, "0xnobody") is False


async def test_banning_twice_keeps_one_row(conn: Connection, place_id: str) -> None:
    first = await scene_bans.add_ban(conn, place_id, "0xbad", "0xadmin", 1_000)
    second = await scene_bans.add_ban(conn, place_id, "0xbad", "0xadmin", 2_000)

    assert first is not None
    assert (first.banned_address, first.banned_by, first.banned_at) == ("0xbad", "0xadmin", 1_000)
    assert second is None
    assert await scene_bans.count_bans(conn, place_id) == 1


async def test_removed_ban_is_deleted(conn: Connection, place_id: str) -> None:
    await scene_bans.add_ban(conn, place_id, "0xbad", "0xadmin", 1_000)

    assert await scene_bans.remove_ban(conn, place_id, "0xbad") is True
    assert await scene_bans.remove_ban(conn, place_id, "0xbad") is False
    assert await scene_bans.count_bans(conn, place_id) == 0


async def test_bans_are_listed_newest_first_in_pages(conn: Connection, place_id: str) -> None:
    for index, when in enumerate((3_000, 1_000, 5_000, 2_000, 4_000)):
        await scene_bans.add_ban(conn, place_id, f"0xbad{index}", "0xadmin", when)
    await scene_bans.add_ban(conn, f"{place_id}-other", "0xbad9", "0xadmin", 9_000)

    everything = await scene_bans.list_bans(conn, place_id)
    page = await scene_bans.list_bans(conn, place_id, limit=2, offset=1)

    assert [ban.banned_at for ban in everything] == [5_000, 4_000, 3_000, 2_000, 1_000]
    assert [ban.banned_at for ban in page] == [4_000, 3_000]
    assert await scene_bans.count_bans(conn, place_id) == 5


async def test_load_place_returns_active_admins_and_bans_newest_first(
    conn: Connection, place_id: str
) -> None:
    await scene_admins.add_admin(conn, place_id, "0xold", "0xowner", 1_000)
    newest = await scene_admins.add_admin(conn, place_id, "0xnew", "0xowner", 3_000)
    await scene_admins.add_admin(conn, place_id, "0xgone", "0xowner", 2_000)
    await scene_admins.deactivate_admin(conn, place_id, "0xgone")
    await scene_bans.add_ban(conn, place_id, "0xbad1", "0xnew", 1_500)
    latest_ban = await scene_bans.add_ban(conn, place_id, "0xbad2", "0xnew", 2_500)
    await scene_admins.add_admin(conn, f"{place_id}-other", "0xelse", "0xowner", 9_000)
    await scene_bans.add_ban(conn, f"{place_id}-other", "0xbad3", "0xelse", 9_000)

    rows = await load_place(conn, place_id)

    assert [admin.admin for admin in rows.admins] == ["0xnew", "0xold"]
    assert [ban.banned_address for ban in rows.bans] == ["0xbad2", "0xbad1"]
    assert rows.admins[0] == newest
    assert rows.bans[0] == latest_ban


async def test_load_place_of_unknown_place_is_empty(conn: Connection, place_id: str) -> None:
    rows = await load_place(conn, place_id)

    assert rows.admins == []
    assert rows.bans == []
