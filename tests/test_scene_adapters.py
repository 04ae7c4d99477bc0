"""POST /get-scene-adapter and POST /get-server-scene-adapter against the whole app: real
PostgreSQL and room hosts, requests signed with real keys, fake Places/Worlds/Lambdas/LiveKit."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from livekit import api

from actors.keys import place_key
from api.runtime import Runtime
from config.errors import ServiceUnavailableError
from integrations.denylist import DenyList
from integrations.livekit.room_names import RoomNames
from storage.player_connections import find_connection
from tests.conftest import LIVEKIT_KEY, LIVEKIT_SECRET
from tests.fakes.livekit import FakeLiveKit
from tests.fakes.upstreams import DENYLIST_PATH, FakeUpstreams
from tests.signing import Identity, make_identity, signed_headers

SCENE_SIGNER = "decentraland-kernel-scene"
ADAPTER = "/get-scene-adapter"
SERVER_ADAPTER = "/get-server-scene-adapter"


# Helpers.


def unique_parcel() -> str:
    return f"{random.randint(-150, 150)},{random.randint(1000, 900_000)}"


def unique_world() -> str:
    return f"w{uuid.uuid4().hex[:10]}.dcl.eth"


def scene_hash() -> str:
    return f"bafkrei{uuid.uuid4().hex}"


def place_json(place_id: str, parcel: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": place_id,
        "title": "A place",
        "positions": [parcel],
        "base_position": parcel,
        "world": False,
        "disabled": False,
        **extra,
    }


def token_of(adapter: str) -> str:
    head, _, token = adapter.partition("?access_token=")
    assert head.startswith("livekit:wss://")
    assert token
    return token


def verify(token: str) -> Any:
    return api.TokenVerifier(LIVEKIT_KEY, LIVEKIT_SECRET).verify(token)


def assert_scene_token(adapter: str, identity: str, room: str) -> None:
    token = token_of(adapter)
    claims = verify(token)
    assert claims.identity == identity
    video = claims.video
    assert (video.room, video.room_join, video.room_list) == (room, True, False)
    assert (video.can_publish, video.can_subscribe, video.can_publish_data) == (True, True, True)
    assert video.can_update_own_metadata is True
    assert video.can_publish_sources == ["microphone"]
    raw = jwt.decode(token, LIVEKIT_SECRET, algorithms=["HS256"], issuer=LIVEKIT_KEY)
    assert raw["exp"] - raw["nbf"] == 300


def legacy_metadata(realm: str, scene_id: str | None, parcel: str | None, **extra: Any) -> Any:
    metadata: dict[str, Any] = {"signer": SCENE_SIGNER, "realmName": realm, **extra}
    if scene_id is not None:
        metadata["sceneId"] = scene_id
    if parcel is not None:
        metadata["parcel"] = parcel
    return metadata


async def ask(
    http: httpx.AsyncClient,
    identity: Identity,
    metadata: dict[str, Any],
    path: str = ADAPTER,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    signed = signed_headers(identity, "POST", path, metadata)
    return await http.post(path, headers={**signed, **(headers or {})})


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    found: Runtime = app.state.runtime
    return found


@pytest.fixture
def configured(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Identity:
    """Local previews allowed and a known authoritative server; yields the server's identity."""
    server = make_identity()
    settings = runtime.settings.model_copy(
        update={"ALLOW_LOCAL_PREVIEW": "true", "AUTHORITATIVE_SERVER_ADDRESS": server.address}
    )
    monkeypatch.setattr(runtime, "settings", settings)
    monkeypatch.setattr(runtime.services, "names", RoomNames.from_settings(settings))
    return server


@pytest.fixture
def fresh_deny_list(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """A deny list with an empty cache, so this test's programmed list is the one read."""
    monkeypatch.setattr(
        runtime.services, "deny_list", DenyList(runtime.services.http, runtime.settings)
    )


def program_world(
    fake: FakeUpstreams, world: str, *, owner: str = "", access: dict[str, Any] | None = None
) -> None:
    fake.reply(
        "GET",
        f"/worlds/world/{world.lower()}/permissions",
        json={
            "owner": owner,
            "permissions": {
                "deployment": {"type": "allow-list", "wallets": []},
                "access": access or {"type": "allow-list", "wallets": []},
                "streaming": {"type": "allow-list", "wallets": []},
            },
        },
    )


def program_about(fake: FakeUpstreams, world: str, scene_id: str) -> None:
    urn = f"urn:decentraland:entity:{scene_id}?=&baseUrl=https://example.org/contents/"
    fake.reply(
        "GET",
        f"/worlds/world/{world.lower()}/about",
        json={"configurations": {"scenesUrn": [urn]}},
    )


async def ban_through_room(runtime: Runtime, place_id: str, address: str) -> None:
    await runtime.snapshots.write(place_key(place_id), "add_ban", address.lower(), "0xmoderator")


# POST /get-scene-adapter


async def test_player_gets_a_scene_token(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime
) -> None:
    alice = make_identity()
    parcel = unique_parcel()
    fake_upstreams.reply(
        "GET",
        "/places-api/places",
        json={"data": [place_json(str(uuid.uuid4()), parcel)]},
        query={"positions": parcel},
    )

    response = await ask(http, alice, legacy_metadata("test-realm", "test-scene", parcel))

    assert response.status_code == 200
    assert list(response.json()) == ["adapter"]
    assert_scene_token(
        response.json()["adapter"], alice.lower_address, "scene-test-realm:test-scene"
    )
    await runtime.settle()


async def test_scene_banned_player_gets_403(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime
) -> None:
    alice = make_identity()
    parcel = unique_parcel()
    place_id = str(uuid.uuid4())
    fake_upstreams.reply(
        "GET",
        "/places-api/places",
        json={"data": [place_json(place_id, parcel)]},
        query={"positions": parcel},
    )
    await ban_through_room(runtime, place_id, alice.address)

    response = await ask(http, alice, legacy_metadata("test-realm", "test-scene", parcel))

    assert (response.status_code, response.json()) == (
        403,
        {"error": "User is banned from this scene"},
    )


async def test_platform_banned_player_gets_403(
    http: httpx.AsyncClient, runtime: Runtime, pool: Any
) -> None:
    alice = make_identity()
    await pool.execute(
        "INSERT INTO user_bans (banned_address, banned_by, reason) VALUES ($1, 'mod', 'spam')",
        alice.lower_address,
    )
    async with asyncio.timeout(5):
        while not runtime.platform_bans.banned_in_memory(alice.lower_address):
            await runtime.platform_bans.next_refresh()

    response = await ask(http, alice, legacy_metadata("test-realm", "test-scene", unique_parcel()))

    assert (response.status_code, response.json()) == (
        403,
        {"error": "Access denied, platform-banned user"},
    )


async def test_platform_ban_lookup_failing_lets_the_player_in(
    http: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unavailable(address: str, device_id: str | None = None) -> bool:
        raise ServiceUnavailableError("Database unavailable")

    monkeypatch.setattr(runtime.platform_bans, "is_banned", unavailable)
    alice = make_identity()

    response = await ask(http, alice, legacy_metadata("test-realm", "test-scene", unique_parcel()))

    assert response.status_code == 200
    assert_scene_token(
        response.json()["adapter"], alice.lower_address, "scene-test-realm:test-scene"
    )


async def test_deny_listed_player_gets_401(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, fresh_deny_list: None
) -> None:
    alice = make_identity()
    fake_upstreams.reply("GET", DENYLIST_PATH, json={"users": [{"wallet": alice.address}]})

    response = await ask(http, alice, legacy_metadata("test-realm", "test-scene", unique_parcel()))

    assert (response.status_code, response.json()) == (
        401,
        {"error": "Access denied, deny-listed wallet"},
    )


async def test_connection_info_is_recorded(
    http: httpx.AsyncClient, runtime: Runtime, pool: Any
) -> None:
    alice = make_identity()
    metadata = legacy_metadata(
        "test-realm", "test-scene", unique_parcel(), deviceIdentifier="device-77"
    )

    response = await ask(http, alice, metadata, headers={"cf-connecting-ip": "7.7.7.7"})
    await runtime.connections.flush()

    assert response.status_code == 200
    async with pool.acquire() as connection:
        stored = await find_connection(connection, alice.lower_address)
    assert stored is not None
    assert (stored.ip_address, stored.device_id) == ("7.7.7.7", "device-77")


async def test_unsigned_request_gets_401(http: httpx.AsyncClient) -> None:
    response = await http.post(ADAPTER)

    assert (response.status_code, response.json()) == (
        401,
        {"error": "Access denied, invalid signed-fetch request"},
    )


async def test_request_without_realm_name_gets_401(http: httpx.AsyncClient) -> None:
    response = await ask(http, make_identity(), {"signer": SCENE_SIGNER, "sceneId": "s"})

    assert response.json() == {"error": "Access denied, invalid signed-fetch request, no realmName"}
    assert response.status_code == 401


async def test_world_without_access_gets_401(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams
) -> None:
    world = unique_world()
    program_world(fake_upstreams, world, owner="0x" + "1" * 40)

    response = await ask(http, make_identity(), legacy_metadata(world, scene_hash(), "0,0"))

    assert (response.status_code, response.json()) == (
        401,
        {"error": "Access denied, you are not authorized to access this world"},
    )


@pytest.mark.parametrize("grant", ["owner", "allow-list", "unrestricted"])
async def test_world_owner_listed_or_open_world_gets_a_token(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime, grant: str
) -> None:
    alice = make_identity()
    world = unique_world()
    scene = scene_hash()
    if grant == "owner":
        program_world(fake_upstreams, world, owner=alice.address)
    elif grant == "allow-list":
        program_world(
            fake_upstreams, world, access={"type": "allow-list", "wallets": [alice.address]}
        )
    else:
        program_world(fake_upstreams, world, access={"type": "unrestricted"})

    response = await ask(http, alice, legacy_metadata(world, scene, "0,0"))

    assert response.status_code == 200
    room = f"world-prod-scene-room-{world}-{scene}"
    assert_scene_token(response.json()["adapter"], alice.lower_address, room)
    await runtime.settle()


async def test_world_name_as_scene_id_is_resolved_through_about(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime
) -> None:
    alice = make_identity()
    world = unique_world()
    scene = scene_hash()
    program_world(fake_upstreams, world, access={"type": "unrestricted"})
    program_about(fake_upstreams, world, scene)
    fake_upstreams.reply(
        "GET", f"/worlds/contents/{scene}", json={"metadata": {"scene": {"base": "3,3"}}}
    )

    response = await ask(http, alice, legacy_metadata(world, world, None))

    assert response.status_code == 200
    assert_scene_token(
        response.json()["adapter"], alice.lower_address, f"world-prod-scene-room-{world}-{scene}"
    )
    # The ban check looked the place up by the resolved scene.
    assert fake_upstreams.requests("GET", f"/worlds/contents/{scene}")
    await runtime.settle()


async def test_unresolvable_world_scene_gets_400_without_a_ban_check(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams
) -> None:
    world = unique_world()
    fake_upstreams.reply("GET", f"/worlds/world/{world}/about", status=500, json={})

    response = await ask(http, make_identity(), legacy_metadata(world, world, "0,0"))

    assert (response.status_code, response.json()) == (
        400,
        {"error": f"Failed to resolve scene ID for world {world}"},
    )
    assert not fake_upstreams.requests("GET", "/places-api/places")


async def test_player_banned_from_resolved_world_scene_gets_403_before_access_check(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime
) -> None:
    alice = make_identity()
    world = unique_world()
    scene = scene_hash()
    place_id = str(uuid.uuid4())
    program_about(fake_upstreams, world, scene)
    fake_upstreams.reply(
        "GET", f"/worlds/contents/{scene}", json={"metadata": {"scene": {"base": "4,4"}}}
    )
    fake_upstreams.reply(
        "GET",
        "/places-api/places",
        json={"data": [place_json(place_id, "4,4", world=True, world_name=world)]},
        query={"positions": "4,4", "names": world},
    )
    await ban_through_room(runtime, place_id, alice.address)

    response = await ask(http, alice, legacy_metadata(world, world, None))

    assert (response.status_code, response.json()) == (
        403,
        {"error": "User is banned from this scene"},
    )
    assert not fake_upstreams.requests("GET", f"/worlds/world/{world}/permissions")


async def test_scene_hash_is_used_as_is(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime
) -> None:
    world = unique_world()
    scene = scene_hash()
    program_world(fake_upstreams, world, access={"type": "unrestricted"})

    response = await ask(http, make_identity(), legacy_metadata(world, scene, None))

    assert response.status_code == 200
    assert not fake_upstreams.requests("GET", f"/worlds/world/{world}/about")
    assert fake_upstreams.requests("GET", f"/worlds/contents/{scene}")
    await runtime.settle()


async def test_world_scene_manager_becomes_presenter_once(
    http: httpx.AsyncClient,
    fake_upstreams: FakeUpstreams,
    fake_livekit: FakeLiveKit,
    runtime: Runtime,
) -> None:
    alice = make_identity()
    world = unique_world()
    scene = scene_hash()
    place_id = str(uuid.uuid4())
    program_world(fake_upstreams, world, access={"type": "unrestricted"})
    fake_upstreams.reply(
        "GET",
        f"/places-api/worlds/{world}",
        json={"data": place_json(place_id, "0,0", world=True, world_name=world)},
    )
    label = world.removesuffix(".dcl.eth")
    fake_upstreams.reply(
        "GET", f"/lambdas/users/{alice.lower_address}/names", json={"elements": [{"name": label}]}
    )

    for _ in range(2):
        response = await ask(http, alice, legacy_metadata(world, scene, None))
        assert response.status_code == 200
    await runtime.settle()

    room = f"world-prod-scene-room-{world}-{scene}"
    assert len(fake_livekit.calls("UpdateRoomMetadata")) == 1
    assert fake_livekit.room_metadata(room)["presenters"] == [alice.lower_address]
    # The place's room keeps its presenters, also across a reload from the database.
    key = place_key(place_id)
    assert await runtime.rooms.call(key, "presenters_of", room) == [alice.lower_address]
    owner = runtime.rooms.owner(key)
    await (await runtime.rooms.host(owner)).passivate_idle.remote(0)
    assert await runtime.rooms.call(key, "presenters_of", room) == [alice.lower_address]


async def test_world_visitor_is_not_made_presenter(
    http: httpx.AsyncClient,
    fake_upstreams: FakeUpstreams,
    fake_livekit: FakeLiveKit,
    runtime: Runtime,
) -> None:
    alice = make_identity()
    world = unique_world()
    program_world(fake_upstreams, world, access={"type": "unrestricted"})
    fake_upstreams.reply(
        "GET",
        f"/places-api/worlds/{world}",
        json={"data": place_json(str(uuid.uuid4()), "0,0", world=True, world_name=world)},
    )
    fake_upstreams.reply(
        "GET", f"/lambdas/users/{alice.lower_address}/names", json={"elements": []}
    )

    response = await ask(http, alice, legacy_metadata(world, scene_hash(), None))
    await runtime.settle()

    assert response.status_code == 200
    assert fake_upstreams.requests("GET", f"/lambdas/users/{alice.lower_address}/names")
    assert fake_livekit.calls("UpdateRoomMetadata") == []


async def test_world_place_lookup_failing_still_gives_a_token(
    http: httpx.AsyncClient,
    fake_upstreams: FakeUpstreams,
    fake_livekit: FakeLiveKit,
    runtime: Runtime,
) -> None:
    world = unique_world()
    program_world(fake_upstreams, world, access={"type": "unrestricted"})
    fake_upstreams.reply("GET", f"/places-api/worlds/{world}", status=500, json={})

    response = await ask(http, make_identity(), legacy_metadata(world, scene_hash(), None))
    await runtime.settle()

    assert response.status_code == 200
    assert fake_upstreams.requests("GET", f"/places-api/worlds/{world}")
    assert fake_livekit.calls("UpdateRoomMetadata") == []


async def test_local_preview_makes_everyone_presenter_without_ban_check(
    http: httpx.AsyncClient,
    fake_upstreams: FakeUpstreams,
    fake_livekit: FakeLiveKit,
    runtime: Runtime,
    configured: Identity,
) -> None:
    alice = make_identity()
    scene = scene_hash()

    response = await ask(http, alice, legacy_metadata("LocalPreview", scene, "0,0"))
    await runtime.settle()

    assert response.status_code == 200
    room = f"scene-LocalPreview:{scene}"
    assert_scene_token(response.json()["adapter"], alice.lower_address, room)
    assert fake_livekit.room_metadata(room)["presenters"] == [alice.lower_address]
    assert not fake_upstreams.requests("GET", "/places-api/places")


async def test_local_preview_without_scene_id_gets_400(
    http: httpx.AsyncClient, configured: Identity
) -> None:
    response = await ask(http, make_identity(), legacy_metadata("LocalPreview", None, "0,0"))

    assert (response.status_code, response.json()) == (
        400,
        {"error": "Access denied, invalid signed-fetch request, no sceneId"},
    )


# POST /get-server-scene-adapter


def server_metadata(server_name: str, scene_id: str | None, *, world: bool = False) -> Any:
    hostname = "worlds-content-server.decentraland.org" if world else "peer.decentraland.org"
    metadata: dict[str, Any] = {
        "signer": "dcl:authoritative-server",
        "parcel": "0,0",
        "realm": {"serverName": server_name, "hostname": hostname, "protocol": "v3"},
    }
    if scene_id is not None:
        metadata["sceneId"] = scene_id
    return metadata


async def test_authoritative_server_gets_a_scene_token(
    http: httpx.AsyncClient, configured: Identity
) -> None:
    scene = scene_hash()

    response = await ask(http, configured, server_metadata("main", scene), SERVER_ADAPTER)

    assert response.status_code == 200
    assert_scene_token(response.json()["adapter"], "authoritative-server", f"scene-main:{scene}")


async def test_authoritative_server_gets_a_world_scene_token(
    http: httpx.AsyncClient, configured: Identity
) -> None:
    scene = scene_hash()
    metadata = server_metadata("test-world.eth", scene, world=True)

    response = await ask(http, configured, metadata, SERVER_ADAPTER)

    assert response.status_code == 200
    room = f"world-prod-scene-room-test-world.eth-{scene}"
    assert_scene_token(response.json()["adapter"], "authoritative-server", room)


async def test_other_wallet_is_not_the_server(
    http: httpx.AsyncClient, configured: Identity
) -> None:
    response = await ask(http, make_identity(), server_metadata("main", "s"), SERVER_ADAPTER)

    assert (response.status_code, response.json()) == (
        401,
        {"error": "Access denied, invalid server public key"},
    )


async def test_server_request_without_scene_id_gets_400(
    http: httpx.AsyncClient, configured: Identity
) -> None:
    response = await ask(http, configured, server_metadata("main", None), SERVER_ADAPTER)

    assert (response.status_code, response.json()) == (
        400,
        {"error": "Access denied, invalid signed-fetch request, no sceneId"},
    )


async def test_any_wallet_gets_a_local_preview_server_token(
    http: httpx.AsyncClient, configured: Identity
) -> None:
    response = await ask(
        http, make_identity(), server_metadata("LocalPreview", "scene-1"), SERVER_ADAPTER
    )

    assert response.status_code == 200
    assert_scene_token(response.json()["adapter"], "authoritative-server", "preview-scene-1")


async def test_deny_listed_server_gets_401(
    http: httpx.AsyncClient,
    fake_upstreams: FakeUpstreams,
    configured: Identity,
    fresh_deny_list: None,
) -> None:
    fake_upstreams.reply("GET", DENYLIST_PATH, json={"users": [{"wallet": configured.address}]})

    response = await ask(http, configured, server_metadata("main", "s"), SERVER_ADAPTER)

    assert (response.status_code, response.json()) == (
        401,
        {"error": "Access denied, deny-listed wallet"},
    )


async def test_server_request_without_realm_gets_401(http: httpx.AsyncClient) -> None:
    response = await ask(http, make_identity(), {"sceneId": "s"}, SERVER_ADAPTER)

    assert (response.status_code, response.json()) == (
        401,
        {"error": "Access denied, invalid signed-fetch request, no realm"},
    )


async def test_token_for_an_active_room_needs_no_room_host_call(
    http: httpx.AsyncClient,
    fake_upstreams: FakeUpstreams,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parcel = unique_parcel()
    fake_upstreams.reply(
        "GET",
        "/places-api/places",
        json={"data": [place_json(str(uuid.uuid4()), parcel)]},
        query={"positions": parcel},
    )
    metadata = legacy_metadata("test-realm", "test-scene", parcel)
    first = await ask(http, make_identity(), metadata)
    calls: list[tuple[str, str]] = []
    send = runtime.rooms.call

    async def counted(key: str, name: str, *args: Any, **kwargs: Any) -> Any:
        calls.append((key, name))
        return await send(key, name, *args, **kwargs)

    monkeypatch.setattr(runtime.rooms, "call", counted)

    second = await ask(http, make_identity(), metadata)
    await runtime.settle()

    assert (first.status_code, second.status_code) == (200, 200)
    assert [name for _, name in calls if name == "snapshot"] == []
