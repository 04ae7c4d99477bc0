"""Community calls over HTTP: tokens, status (one, bulk, active), ending a call."""

from __future__ import annotations

import asyncpg
import httpx
import jwt
from fastapi import FastAPI

from tests.conftest import LIVEKIT_KEY, LIVEKIT_SECRET
from tests.fakes.livekit import FakeLiveKit
from tests.fakes.sns import SnsQueue
from tests.voice_support import (
    AUTH,
    community_rows,
    join_community,
    new_address,
    new_id,
    now_ms,
    published,
)

MINUTE_MS = 60_000


def token_claims(response: httpx.Response) -> dict[str, object]:
    token = response.json()["connection_url"].split("access_token=")[1]
    return dict(jwt.decode(token, LIVEKIT_SECRET, algorithms=["HS256"], issuer=LIVEKIT_KEY))


async def insert_row(
    pool: asyncpg.Pool,
    community_id: str,
    address: str,
    *,
    moderator: bool,
    status: str,
    at: int,
) -> None:
    await pool.execute(
        "INSERT INTO community_voice_chat_users "
        "(address, room_name, is_moderator, status, joined_at, status_updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $5)",
        address,
        f"voice-chat-community-{community_id}",
        moderator,
        status,
        at,
    )


async def test_user_status_counts_only_the_users_own_rows(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    community_id = new_id()
    someone, caller = new_address(), new_address()
    # Another user's fresh row must not put the caller in a call.
    await insert_row(
        pool, community_id, someone, moderator=False, status="not_connected", at=now_ms()
    )
    outside = await http.get(f"/users/{caller}/community-voice-chat-status", headers=AUTH)
    assert outside.json() == {"userAddress": caller, "isInCommunityVoiceChat": False}

    await join_community(http, community_id, caller)
    mixed = "0x" + caller[2:].upper()
    inside = await http.get(f"/users/{mixed}/community-voice-chat-status", headers=AUTH)
    assert inside.json() == {"userAddress": caller, "isInCommunityVoiceChat": True}

    assert (await http.get("/users//community-voice-chat-status", headers=AUTH)).status_code == 404
    assert (await http.get(f"/users/{caller}/community-voice-chat-status")).status_code == 401


async def test_create_by_owner_speaks_with_profile_metadata(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    community_id = new_id()
    owner = new_address()
    response = await http.post(
        "/community-voice-chat",
        headers=AUTH,
        json={
            "community_id": community_id,
            "user_address": "0x" + owner[2:].upper(),
            "action": "create",
            "user_role": "owner",
            "profile_data": {
                "name": "Alice",
                "has_claimed_name": True,
                "profile_picture_url": "https://x/p.png",
                "hasClaimedName": "ignored",
            },
        },
    )
    assert response.status_code == 200
    claims = token_claims(response)
    assert claims["sub"] == owner
    video = claims["video"]
    assert isinstance(video, dict)
    assert video["room"] == f"voice-chat-community-{community_id}"
    assert (video["canPublish"], video["canSubscribe"], video["canUpdateOwnMetadata"]) == (
        True,
        True,
        False,
    )
    assert claims["metadata"] == (
        '{"role":"owner","isSpeaker":true,"muted":false,"name":"Alice",'
        '"hasClaimedName":true,"profilePictureUrl":"https://x/p.png"}'
    )
    rows = await community_rows(pool, f"voice-chat-community-{community_id}")
    assert rows[owner]["is_moderator"] is True
    assert rows[owner]["status"] == "not_connected"


async def test_join_tokens_are_listeners_whatever_the_role(http: httpx.AsyncClient) -> None:
    community_id = new_id()
    for role, action in (("owner", "join"), ("member", "join"), ("none", "join")):
        response = await join_community(http, community_id, new_address(), role, action)
        claims = token_claims(response)
        video = claims["video"]
        assert isinstance(video, dict)
        assert video["canPublish"] is False
        assert claims["metadata"] == f'{{"role":"{role}","isSpeaker":false,"muted":false}}'
    moderator = await http.post(
        "/community-voice-chat",
        headers=AUTH,
        json={"community_id": community_id, "user_address": new_address(), "action": "create"},
    )
    assert token_claims(moderator)["metadata"] == '{"role":"none","isSpeaker":false,"muted":false}'


async def test_rejoin_keeps_joined_at_and_resets_the_status(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    community_id = new_id()
    room = f"voice-chat-community-{community_id}"
    member = new_address()
    await join_community(http, community_id, member)
    first = (await community_rows(pool, room))[member]
    await pool.execute(
        "UPDATE community_voice_chat_users SET status = 'connected', sid = 'PA_x' "
        "WHERE room_name = $1",
        room,
    )
    await join_community(http, community_id, member, "moderator")
    again = (await community_rows(pool, room))[member]
    assert again["joined_at"] == first["joined_at"]
    assert (again["status"], again["sid"], again["is_moderator"]) == ("not_connected", None, True)


async def test_token_requests_with_bad_bodies_are_400(http: httpx.AsyncClient) -> None:
    address = new_address()
    good = {"community_id": "c", "user_address": address, "action": "join"}
    for missing in ("community_id", "user_address", "action"):
        body = {k: v for k, v in good.items() if k != missing}
        response = await http.post("/community-voice-chat", headers=AUTH, json=body)
        assert response.status_code == 400, missing
    bad_action = await http.post(
        "/community-voice-chat", headers=AUTH, json={**good, "action": "invalid_action"}
    )
    assert bad_action.status_code == 400
    bad_role = await http.post(
        "/community-voice-chat", headers=AUTH, json={**good, "user_role": "invalid_role"}
    )
    assert bad_role.status_code == 400
    assert bad_role.json()["message"] == "Invalid JSON body"
    assert bad_role.json()["data"][0]["instancePath"] == "/user_role"
    not_json = await http.post("/community-voice-chat", headers=AUTH, content=b"invalid json")
    assert not_json.status_code == 400
    assert not_json.json()["ok"] is False


async def test_room_status_follows_active_moderators(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    now = now_ms()
    none_active = new_id()
    assert (await http.get(f"/community-voice-chat/{none_active}/status", headers=AUTH)).json() == {
        "active": False,
        "participant_count": 0,
        "moderator_count": 0,
    }
    cases = [
        ("connected", now, True, 2, 1),
        ("not_connected", now, True, 2, 1),
        ("connection_interrupted", now - MINUTE_MS, True, 2, 1),
        ("not_connected", now - 6 * MINUTE_MS, False, 0, 0),
    ]
    for status, at, active, participants, moderators in cases:
        community_id = f"{new_id()}_with-{status}"
        await insert_row(pool, community_id, new_address(), moderator=True, status=status, at=at)
        await insert_row(
            pool, community_id, new_address(), moderator=False, status="connected", at=now
        )
        response = await http.get(f"/community-voice-chat/{community_id}/status", headers=AUTH)
        assert response.json() == {
            "active": active,
            "participant_count": participants,
            "moderator_count": moderators,
        }, status

    assert (await http.get("/community-voice-chat//status", headers=AUTH)).status_code == 404
    blank = await http.get("/community-voice-chat/%20/status", headers=AUTH)
    assert (blank.status_code, blank.json()) == (
        400,
        {"error": "The parameter communityId is required"},
    )


async def test_bulk_status_is_ordered_by_room_name(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    base = new_id()
    active_id, members_only, empty = f"{base}-b", f"{base}-a", f"{base}-c"
    now = now_ms()
    await insert_row(pool, active_id, new_address(), moderator=True, status="connected", at=now)
    await insert_row(pool, active_id, new_address(), moderator=False, status="connected", at=now)
    await insert_row(pool, members_only, new_address(), moderator=False, status="connected", at=now)
    response = await http.post(
        "/community-voice-chat/status",
        headers=AUTH,
        json={"community_ids": [empty, active_id, members_only]},
    )
    assert response.status_code == 200
    assert response.json() == {
        "data": [
            {
                "community_id": members_only,
                "active": False,
                "participant_count": 1,
                "moderator_count": 0,
            },
            {
                "community_id": active_id,
                "active": True,
                "participant_count": 2,
                "moderator_count": 1,
            },
            {"community_id": empty, "active": False, "participant_count": 0, "moderator_count": 0},
        ]
    }
    nothing = await http.post(
        "/community-voice-chat/status", headers=AUTH, json={"community_ids": []}
    )
    assert nothing.json() == {"data": []}
    for body in (
        b'{"community_ids": "x"}',
        b'{"community_ids": [1]}',
        b'{"community_ids": [""]}',
        b'{"community_ids": ["   "]}',
        b"{}",
        b"not json",
    ):
        bad = await http.post("/community-voice-chat/status", headers=AUTH, content=body)
        assert bad.status_code == 400, body


async def test_active_calls_need_an_active_moderator(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    now = now_ms()
    first, second, members_only = new_id(), new_id(), new_id()
    await insert_row(pool, first, new_address(), moderator=True, status="connected", at=now)
    await insert_row(pool, first, new_address(), moderator=False, status="connected", at=now)
    await insert_row(pool, second, new_address(), moderator=True, status="connected", at=now)
    await insert_row(pool, members_only, new_address(), moderator=False, status="connected", at=now)
    response = await http.get("/community-voice-chat/active", headers=AUTH)
    assert response.status_code == 200
    answer = response.json()
    assert answer["total"] == len(answer["data"])
    mine = {item["communityId"]: item for item in answer["data"]}
    assert mine[first] == {"communityId": first, "participantCount": 2, "moderatorCount": 1}
    assert mine[second] == {"communityId": second, "participantCount": 1, "moderatorCount": 1}
    assert members_only not in mine
    bad = await http.get("/community-voice-chat/active", headers={"Authorization": "Bearer x"})
    assert (bad.status_code, bad.json()) == (401, {"error": "Invalid authorization header"})


async def test_end_deletes_rows_livekit_room_and_publishes_the_count(
    app: FastAPI,
    http: httpx.AsyncClient,
    pool: asyncpg.Pool,
    fake_livekit: FakeLiveKit,
    sns: SnsQueue,
) -> None:
    community_id = new_id()
    room = f"voice-chat-community-{community_id}"
    moderator = new_address()
    await join_community(http, community_id, moderator, "moderator", "create")
    for _ in range(3):
        await join_community(http, community_id, new_address())
    fake_livekit.add_room(room)
    sns.drain()

    response = await http.request(
        "DELETE",
        f"/community-voice-chat/{community_id}",
        headers=AUTH,
        json={"user_address": moderator},
    )
    assert response.status_code == 200
    assert response.json() == {"message": "Community voice chat ended successfully"}
    assert await community_rows(pool, room) == {}
    assert fake_livekit.room(room) is None
    [event] = await published(app, sns, "community-streaming-ended")
    assert event["type"] == "streaming"
    assert event["metadata"] == {"communityId": community_id, "totalParticipants": 4}


async def test_end_of_an_empty_call_publishes_nothing(
    app: FastAPI, http: httpx.AsyncClient, sns: SnsQueue
) -> None:
    sns.drain()
    response = await http.request(
        "DELETE",
        f"/community-voice-chat/{new_id()}",
        headers=AUTH,
        json={"user_address": new_address()},
    )
    assert response.status_code == 200
    assert await published(app, sns, "community-streaming-ended") == []


async def test_end_by_a_member_who_is_not_moderator_is_403(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    community_id = new_id()
    member = new_address()
    await join_community(http, community_id, new_address(), "moderator", "create")
    await join_community(http, community_id, member)
    response = await http.request(
        "DELETE",
        f"/community-voice-chat/{community_id}",
        headers=AUTH,
        json={"user_address": member},
    )
    assert response.status_code == 403
    assert len(await community_rows(pool, f"voice-chat-community-{community_id}")) == 2


async def test_end_validates_body_auth_and_method(http: httpx.AsyncClient) -> None:
    path = f"/community-voice-chat/{new_id()}"
    empty = await http.request("DELETE", path, headers=AUTH, json={})
    assert (empty.status_code, empty.json()) == (
        400,
        {"error": "The property user_address is required"},
    )
    not_json = await http.request("DELETE", path, headers=AUTH, content=b"{nope")
    assert (not_json.status_code, not_json.json()) == (400, {"error": "Invalid request body"})
    assert (await http.request("DELETE", path, json={"user_address": "x"})).status_code == 401
    assert (await http.delete("/community-voice-chat/", headers=AUTH)).status_code == 405
