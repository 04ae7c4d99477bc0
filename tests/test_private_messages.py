"""GET /private-messages/token and PATCH /users/{address}/private-messages-privacy against the
whole app (real signatures, fake social service and LiveKit), and the player-connection rows
both token routes write."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from livekit import api

from api.runtime import Runtime
from integrations.denylist import DenyList
from storage.player_connections import find_connection, upsert_connection
from tests.conftest import LIVEKIT_KEY, LIVEKIT_SECRET, SERVICE_TOKEN
from tests.fakes.livekit import FakeLiveKit
from tests.fakes.upstreams import DENYLIST_PATH, FakeUpstreams
from tests.signing import Identity, make_identity, signed_headers

TOKEN_PATH = "/private-messages/token"
EXPLORER = {"signer": "dcl:explorer"}


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    found: Runtime = app.state.runtime
    return found


async def ask_token(
    http: httpx.AsyncClient,
    identity: Identity,
    metadata: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    signed = signed_headers(identity, "GET", TOKEN_PATH, metadata or EXPLORER)
    return await http.get(TOKEN_PATH, headers={**signed, **(headers or {})})


def claims_of(response: httpx.Response) -> Any:
    adapter = response.json()["adapter"]
    assert adapter.startswith("livekit:wss://")
    return api.TokenVerifier(LIVEKIT_KEY, LIVEKIT_SECRET).verify(adapter.split("access_token=")[1])


def privacy_path(identity: str) -> str:
    return f"/social/v1/users/{identity}/privacy-settings"


async def test_token_joins_the_private_messages_room_listening_only(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams
) -> None:
    alice = make_identity()
    fake_upstreams.reply(
        "GET", privacy_path(alice.lower_address), json={"private_messages_privacy": "only_friends"}
    )

    response = await ask_token(http, alice)

    assert response.status_code == 200
    claims = claims_of(response)
    assert claims.identity == alice.lower_address
    assert claims.video.room == "private-messages"
    assert (claims.video.can_publish, claims.video.can_subscribe) == (False, True)
    assert claims.video.can_update_own_metadata is False
    assert claims.video.can_publish_sources == ["microphone"]
    assert json.loads(claims.metadata) == {"private_messages_privacy": "only_friends"}


async def test_social_service_failing_means_everyone(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams
) -> None:
    alice = make_identity()
    fake_upstreams.reply("GET", privacy_path(alice.lower_address), status=503, json={})

    response = await ask_token(http, alice)

    assert response.status_code == 200
    assert json.loads(claims_of(response).metadata) == {"private_messages_privacy": "all"}


async def test_deny_listed_wallet_gets_401(
    http: httpx.AsyncClient,
    fake_upstreams: FakeUpstreams,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        runtime.services, "deny_list", DenyList(runtime.services.http, runtime.settings)
    )
    alice = make_identity()
    fake_upstreams.reply("GET", DENYLIST_PATH, json={"users": [{"wallet": alice.address}]})

    response = await ask_token(http, alice)

    assert (response.status_code, response.json()) == (
        401,
        {"error": "Access denied, deny-listed wallet"},
    )


async def test_banned_device_gets_403(http: httpx.AsyncClient, runtime: Runtime, pool: Any) -> None:
    device = f"banned-device-{make_identity().lower_address[-6:]}"
    await pool.execute(
        "INSERT INTO user_bans (banned_address, banned_by, reason, banned_device_id)"
        " VALUES ('0x0000000000000000000000000000000000000bad', 'mod', 'spam', $1)",
        device,
    )
    async with asyncio.timeout(5):
        while not runtime.platform_bans.banned_in_memory("0xnobody", device):
            await runtime.platform_bans.next_refresh()

    response = await ask_token(http, make_identity(), {**EXPLORER, "deviceIdentifier": device})

    assert (response.status_code, response.json()) == (
        403,
        {"error": "Access denied, platform-banned user"},
    )


async def test_token_request_records_the_connection(
    http: httpx.AsyncClient, runtime: Runtime, pool: Any
) -> None:
    alice = make_identity()

    response = await ask_token(
        http,
        alice,
        {**EXPLORER, "deviceIdentifier": "device-xyz"},
        headers={"cf-connecting-ip": "9.9.9.9"},
    )
    await runtime.connections.flush()

    assert response.status_code == 200
    async with pool.acquire() as connection:
        stored = await find_connection(connection, alice.lower_address)
    assert stored is not None
    assert (stored.ip_address, stored.device_id) == ("9.9.9.9", "device-xyz")


async def test_scene_signer_is_refused(http: httpx.AsyncClient) -> None:
    response = await ask_token(http, make_identity(), {"signer": "decentraland-kernel-scene"})

    assert response.status_code == 400
    assert response.json()["ok"] is False


# PATCH /users/{address}/private-messages-privacy


def privacy_url(address: str) -> str:
    return f"/users/{address}/private-messages-privacy"


AUTH = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


async def test_privacy_change_merges_into_the_participant(
    http: httpx.AsyncClient, fake_livekit: FakeLiveKit
) -> None:
    address = make_identity().lower_address
    fake_livekit.add_participant("private-messages", address, metadata='{"other":1}')

    response = await http.patch(
        privacy_url(address.upper().replace("0X", "0x")),
        headers=AUTH,
        json={"private_messages_privacy": "ALL"},
    )

    assert (response.status_code, response.content) == (204, b"")
    assert fake_livekit.participant_metadata("private-messages", address) == {
        "other": 1,
        "private_messages_privacy": "ALL",
    }


async def test_privacy_change_for_absent_participant_gets_400(http: httpx.AsyncClient) -> None:
    response = await http.patch(
        privacy_url(make_identity().lower_address),
        headers=AUTH,
        json={"private_messages_privacy": "all"},
    )

    assert (response.status_code, response.json()) == (
        400,
        {"error": "Participant is not connected to the room"},
    )


async def test_privacy_change_with_livekit_failing_gets_5xx(
    http: httpx.AsyncClient, fake_livekit: FakeLiveKit
) -> None:
    address = make_identity().lower_address
    fake_livekit.add_participant("private-messages", address)
    fake_livekit.fail_next("UpdateParticipant")

    response = await http.patch(
        privacy_url(address), headers=AUTH, json={"private_messages_privacy": "all"}
    )

    assert response.status_code == 502


@pytest.mark.parametrize(
    ("address", "body", "error"),
    [
        ("invalid-address", '{"private_messages_privacy":"all"}', "Invalid address"),
        ("0x" + "a" * 40, "not json", "Invalid request body"),
        ("0x" + "a" * 40, '{"private_messages_privacy":"invalid-value"}', None),
        ("0x" + "a" * 40, "{}", None),
    ],
)
async def test_bad_privacy_change_gets_400(
    http: httpx.AsyncClient, address: str, body: str, error: str | None
) -> None:
    response = await http.patch(privacy_url(address), headers=AUTH, content=body)

    assert response.status_code == 400
    assert response.json() == {"error": error or "Invalid private_messages_privacy"}


async def test_privacy_change_wants_the_service_token(http: httpx.AsyncClient) -> None:
    response = await http.patch(
        privacy_url("0x" + "a" * 40),
        headers={"Authorization": "Bearer wrong"},
        json={"private_messages_privacy": "all"},
    )

    assert (response.status_code, response.json()) == (
        401,
        {"error": "Invalid authorization header"},
    )


# player_connection_info


async def test_first_upsert_stores_values_and_times(pool: Any) -> None:
    address = make_identity().lower_address
    async with pool.acquire() as connection:
        await upsert_connection(connection, address, "1.1.1.1", "d-1", 1000)
        stored = await find_connection(connection, address)

    assert stored is not None
    assert (stored.ip_address, stored.device_id, stored.created_at, stored.updated_at) == (
        "1.1.1.1",
        "d-1",
        1000,
        1000,
    )


async def test_later_upserts_replace_given_values_and_keep_the_rest(pool: Any) -> None:
    address = make_identity().lower_address
    async with pool.acquire() as connection:
        await upsert_connection(connection, address, "1.1.1.1", "d-1", 1000)
        await upsert_connection(connection, address, "2.2.2.2", "d-2", 2000)
        both = await find_connection(connection, address)
        await upsert_connection(connection, address, None, None, 3000)
        await upsert_connection(connection, address, "", "", 4000)
        kept = await find_connection(connection, address)
        await upsert_connection(connection, address, "3.3.3.3", None, 5000)
        ip_only = await find_connection(connection, address)
        count = await connection.fetchval(
            "SELECT count(*) FROM player_connection_info WHERE address = $1", address
        )

    assert both is not None
    assert kept is not None
    assert ip_only is not None
    assert (both.ip_address, both.device_id, both.created_at) == ("2.2.2.2", "d-2", 1000)
    assert (kept.ip_address, kept.device_id, kept.updated_at) == ("2.2.2.2", "d-2", 4000)
    assert (ip_only.ip_address, ip_only.device_id) == ("3.3.3.3", "d-2")
    assert count == 1


async def test_first_upsert_without_values_stores_nulls(pool: Any) -> None:
    nothing, empty = make_identity().lower_address, make_identity().lower_address
    async with pool.acquire() as connection:
        await upsert_connection(connection, nothing, None, None, 1)
        await upsert_connection(connection, empty, "", "", 1)
        rows = [await find_connection(connection, a) for a in (nothing, empty)]
        unknown = await find_connection(connection, make_identity().lower_address)

    assert [(r.ip_address, r.device_id) for r in rows if r is not None] == [
        (None, None),
        (None, None),
    ]
    assert unknown is None


async def test_recorder_merges_notes_for_one_address(runtime: Runtime, pool: Any) -> None:
    address = make_identity().lower_address

    runtime.connections.record(address, "4.4.4.4", None)
    runtime.connections.record(address, None, "d-4")
    await runtime.connections.flush()

    async with pool.acquire() as connection:
        stored = await find_connection(connection, address)
    assert stored is not None
    assert (stored.ip_address, stored.device_id) == ("4.4.4.4", "d-4")
