"""Participant webhooks of voice calls: state changes, duplicates, reordering, late events."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import ray
from fastapi import FastAPI
from livekit import api

from actors.keys import community_key
from tests.fakes.livekit import FakeLiveKit, webhook_event
from tests.fakes.sns import SnsQueue
from tests.voice_support import (
    AUTH,
    CLIENT_INITIATED,
    DUPLICATE_IDENTITY,
    MIGRATION,
    PARTICIPANT_REMOVED,
    ROOM_DELETED,
    community_rows,
    join_community,
    joined,
    left,
    new_address,
    new_id,
    post_webhook,
    private_rows,
    published,
)

HOUR_S = 3600


def statuses(rows: dict[str, dict[str, object]]) -> dict[str, object]:
    return {address: row["status"] for address, row in rows.items()}


def deleted_rooms(fake_livekit: FakeLiveKit) -> list[str]:
    return [call.request.room for call in fake_livekit.calls("DeleteRoom")]


async def private_call(http: httpx.AsyncClient, *, connect: bool = True) -> tuple[str, str, str]:
    """A private call (room name, caller, other), both connected unless told otherwise."""
    room_id = new_id()
    room = f"voice-chat-private-{room_id}"
    caller, other = new_address(), new_address()
    response = await http.post(
        "/private-voice-chat",
        headers=AUTH,
        json={"user_addresses": [caller, other], "room_id": room_id},
    )
    assert response.status_code == 200
    if connect:
        for address in (caller, other):
            assert (await post_webhook(http, joined(room, address))).status_code == 200
    return room, caller, other


async def test_private_leave_reasons(
    http: httpx.AsyncClient, pool: asyncpg.Pool, fake_livekit: FakeLiveKit
) -> None:
    room, caller, other = await private_call(http)
    assert statuses(await private_rows(pool, room)) == {caller: "connected", other: "connected"}
    await post_webhook(http, left(room, caller, DUPLICATE_IDENTITY))
    assert statuses(await private_rows(pool, room))[caller] == "connected"
    await post_webhook(http, left(room, caller, MIGRATION))
    assert statuses(await private_rows(pool, room))[caller] == "connection_interrupted"
    assert deleted_rooms(fake_livekit) == []
    await post_webhook(http, left(room, caller, CLIENT_INITIATED))
    assert statuses(await private_rows(pool, room))[caller] == "disconnected"
    assert deleted_rooms(fake_livekit) == [room]

    # The same leave again changes nothing.
    await post_webhook(http, left(room, caller, CLIENT_INITIATED))
    assert deleted_rooms(fake_livekit) == [room]

    room_deleted, *_ = await private_call(http)
    await post_webhook(http, left(room_deleted, new_address(), ROOM_DELETED))
    assert await private_rows(pool, room_deleted) == {}


async def test_a_leave_in_another_room_leaves_private_calls_alone(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    room, caller, other = await private_call(http)
    await post_webhook(http, left("island-x", caller, CLIENT_INITIATED))
    assert statuses(await private_rows(pool, room)) == {caller: "connected", other: "connected"}


async def test_joining_a_private_call_ends_the_previous_one(
    http: httpx.AsyncClient, pool: asyncpg.Pool, fake_livekit: FakeLiveKit
) -> None:
    first, caller, _ = await private_call(http)
    second_id = new_id()
    second = f"voice-chat-private-{second_id}"
    await http.post(
        "/private-voice-chat",
        headers=AUTH,
        json={"user_addresses": [caller, new_address()], "room_id": second_id},
    )
    fake_livekit.clear_calls()
    assert (await post_webhook(http, joined(second, caller))).status_code == 200
    assert statuses(await private_rows(pool, first))[caller] == "disconnected"
    assert statuses(await private_rows(pool, second))[caller] == "connected"
    assert deleted_rooms(fake_livekit) == [first]

    # Joining the same live call again keeps it as it is.
    assert (await post_webhook(http, joined(second, caller))).status_code == 200
    assert statuses(await private_rows(pool, second))[caller] == "connected"
    assert deleted_rooms(fake_livekit) == [first]


async def test_joining_a_private_call_that_is_over_deletes_its_livekit_room(
    http: httpx.AsyncClient, pool: asyncpg.Pool, fake_livekit: FakeLiveKit
) -> None:
    room, caller, _ = await private_call(http)
    await post_webhook(http, left(room, caller, CLIENT_INITIATED))
    fake_livekit.clear_calls()
    await post_webhook(http, joined(room, caller))
    assert deleted_rooms(fake_livekit) == [room]
    assert statuses(await private_rows(pool, room))[caller] == "disconnected"

    empty = f"voice-chat-private-{new_id()}"
    fake_livekit.clear_calls()
    await post_webhook(http, joined(empty, caller))
    assert deleted_rooms(fake_livekit) == [empty]


async def test_a_late_private_leave_changes_nothing(
    http: httpx.AsyncClient, pool: asyncpg.Pool, fake_livekit: FakeLiveKit
) -> None:
    room, caller, _ = await private_call(http)
    old = left(room, caller, CLIENT_INITIATED)
    old.created_at -= HOUR_S
    await post_webhook(http, old)
    assert statuses(await private_rows(pool, room))[caller] == "connected"
    assert deleted_rooms(fake_livekit) == []


async def community_call(
    http: httpx.AsyncClient, fake_livekit: FakeLiveKit
) -> tuple[str, str, str, str]:
    """A community call: (community id, room, moderator, member), both `not_connected`."""
    community_id = new_id()
    moderator, member = new_address(), new_address()
    await join_community(http, community_id, moderator, "moderator", "create")
    await join_community(http, community_id, member)
    fake_livekit.clear_calls()
    return community_id, f"voice-chat-community-{community_id}", moderator, member


async def test_community_joins_record_the_session(
    http: httpx.AsyncClient, pool: asyncpg.Pool, fake_livekit: FakeLiveKit
) -> None:
    _, room, moderator, member = await community_call(http, fake_livekit)
    await post_webhook(http, joined(room, member, "PA_member"))
    await post_webhook(http, joined(room, moderator.upper().replace("0X", "0x"), "PA_mod"))
    rows = await community_rows(pool, room)
    assert (rows[member]["status"], rows[member]["sid"]) == ("connected", "PA_member")
    assert (rows[moderator]["status"], rows[moderator]["is_moderator"]) == ("connected", True)
    assert rows[moderator]["sid"] == "PA_mod"
    # Nobody joins a call through a webhook alone.
    stranger = new_address()
    await post_webhook(http, joined(room, stranger))
    assert stranger not in await community_rows(pool, room)


async def test_community_member_leaves(
    http: httpx.AsyncClient, pool: asyncpg.Pool, fake_livekit: FakeLiveKit
) -> None:
    _, room, moderator, member = await community_call(http, fake_livekit)
    await post_webhook(http, left(room, member, MIGRATION, "PA_m1"))
    assert statuses(await community_rows(pool, room))[member] == "connection_interrupted"
    await post_webhook(http, left(room, member, CLIENT_INITIATED, "PA_m1"))
    assert statuses(await community_rows(pool, room)) == {
        member: "disconnected",
        moderator: "not_connected",
    }
    assert deleted_rooms(fake_livekit) == []


async def test_the_last_moderator_leaving_ends_the_call(
    app: FastAPI,
    http: httpx.AsyncClient,
    pool: asyncpg.Pool,
    fake_livekit: FakeLiveKit,
    sns: SnsQueue,
) -> None:
    community_id, room, moderator, _ = await community_call(http, fake_livekit)
    sns.drain()
    await post_webhook(http, left(room, moderator, CLIENT_INITIATED))
    assert await community_rows(pool, room) == {}
    assert deleted_rooms(fake_livekit) == [room]
    [event] = await published(app, sns, "community-streaming-ended")
    assert event["metadata"] == {"communityId": community_id, "totalParticipants": 2}


async def test_a_moderator_leaving_while_another_is_connected_keeps_the_call(
    http: httpx.AsyncClient, pool: asyncpg.Pool, fake_livekit: FakeLiveKit
) -> None:
    community_id, room, moderator, _ = await community_call(http, fake_livekit)
    second = new_address()
    await join_community(http, community_id, second, "owner", "create")
    await post_webhook(http, joined(room, moderator, "PA_1"))
    await post_webhook(http, joined(room, second, "PA_2"))
    await post_webhook(http, left(room, moderator, CLIENT_INITIATED, "PA_1"))
    rows = await community_rows(pool, room)
    assert rows[moderator]["status"] == "disconnected"
    assert (rows[second]["status"], rows[second]["is_moderator"]) == ("connected", True)
    assert deleted_rooms(fake_livekit) == []


async def test_room_deleted_ends_the_call_and_room_finished_does_nothing(
    app: FastAPI,
    http: httpx.AsyncClient,
    pool: asyncpg.Pool,
    fake_livekit: FakeLiveKit,
    sns: SnsQueue,
) -> None:
    _, room, _, member = await community_call(http, fake_livekit)
    sns.drain()

    await post_webhook(http, webhook_event("room_finished", room=api.Room(name=room)))
    assert len(await community_rows(pool, room)) == 2
    await post_webhook(http, left(room, member, ROOM_DELETED))
    assert await community_rows(pool, room) == {}
    [event] = await published(app, sns, "community-streaming-ended")
    assert event["metadata"]["totalParticipants"] == 2
    await post_webhook(http, left(room, member, ROOM_DELETED))
    assert await published(app, sns, "community-streaming-ended") == []


async def test_a_leave_of_an_older_session_is_ignored(
    http: httpx.AsyncClient, pool: asyncpg.Pool, fake_livekit: FakeLiveKit
) -> None:
    _, room, _, member = await community_call(http, fake_livekit)
    await post_webhook(http, joined(room, member, "PA_old_session"))
    await post_webhook(http, joined(room, member, "PA_new_session"))
    for reason in (CLIENT_INITIATED, PARTICIPANT_REMOVED):
        await post_webhook(http, left(room, member, reason, "PA_old_session"))
    row = (await community_rows(pool, room))[member]
    assert (row["status"], row["sid"]) == ("connected", "PA_new_session")


async def test_a_leave_older_than_the_last_change_is_ignored(
    http: httpx.AsyncClient, pool: asyncpg.Pool, fake_livekit: FakeLiveKit
) -> None:
    _, room, moderator, member = await community_call(http, fake_livekit)
    late = left(room, member, CLIENT_INITIATED, sid="")
    late.created_at -= HOUR_S
    await post_webhook(http, late)
    late_moderator = left(room, moderator, CLIENT_INITIATED, sid="")
    late_moderator.created_at -= 5
    await post_webhook(http, late_moderator)
    assert statuses(await community_rows(pool, room)) == {
        member: "not_connected",
        moderator: "not_connected",
    }
    assert deleted_rooms(fake_livekit) == []


async def test_a_join_delivered_after_its_leave_stays_left(
    http: httpx.AsyncClient, pool: asyncpg.Pool, fake_livekit: FakeLiveKit
) -> None:
    _, room, _, member = await community_call(http, fake_livekit)
    join = joined(room, member, "PA_s1")
    leave = left(room, member, CLIENT_INITIATED, "PA_s1")
    await post_webhook(http, leave)
    await post_webhook(http, join)
    row = (await community_rows(pool, room))[member]
    assert (row["status"], row["sid"]) == ("disconnected", "PA_s1")
    # LiveKit was asked who is there before a leave of an unseen session was trusted.
    assert [c.request.room for c in fake_livekit.calls("ListParticipants")] == [room]


async def test_a_leave_of_an_unseen_session_is_dropped_when_livekit_has_the_user(
    http: httpx.AsyncClient, pool: asyncpg.Pool, fake_livekit: FakeLiveKit
) -> None:
    _, room, _, member = await community_call(http, fake_livekit)
    fake_livekit.add_participant(room, member)
    await post_webhook(http, left(room, member, CLIENT_INITIATED, "PA_unseen"))
    assert statuses(await community_rows(pool, room))[member] == "not_connected"


async def test_duplicated_and_concurrent_webhooks_apply_once(
    http: httpx.AsyncClient, pool: asyncpg.Pool, fake_livekit: FakeLiveKit
) -> None:
    _, room, moderator, member = await community_call(http, fake_livekit)
    join = joined(room, moderator, "PA_m")
    leave = left(room, moderator, CLIENT_INITIATED, "PA_m")
    responses = await asyncio.gather(*(post_webhook(http, join) for _ in range(5)))
    assert {r.status_code for r in responses} == {200}
    assert (await community_rows(pool, room))[moderator]["status"] == "connected"
    responses = await asyncio.gather(*(post_webhook(http, leave) for _ in range(5)))
    assert {r.status_code for r in responses} == {200}
    assert await community_rows(pool, room) == {}
    assert deleted_rooms(fake_livekit) == [room]
    assert member  # the member's row went with the call


async def test_a_killed_room_host_loses_nothing_between_webhooks(
    app: FastAPI, http: httpx.AsyncClient, pool: asyncpg.Pool, fake_livekit: FakeLiveKit
) -> None:
    community_id, room, moderator, member = await community_call(http, fake_livekit)
    await post_webhook(http, joined(room, member, "PA_a"))
    await post_webhook(http, joined(room, moderator, "PA_m"))
    rooms = app.state.runtime.rooms
    key = community_key(community_id)
    ray.kill(await rooms.host(rooms.owner(key)), no_restart=False)

    # The stale leave is still recognised from the stored session, and the new one applies.
    assert (
        await post_webhook(http, left(room, member, CLIENT_INITIATED, "PA_old"))
    ).status_code == 200
    assert (await post_webhook(http, left(room, member, MIGRATION, "PA_a"))).status_code == 200
    rows = await community_rows(pool, room)
    assert (rows[member]["status"], rows[member]["sid"]) == ("connection_interrupted", "PA_a")
    status = await http.get(f"/community-voice-chat/{community_id}/status", headers=AUTH)
    assert status.json() == {"active": True, "participant_count": 2, "moderator_count": 1}
