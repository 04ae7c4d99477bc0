"""GET /scene-bans, GET /scene-bans/addresses, POST and DELETE /scene-bans, and the worlds'
ban-status check, against the whole app: real PostgreSQL and room hosts, real signatures,
fake Places/Lambdas/LiveKit, SNS read back from moto."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from actors.keys import place_key
from api.runtime import Runtime
from tests.conftest import SERVICE_TOKEN
from tests.fakes.livekit import FakeLiveKit
from tests.fakes.sns import SnsQueue
from tests.fakes.upstreams import FakeUpstreams
from tests.scene_support import Scene, land_scene, no_names, random_address, world_scene
from tests.signing import Identity, make_identity, signed_headers

PATH = "/scene-bans"


async def call(
    http: httpx.AsyncClient,
    method: str,
    identity: Identity,
    scene: Scene,
    body: Any = None,
    *,
    path: str = PATH,
    query: str = "",
) -> httpx.Response:
    headers = signed_headers(identity, method, path, scene.metadata())
    content = None if body is None else (body if isinstance(body, str) else json.dumps(body))
    return await http.request(method, path + query, headers=headers, content=content)


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    found: Runtime = app.state.runtime
    return found


async def bans_of(pool: Any, place_id: str) -> list[tuple[str, str]]:
    rows = await pool.fetch(
        "SELECT banned_address, banned_by FROM scene_bans WHERE place_id = $1", place_id
    )
    return [(row["banned_address"], row["banned_by"]) for row in rows]


async def insert_bans(pool: Any, place_id: str, *bans: tuple[str, int]) -> None:
    """Rows written before the place's room is first asked, as an earlier run left them."""
    for address, banned_at in bans:
        await pool.execute(
            "INSERT INTO scene_bans (id, place_id, banned_address, banned_by, banned_at)"
            " VALUES ($1, $2, $3, '0xowner', $4)",
            uuid.uuid4(),
            place_id,
            address,
            banned_at,
        )


def owned_land(fake: FakeUpstreams) -> tuple[Identity, Scene]:
    owner = make_identity()
    scene = land_scene(fake)
    scene.rights(owner.address, owner=True)
    return owner, scene


# GET /scene-bans and /scene-bans/addresses


async def test_no_bans_list_empty(http: httpx.AsyncClient, fake_upstreams: FakeUpstreams) -> None:
    owner, scene = owned_land(fake_upstreams)

    response = await call(http, "GET", owner, scene, query="?limit=20")

    assert response.status_code == 200
    assert response.json() == {"results": [], "total": 0, "page": 1, "pages": 0, "limit": 20}


async def test_bans_list_newest_first_with_names(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, pool: Any
) -> None:
    owner, scene = owned_land(fake_upstreams)
    first, second, third = random_address(), random_address(), random_address()
    await insert_bans(pool, scene.place_id, (first, 1000), (second, 3000), (third, 2000))
    fake_upstreams.reply(
        "POST",
        "/lambdas/profiles",
        json=[
            {"avatars": [{"name": "NonOwnerUser", "hasClaimedName": False, "ethAddress": second}]},
            {"avatars": [{"name": "AdminUser", "hasClaimedName": True, "ethAddress": first}]},
        ],
    )

    response = await call(http, "GET", owner, scene, query="?limit=20")

    assert response.json() == {
        "results": [
            {"bannedAddress": second, "name": f"NonOwnerUser#{second[-4:]}"},
            {"bannedAddress": third, "name": ""},
            {"bannedAddress": first, "name": "AdminUser"},
        ],
        "total": 3,
        "page": 1,
        "pages": 1,
        "limit": 20,
    }


async def test_addresses_are_paged(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, pool: Any
) -> None:
    owner, scene = owned_land(fake_upstreams)
    addresses = [random_address() for _ in range(3)]
    await insert_bans(pool, scene.place_id, *((a, 1000 + i) for i, a in enumerate(addresses)))

    response = await call(
        http, "GET", owner, scene, path=f"{PATH}/addresses", query="?limit=2&offset=3"
    )

    assert response.status_code == 200
    assert response.json() == {
        "results": [addresses[0]],
        "total": 3,
        "page": 2,
        "pages": 2,
        "limit": 2,
    }


async def test_scene_admin_lists_bans(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime
) -> None:
    admin = make_identity()
    scene = land_scene(fake_upstreams)
    scene.rights(admin.address)
    banned = random_address()
    key = place_key(scene.place_id)
    await runtime.snapshots.write(key, "add_admin", admin.lower_address, "o")
    await runtime.snapshots.write(key, "add_ban", banned, "o")

    response = await call(http, "GET", admin, scene, path=f"{PATH}/addresses")

    assert response.json()["results"] == [banned]


async def test_world_owner_lists_world_scene_bans(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, pool: Any
) -> None:
    owner = make_identity()
    scene = world_scene(fake_upstreams)
    fake_upstreams.reply(
        "GET",
        f"/lambdas/users/{owner.lower_address}/names",
        json={"elements": [{"name": scene.realm.removesuffix(".dcl.eth")}]},
    )
    banned = random_address()
    await insert_bans(pool, scene.place_id, (banned, 5))

    response = await call(http, "GET", owner, scene, path=f"{PATH}/addresses")

    assert response.status_code == 200
    assert response.json()["results"] == [banned]


@pytest.mark.parametrize("path", [PATH, f"{PATH}/addresses"])
async def test_caller_without_rights_cannot_list_bans(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, path: str
) -> None:
    stranger = make_identity()
    scene = land_scene(fake_upstreams)
    scene.rights(stranger.address)

    response = await call(http, "GET", stranger, scene, path=path)

    assert (response.status_code, response.json()) == (
        401,
        {"error": "User does not have permission to list scene bans"},
    )


async def test_unsigned_listing_gets_400(http: httpx.AsyncClient) -> None:
    response = await http.get(PATH)

    assert (response.status_code, response.json()["message"]) == (400, "Invalid Auth Chain")


# POST /scene-bans


async def test_owner_bans_a_wallet(
    http: httpx.AsyncClient,
    fake_upstreams: FakeUpstreams,
    fake_livekit: FakeLiveKit,
    runtime: Runtime,
    sns: SnsQueue,
    pool: Any,
) -> None:
    owner, scene = owned_land(fake_upstreams)
    target = random_address()
    scene.rights(target)
    fake_livekit.add_participant(scene.room, target)
    sns.drain()

    response = await call(http, "POST", owner, scene, {"banned_address": target})
    await runtime.settle()

    assert (response.status_code, response.content) == (204, b"")
    assert await bans_of(pool, scene.place_id) == [(target, owner.lower_address)]
    assert fake_livekit.identities(scene.room) == []
    assert fake_livekit.room_metadata(scene.room)["bannedAddresses"] == [target]
    [event] = sns.drain()
    assert (event["type"], event["subType"]) == ("comms", "user-banned-from-scene")
    assert event["metadata"] == {"userAddress": target, "placeTitle": "Land"}
    assert event["key"] == f"{scene.place_id}-{target}-{event['timestamp']}"


async def test_banned_wallet_is_refused_a_token_at_once(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime
) -> None:
    owner, scene = owned_land(fake_upstreams)
    player = make_identity()
    scene.rights(player.address)
    metadata = {"signer": "x", "realmName": "main", "sceneId": "s", "parcel": scene.parcel}
    before = await http.post(
        "/get-scene-adapter",
        headers=signed_headers(player, "POST", "/get-scene-adapter", metadata),
    )

    await call(http, "POST", owner, scene, {"banned_address": player.address})
    after = await http.post(
        "/get-scene-adapter",
        headers=signed_headers(player, "POST", "/get-scene-adapter", metadata),
    )
    await runtime.settle()

    assert before.status_code == 200
    assert after.status_code == 403


async def test_banning_twice_keeps_one_row(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime, pool: Any
) -> None:
    owner, scene = owned_land(fake_upstreams)
    target = random_address()
    scene.rights(target)

    first = await call(http, "POST", owner, scene, {"banned_address": target})
    second = await call(http, "POST", owner, scene, {"banned_address": target})
    await runtime.settle()

    assert (first.status_code, second.status_code) == (204, 204)
    assert await bans_of(pool, scene.place_id) == [(target, owner.lower_address)]


async def test_admin_and_operator_may_ban(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime, pool: Any
) -> None:
    admin, operator = make_identity(), make_identity()
    scene = land_scene(fake_upstreams)
    scene.rights(admin.address)
    scene.rights(operator.address, operator=True)
    await runtime.snapshots.write(place_key(scene.place_id), "add_admin", admin.lower_address, "o")
    one, two = random_address(), random_address()
    scene.rights(one)
    scene.rights(two)

    by_admin = await call(http, "POST", admin, scene, {"banned_address": one})
    by_operator = await call(http, "POST", operator, scene, {"banned_address": two})
    await runtime.settle()

    assert (by_admin.status_code, by_operator.status_code) == (204, 204)
    assert sorted(await bans_of(pool, scene.place_id)) == sorted(
        [(one, admin.lower_address), (two, operator.lower_address)]
    )


async def test_world_owner_bans_under_the_world_scene_place(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime, pool: Any
) -> None:
    owner = make_identity()
    scene = world_scene(fake_upstreams)
    label = scene.realm.removesuffix(".dcl.eth")
    fake_upstreams.reply(
        "GET", f"/lambdas/users/{owner.lower_address}/names", json={"elements": [{"name": label}]}
    )
    target = random_address()
    no_names(fake_upstreams, target)

    response = await call(http, "POST", owner, scene, {"banned_address": target})
    await runtime.settle()

    assert response.status_code == 204
    assert await bans_of(pool, scene.place_id) == [(target, owner.lower_address)]


async def test_caller_without_rights_cannot_ban(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, pool: Any
) -> None:
    stranger = make_identity()
    scene = land_scene(fake_upstreams)
    scene.rights(stranger.address)

    response = await call(http, "POST", stranger, scene, {"banned_address": random_address()})

    assert (response.status_code, response.json()) == (
        401,
        {"error": "You do not have permission to ban users from this place"},
    )
    assert await bans_of(pool, scene.place_id) == []


async def test_explicit_admin_cannot_be_banned(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime, pool: Any
) -> None:
    owner, scene = owned_land(fake_upstreams)
    admin = random_address()
    scene.rights(admin)
    await runtime.snapshots.write(place_key(scene.place_id), "add_admin", admin, "o")

    response = await call(http, "POST", owner, scene, {"banned_address": admin})

    assert (response.status_code, response.json()) == (400, {"error": "Cannot ban this address"})
    assert await bans_of(pool, scene.place_id) == []


async def test_metadata_write_failing_still_bans(
    http: httpx.AsyncClient,
    fake_upstreams: FakeUpstreams,
    fake_livekit: FakeLiveKit,
    runtime: Runtime,
    pool: Any,
) -> None:
    owner, scene = owned_land(fake_upstreams)
    target = random_address()
    scene.rights(target)
    fake_livekit.add_room(scene.room)
    fake_livekit.fail_always("UpdateRoomMetadata")

    response = await call(http, "POST", owner, scene, {"banned_address": target})
    await runtime.settle()

    assert response.status_code == 204
    assert fake_livekit.refused() == []
    assert await bans_of(pool, scene.place_id) == [(target, owner.lower_address)]


async def test_ban_by_name_and_address_wins(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime, pool: Any
) -> None:
    owner, scene = owned_land(fake_upstreams)
    named, addressed = random_address(), random_address()
    scene.rights(named)
    scene.rights(addressed)
    fake_upstreams.reply("GET", "/lambdas/names/testuser/owner", json={"owner": named})

    by_name = await call(http, "POST", owner, scene, {"banned_name": "testuser"})
    both = await call(
        http, "POST", owner, scene, {"banned_address": addressed, "banned_name": "testuser"}
    )
    await runtime.settle()

    assert (by_name.status_code, both.status_code) == (204, 204)
    assert sorted(await bans_of(pool, scene.place_id)) == sorted(
        [(named, owner.lower_address), (addressed, owner.lower_address)]
    )
    assert len(fake_upstreams.requests("GET", "/lambdas/names/testuser/owner")) == 1


async def test_ban_by_unknown_name_gets_404(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, pool: Any
) -> None:
    owner, scene = owned_land(fake_upstreams)
    name = f"nobody{uuid.uuid4().hex[:6]}"

    response = await call(http, "POST", owner, scene, {"banned_name": name})

    assert (response.status_code, response.json()) == (
        404,
        {"error": f"Could not find the owner of the name {name}"},
    )
    assert await bans_of(pool, scene.place_id) == []


@pytest.mark.parametrize("body", [{"banned_address": "invalid-address"}, {}, {"banned_name": ""}])
async def test_invalid_ban_body_gets_400(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, body: Any
) -> None:
    owner, scene = owned_land(fake_upstreams)

    response = await call(http, "POST", owner, scene, body)

    assert response.status_code == 400
    assert (response.json()["ok"], response.json()["message"]) == (False, "Invalid JSON body")


# DELETE /scene-bans


async def test_owner_lifts_a_ban(
    http: httpx.AsyncClient,
    fake_upstreams: FakeUpstreams,
    fake_livekit: FakeLiveKit,
    runtime: Runtime,
    sns: SnsQueue,
    pool: Any,
) -> None:
    owner, scene = owned_land(fake_upstreams)
    target = random_address()
    await runtime.snapshots.write(place_key(scene.place_id), "add_ban", target, "o")
    fake_livekit.add_room(scene.room, metadata=json.dumps({"bannedAddresses": [target]}))
    sns.drain()

    response = await call(http, "DELETE", owner, scene, {"banned_address": target})
    await runtime.settle()

    assert response.status_code == 204
    assert await bans_of(pool, scene.place_id) == []
    assert fake_livekit.room_metadata(scene.room)["bannedAddresses"] == []
    [event] = sns.drain()
    assert event["subType"] == "user-unbanned-from-scene"
    assert event["metadata"]["userAddress"] == target


async def test_lifting_a_missing_ban_is_fine(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime
) -> None:
    owner, scene = owned_land(fake_upstreams)

    response = await call(http, "DELETE", owner, scene, {"banned_address": random_address()})
    await runtime.settle()

    assert response.status_code == 204


async def test_world_ban_lifted_by_name(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime, pool: Any
) -> None:
    owner = make_identity()
    scene = world_scene(fake_upstreams, owner=owner.address)
    label = scene.realm.removesuffix(".dcl.eth")
    fake_upstreams.reply(
        "GET", f"/lambdas/users/{owner.lower_address}/names", json={"elements": [{"name": label}]}
    )
    target = random_address()
    name = f"u{uuid.uuid4().hex[:6]}"
    fake_upstreams.reply("GET", f"/lambdas/names/{name}/owner", json={"owner": target})
    await runtime.snapshots.write(place_key(scene.place_id), "add_ban", target, "o")

    response = await call(http, "DELETE", owner, scene, {"banned_name": name})
    await runtime.settle()

    assert response.status_code == 204
    assert await bans_of(pool, scene.place_id) == []


async def test_caller_without_rights_cannot_unban(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime, pool: Any
) -> None:
    stranger = make_identity()
    scene = land_scene(fake_upstreams)
    scene.rights(stranger.address)
    target = random_address()
    await runtime.snapshots.write(place_key(scene.place_id), "add_ban", target, "o")

    response = await call(http, "DELETE", stranger, scene, {"banned_address": target})

    assert (response.status_code, response.json()) == (
        401,
        {"error": "You do not have permission to unban users from this place"},
    )
    assert await bans_of(pool, scene.place_id) == [(target, "o")]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"banned_address": "invalid-address"}, "Invalid request body, invalid banned_address"),
        ({}, "Invalid request body, missing banned_address or banned_name"),
        ("invalid-json", "Invalid request body"),
    ],
)
async def test_bad_unban_body_gets_400(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, body: Any, error: str
) -> None:
    owner, scene = owned_land(fake_upstreams)

    response = await call(http, "DELETE", owner, scene, body)

    assert (response.status_code, response.json()) == (400, {"error": error})


# GET /worlds/{world}/parcels/{parcel}/users/{address}/ban-status


def ban_status_path(world: str, address: str) -> str:
    return f"/worlds/{world}/parcels/0,0/users/{address}/ban-status"


async def test_ban_status_wants_the_service_token(http: httpx.AsyncClient) -> None:
    response = await http.get(
        ban_status_path("my-world.eth", random_address()),
        headers={"Authorization": "Bearer an-invalid-token"},
    )

    assert (response.status_code, response.json()) == (
        401,
        {"error": "Invalid authorization header"},
    )


async def test_ban_status_tells_banned_and_not_banned(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime
) -> None:
    scene = world_scene(fake_upstreams)
    banned, free = random_address(), random_address()
    await runtime.snapshots.write(place_key(scene.place_id), "add_ban", banned, "o")
    auth = {"Authorization": f"Bearer {SERVICE_TOKEN}"}

    yes = await http.get(
        ban_status_path(scene.realm, banned.upper().replace("0X", "0x")), headers=auth
    )
    no = await http.get(ban_status_path(scene.realm, free), headers=auth)

    assert (yes.status_code, yes.json()) == (200, {"isBanned": True})
    assert (no.status_code, no.json()) == (200, {"isBanned": False})


async def test_ban_status_without_a_world_scene_is_not_banned(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams
) -> None:
    fake_upstreams.reply("GET", "/places-api/places", json={"data": []})

    response = await http.get(
        ban_status_path("nowhere.eth", random_address()),
        headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
    )

    assert (response.status_code, response.json()) == (200, {"isBanned": False})


async def test_ban_status_with_places_failing_gets_502(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams
) -> None:
    fake_upstreams.reply("GET", "/places-api/places", status=500, json={})

    response = await http.get(
        ban_status_path(f"w{uuid.uuid4().hex[:8]}.eth", random_address()),
        headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
    )

    assert response.status_code == 502
    assert "Places API" in response.json()["error"]
