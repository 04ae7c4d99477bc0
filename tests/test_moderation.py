"""Platform moderation over HTTP against the app: bans, lifts, warnings, who may do them."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from eth_account import Account
from fastapi import FastAPI

from api.auth import AuthServices
from api.runtime import Runtime
from integrations.feature_flags import ModeratorAllowList
from tests.fakes.livekit import FakeLiveKit
from tests.fakes.sns import SnsQueue
from tests.fakes.upstreams import FakeUpstreams
from tests.signing import Identity, make_identity, signed_headers

MODERATOR_TOKEN = "test-moderator-token"
MODERATOR_SIGNER = {"signer": "dcl:moderator"}
SCENE_SIGNER = {"signer": "decentraland-kernel-scene"}


@pytest.fixture
async def moderator(
    app: FastAPI, http: httpx.AsyncClient, fake_upstreams: FakeUpstreams
) -> AsyncIterator[Identity]:
    """A wallet on the feature-flag allow-list, and MODERATOR_TOKEN set, for one test."""
    identity = make_identity()
    flag = "dapps-platform_user_moderators"
    fake_upstreams.reply(
        "GET",
        "/feature-flags/dapps.json",
        json={
            "flags": {flag: True},
            "variants": {flag: {"payload": {"value": f"0xnot-an-address,\n{identity.address}"}}},
        },
    )
    original: AuthServices = app.state.auth
    runtime: Runtime = app.state.runtime
    app.state.auth = dataclasses.replace(
        original,
        moderators=ModeratorAllowList(
            runtime.services.http, fake_upstreams.url("feature_flags"), 5000
        ),
        moderator_token=MODERATOR_TOKEN,
    )
    yield identity
    app.state.auth = original


def player() -> str:
    return Account.create().address


def signed(identity: Identity, method: str, path: str, metadata: dict[str, Any]) -> dict[str, str]:
    return signed_headers(identity, method, path, metadata)


async def ban(
    http: httpx.AsyncClient, who: Identity, address: str, body: dict[str, Any]
) -> httpx.Response:
    path = f"/users/{address}/bans"
    return await http.post(path, json=body, headers=signed(who, "POST", path, MODERATOR_SIGNER))


async def test_unsigned_and_non_moderator_requests_are_refused(
    http: httpx.AsyncClient, moderator: Identity
) -> None:
    address = player()
    stranger = make_identity()
    requests = [
        ("POST", f"/users/{address}/bans", {"reason": "x"}),
        ("DELETE", f"/users/{address}/bans", None),
        ("POST", f"/users/{address}/warnings", {"reason": "x"}),
        ("GET", f"/users/{address}/warnings", None),
        ("GET", "/bans", None),
    ]
    for method, path, body in requests:
        unsigned = await http.request(method, path, json=body)
        assert unsigned.status_code == 401, path
        refused = await http.request(
            method, path, json=body, headers=signed(stranger, method, path, MODERATOR_SIGNER)
        )
        assert refused.status_code == 401, path
        assert refused.json() == {"error": "You are not authorized to access this resource"}
        # A moderator's signature made for a scene counts as no signature at all.
        as_scene = await http.request(
            method, path, json=body, headers=signed(moderator, method, path, SCENE_SIGNER)
        )
        assert as_scene.status_code == 401, path


async def test_non_moderator_with_a_bad_body_still_gets_401(
    http: httpx.AsyncClient, moderator: Identity
) -> None:
    response = await ban(http, make_identity(), player(), {})
    assert response.status_code == 401


async def test_moderator_bans_and_the_ban_is_public(
    http: httpx.AsyncClient, moderator: Identity, sns: SnsQueue, app: FastAPI
) -> None:
    sns.drain()
    address = player()
    response = await ban(http, moderator, address, {"reason": "Spamming"})
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["bannedAddress"] == address.lower()
    assert data["bannedBy"] == moderator.lower_address
    assert (data["reason"], data["expiresAt"], data["liftedAt"]) == ("Spamming", None, None)
    assert data["bannedAt"].endswith("Z")

    status = (await http.get(f"/users/{address}/bans")).json()["data"]
    assert status["isBanned"] is True
    assert status["ban"]["id"] == data["id"]

    await app.state.runtime.settle()
    [event] = [e for e in sns.drain() if e["subType"] == "user-ban-created"]
    assert event["type"] == "moderation"
    assert event["key"] == data["id"]
    assert event["metadata"]["bannedAddress"] == address.lower()
    assert event["metadata"]["expiresAt"] is None
    assert "customMessage" not in event["metadata"]


async def test_timed_ban_with_message_expires_in_the_future(
    http: httpx.AsyncClient, moderator: Identity
) -> None:
    body = {"reason": "Toxic", "duration": 3_600_000, "customMessage": "Cool down"}
    response = await ban(http, moderator, player(), body)
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["customMessage"] == "Cool down"
    assert data["expiresAt"] > data["bannedAt"]


async def test_second_ban_conflicts_and_bad_bodies_are_400(
    http: httpx.AsyncClient, moderator: Identity
) -> None:
    address = player()
    assert (await ban(http, moderator, address, {"reason": "a"})).status_code == 201
    again = await ban(http, moderator, address, {"reason": "b"})
    assert again.status_code == 409
    assert again.json() == {
        "error": "Conflict",
        "message": f"Player is already banned: {address.lower()}",
    }
    empty = await ban(http, moderator, player(), {})
    assert empty.status_code == 400
    assert empty.json()["message"] == "Invalid JSON body"
    assert empty.json()["data"][0]["params"] == {"missingProperty": "reason"}
    extra = await ban(http, moderator, player(), {"reason": "a", "duration": "1h"})
    assert extra.status_code == 400


async def test_two_moderators_banning_at_once_make_one_ban(
    http: httpx.AsyncClient, moderator: Identity, pool: asyncpg.Pool
) -> None:
    address = player()
    answers = await asyncio.gather(
        *(ban(http, moderator, address, {"reason": f"r{n}"}) for n in range(5))
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409]
    count = await pool.fetchval(
        "SELECT count(*) FROM user_bans WHERE banned_address = $1", address.lower()
    )
    assert count == 1


async def test_ban_captures_the_players_device_and_kicks_them_from_rooms(
    http: httpx.AsyncClient,
    moderator: Identity,
    pool: asyncpg.Pool,
    fake_livekit: FakeLiveKit,
    app: FastAPI,
) -> None:
    address = player()
    await pool.execute(
        "INSERT INTO player_connection_info (address, ip_address, device_id, created_at, "
        "updated_at) VALUES ($1, NULL, 'device-abc', 1, 1)",
        address.lower(),
    )
    fake_livekit.add_room("scene-main:bafy-1")
    fake_livekit.add_participant("scene-main:bafy-1", address)  # checksummed, as it joined
    fake_livekit.add_room("scene-main:bafy-2")
    fake_livekit.add_participant("scene-main:bafy-2", player())

    response = await ban(http, moderator, address, {"reason": "Cheating"})
    assert response.json()["data"]["bannedDeviceId"] == "device-abc"

    await app.state.runtime.settle()
    assert fake_livekit.identities("scene-main:bafy-1") == []
    assert len(fake_livekit.identities("scene-main:bafy-2")) == 1


async def test_ban_succeeds_when_livekit_is_down(
    http: httpx.AsyncClient, moderator: Identity, fake_livekit: FakeLiveKit, app: FastAPI
) -> None:
    fake_livekit.fail_always("ListRooms", "unavailable", "down")
    response = await ban(http, moderator, player(), {"reason": "x"})
    assert response.status_code == 201
    await app.state.runtime.settle()


async def test_lift_ends_the_ban_and_a_second_lift_is_404(
    http: httpx.AsyncClient, moderator: Identity, sns: SnsQueue, app: FastAPI
) -> None:
    address = player()
    created = (await ban(http, moderator, address, {"reason": "x"})).json()["data"]
    path = f"/users/{address}/bans"
    sns.drain()
    lifted = await http.delete(path, headers=signed(moderator, "DELETE", path, MODERATOR_SIGNER))
    assert (lifted.status_code, lifted.content) == (204, b"")
    assert (await http.get(path)).json() == {"data": {"isBanned": False}}

    await app.state.runtime.settle()
    [event] = [e for e in sns.drain() if e["subType"] == "user-ban-lifted"]
    assert event["metadata"]["id"] == created["id"]
    assert event["metadata"]["liftedBy"] == moderator.lower_address

    again = await http.delete(path, headers=signed(moderator, "DELETE", path, MODERATOR_SIGNER))
    assert again.status_code == 404
    assert again.json() == {
        "error": "Not Found",
        "message": f"No active ban found for player: {address.lower()}",
    }


async def test_expired_ban_is_not_in_force(http: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
    address = player().lower()
    await pool.execute(
        "INSERT INTO user_bans (id, banned_address, banned_by, reason, banned_at, expires_at, "
        "created_at) VALUES (gen_random_uuid(), $1, '0xmod', 'old', "
        "(now() AT TIME ZONE 'UTC') - interval '1 hour', "
        "(now() AT TIME ZONE 'UTC') - interval '1 second', now() AT TIME ZONE 'UTC')",
        address,
    )
    assert (await http.get(f"/users/{address}/bans")).json() == {"data": {"isBanned": False}}


async def test_warnings_are_listed_newest_first(
    http: httpx.AsyncClient, moderator: Identity
) -> None:
    address = player()
    path = f"/users/{address}/warnings"
    for reason in ("first", "second"):
        warned = await http.post(
            path, json={"reason": reason}, headers=signed(moderator, "POST", path, MODERATOR_SIGNER)
        )
        assert warned.status_code == 201
        assert warned.json()["data"]["warnedAddress"] == address.lower()
    listed = await http.get(path, headers=signed(moderator, "GET", path, MODERATOR_SIGNER))
    assert [w["reason"] for w in listed.json()["data"]] == ["second", "first"]
    other = f"/users/{player()}/warnings"
    none = await http.get(other, headers=signed(moderator, "GET", other, MODERATOR_SIGNER))
    assert (none.status_code, none.json()) == (200, {"data": []})
    empty = await http.post(
        path, json={}, headers=signed(moderator, "POST", path, MODERATOR_SIGNER)
    )
    assert empty.status_code == 400


async def test_token_moderators_name_themselves_on_writes(
    http: httpx.AsyncClient, moderator: Identity
) -> None:
    address = player()
    bearer = {"Authorization": f"Bearer {MODERATOR_TOKEN}"}
    nameless = await http.post(f"/users/{address}/bans", json={"reason": "x"}, headers=bearer)
    assert (nameless.status_code, nameless.json()) == (
        400,
        {"error": "Missing moderator query parameter"},
    )
    named = await http.post(
        f"/users/{address}/bans?moderator=John%20Doe", json={"reason": "x"}, headers=bearer
    )
    assert named.status_code == 201
    assert named.json()["data"]["bannedBy"] == "john doe"
    listed = await http.get("/bans", headers=bearer)
    assert address.lower() in [b["bannedAddress"] for b in listed.json()["data"]]
    wrong = await http.get("/bans", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


async def test_invalid_player_address_is_a_bad_request(
    http: httpx.AsyncClient, moderator: Identity
) -> None:
    response = await http.get("/users/not-an-address/bans")
    assert (response.status_code, response.json()) == (400, {"error": "Invalid address"})
