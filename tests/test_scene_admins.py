"""GET, POST and DELETE /scene-admin against the whole app: real PostgreSQL and room hosts,
requests signed with real keys, fake Places/Worlds/Lambdas/LiveKit."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from actors.keys import place_key
from api.runtime import Runtime
from tests.fakes.livekit import FakeLiveKit
from tests.fakes.upstreams import FakeUpstreams
from tests.scene_support import Scene, land_scene, no_names, random_address, world_scene
from tests.signing import Identity, make_identity, signed_headers

PATH = "/scene-admin"


async def call(
    http: httpx.AsyncClient,
    method: str,
    identity: Identity,
    scene: Scene,
    body: Any = None,
    *,
    query: str = "",
    signer: str = "decentraland-kernel-scene",
) -> httpx.Response:
    headers = signed_headers(identity, method, PATH, scene.metadata(signer))
    content = None if body is None else (body if isinstance(body, str) else json.dumps(body))
    return await http.request(method, PATH + query, headers=headers, content=content)


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    found: Runtime = app.state.runtime
    return found


async def add_through_room(runtime: Runtime, scene: Scene, admin: str, by: str) -> None:
    await runtime.snapshots.write(place_key(scene.place_id), "add_admin", admin.lower(), by)


async def active_admins(pool: Any, place_id: str) -> list[tuple[str, str]]:
    rows = await pool.fetch(
        "SELECT admin, added_by FROM scene_admin WHERE place_id = $1 AND active ORDER BY admin",
        place_id,
    )
    return [(row["admin"], row["added_by"]) for row in rows]


# GET /scene-admin


async def test_land_list_shows_explicit_admins_then_land_holders(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime
) -> None:
    owner = make_identity()
    scene = land_scene(fake_upstreams)
    first, second = random_address(), random_address()
    await add_through_room(runtime, scene, first, owner.lower_address)
    await add_through_room(runtime, scene, second, owner.lower_address)
    scene.operators(owner.address)
    fake_upstreams.reply(
        "POST",
        "/lambdas/profiles",
        json=[{"avatars": [{"name": "SirTest", "hasClaimedName": True, "ethAddress": first}]}],
    )

    response = await call(http, "GET", owner, scene)

    assert response.status_code == 200
    body = response.json()
    assert [(item["admin"], item["name"], item["canBeRemoved"]) for item in body] == [
        (second, "", True),
        (first, "SirTest", True),
        (owner.lower_address, "", False),
    ]
    row = body[0]
    assert set(row) == {
        "id",
        "place_id",
        "admin",
        "added_by",
        "created_at",
        "active",
        "name",
        "canBeRemoved",
    }
    assert (row["place_id"], row["added_by"], row["active"]) == (
        scene.place_id,
        owner.lower_address,
        True,
    )
    assert row["created_at"].isdigit()


async def test_list_is_open_to_any_signed_scene_and_filters_by_admin(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime
) -> None:
    stranger = make_identity()
    scene = land_scene(fake_upstreams)
    first, second = random_address(), random_address()
    await add_through_room(runtime, scene, first, "0xowner")
    await add_through_room(runtime, scene, second, "0xowner")
    scene.operators(random_address())

    response = await call(http, "GET", stranger, scene, query=f"?admin={first.upper()[2:]}")
    filtered = await call(http, "GET", stranger, scene, query=f"?admin={first}")

    assert response.status_code == 200
    assert [item["admin"] for item in response.json() if "id" in item] == []
    assert [item["admin"] for item in filtered.json() if "id" in item] == [first]


async def test_explicit_admin_holding_the_land_is_listed_once_and_cannot_be_removed(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime
) -> None:
    scene = land_scene(fake_upstreams)
    operator = random_address()
    await add_through_room(runtime, scene, operator, "0xowner")
    owner = random_address()
    scene.operators(owner, operator)

    response = await call(http, "GET", make_identity(), scene)

    assert [(i["admin"], i["canBeRemoved"]) for i in response.json()] == [
        (operator, False),
        (owner, False),
    ]


async def test_world_list_includes_owner_and_permission_holders(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams
) -> None:
    owner, streamer = random_address(), random_address()
    scene = world_scene(fake_upstreams, owner=owner)
    fake_upstreams.reply(
        "POST",
        f"/worlds/world/{scene.realm}/permissions/streaming/parcels",
        json={"addresses": [streamer]},
    )
    fake_upstreams.reply(
        "POST",
        f"/worlds/world/{scene.realm}/permissions/deployment/parcels",
        json={"addresses": []},
    )

    response = await call(http, "GET", make_identity(), scene)

    assert response.status_code == 200
    assert response.json() == [
        {"admin": streamer, "name": "", "canBeRemoved": False},
        {"admin": owner, "name": "", "canBeRemoved": False},
    ]


async def test_authoritative_server_may_list(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams
) -> None:
    scene = land_scene(fake_upstreams)
    owner = random_address()
    scene.operators(owner)

    response = await call(http, "GET", make_identity(), scene, signer="dcl:authoritative-server")

    assert response.status_code == 200
    assert response.json() == [{"admin": owner, "name": "", "canBeRemoved": False}]


async def test_list_of_unknown_place_gets_404(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams
) -> None:
    scene = Scene(fake_upstreams, str(uuid.uuid4()), "77,-77777", "main", "s", world=False)
    fake_upstreams.reply("GET", "/places-api/places", json={"data": []})

    response = await call(http, "GET", make_identity(), scene)

    assert (response.status_code, response.json()) == (
        404,
        {"error": "No place found with parcel 77,-77777"},
    )


async def test_list_with_land_holders_unknown_gets_502(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams
) -> None:
    scene = land_scene(fake_upstreams)
    x, y = scene.parcel.split(",")
    fake_upstreams.reply("GET", f"/lambdas/parcels/{x}/{y}/operators", status=500, json={})

    response = await call(http, "GET", make_identity(), scene)

    assert response.status_code == 502
    assert "Lambdas" in response.json()["error"]


async def test_list_without_signature_gets_400(http: httpx.AsyncClient) -> None:
    response = await http.get(PATH)

    assert (response.status_code, response.json()) == (
        400,
        {"ok": False, "message": "Invalid Auth Chain"},
    )


# POST /scene-admin


async def test_land_owner_adds_an_admin(
    http: httpx.AsyncClient,
    fake_upstreams: FakeUpstreams,
    fake_livekit: FakeLiveKit,
    runtime: Runtime,
    pool: Any,
) -> None:
    owner = make_identity()
    scene = land_scene(fake_upstreams)
    target = random_address()
    scene.rights(owner.address, owner=True)
    scene.rights(target)
    fake_livekit.add_room(scene.room)

    response = await call(http, "POST", owner, scene, {"admin": target.upper().replace("0X", "0x")})
    await runtime.settle()

    assert (response.status_code, response.content) == (204, b"")
    assert await active_admins(pool, scene.place_id) == [(target, owner.lower_address)]
    assert fake_livekit.room_metadata(scene.room)["sceneAdmins"] == [target]


async def test_land_operator_adds_an_admin(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime, pool: Any
) -> None:
    operator = make_identity()
    scene = land_scene(fake_upstreams)
    target = random_address()
    scene.rights(operator.address, operator=True)
    scene.rights(target)

    response = await call(http, "POST", operator, scene, {"admin": target})
    await runtime.settle()

    assert response.status_code == 204
    assert await active_admins(pool, scene.place_id) == [(target, operator.lower_address)]


async def test_world_streamer_adds_an_admin(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime, pool: Any
) -> None:
    streamer = make_identity()
    scene = world_scene(fake_upstreams, streamers=(streamer.address,))
    target = random_address()
    no_names(fake_upstreams, streamer.address, target)

    response = await call(http, "POST", streamer, scene, {"admin": target})
    await runtime.settle()

    assert response.status_code == 204
    assert await active_admins(pool, scene.place_id) == [(target, streamer.lower_address)]


async def test_caller_without_rights_cannot_add_admins(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, pool: Any
) -> None:
    stranger = make_identity()
    scene = land_scene(fake_upstreams)
    scene.rights(stranger.address)

    response = await call(http, "POST", stranger, scene, {"admin": random_address()})

    assert (response.status_code, response.json()) == (
        401,
        {"error": "You do not have permission to add admins to this place"},
    )
    assert await active_admins(pool, scene.place_id) == []


@pytest.mark.parametrize("target_kind", ["admin", "owner"])
async def test_admin_or_owner_cannot_be_added_again(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime, target_kind: str
) -> None:
    owner = make_identity()
    scene = land_scene(fake_upstreams)
    scene.rights(owner.address, owner=True)
    target = random_address()
    if target_kind == "admin":
        await add_through_room(runtime, scene, target, owner.lower_address)
        scene.rights(target)
    else:
        scene.rights(target, owner=True)

    response = await call(http, "POST", owner, scene, {"admin": target})

    assert (response.status_code, response.json()) == (
        400,
        {"error": "Cannot add this address as an admin"},
    )


async def test_admin_named_by_dcl_name(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime, pool: Any
) -> None:
    owner = make_identity()
    scene = land_scene(fake_upstreams)
    scene.rights(owner.address, owner=True)
    target = random_address()
    scene.rights(target)
    name = f"n{uuid.uuid4().hex[:8]}.dcl.eth"
    fake_upstreams.reply("GET", f"/lambdas/names/{name}/owner", json={"owner": target})

    response = await call(http, "POST", owner, scene, {"name": name})
    await runtime.settle()

    assert response.status_code == 204
    assert await active_admins(pool, scene.place_id) == [(target, owner.lower_address)]


async def test_unowned_name_gets_404(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, pool: Any
) -> None:
    owner = make_identity()
    scene = land_scene(fake_upstreams)
    scene.rights(owner.address, owner=True)
    name = f"n{uuid.uuid4().hex[:8]}"
    fake_upstreams.reply("GET", f"/lambdas/names/{name}/owner", json={"owner": None})

    response = await call(http, "POST", owner, scene, {"name": name})

    assert (response.status_code, response.json()) == (
        404,
        {"error": f"Could not find the owner of the name {name}"},
    )
    assert await active_admins(pool, scene.place_id) == []


async def test_address_wins_over_name(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime, pool: Any
) -> None:
    owner = make_identity()
    scene = land_scene(fake_upstreams)
    scene.rights(owner.address, owner=True)
    target = random_address()
    scene.rights(target)

    response = await call(http, "POST", owner, scene, {"admin": target, "name": "someone"})
    await runtime.settle()

    assert response.status_code == 204
    assert not fake_upstreams.requests("GET", "/lambdas/names/someone/owner")
    assert await active_admins(pool, scene.place_id) == [(target, owner.lower_address)]


async def test_banned_wallet_cannot_become_admin(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime, pool: Any
) -> None:
    owner = make_identity()
    scene = land_scene(fake_upstreams)
    scene.rights(owner.address, owner=True)
    target = random_address()
    scene.rights(target)
    await runtime.snapshots.write(place_key(scene.place_id), "add_ban", target, "0xowner")

    response = await call(http, "POST", owner, scene, {"admin": target})

    assert (response.status_code, response.json()) == (
        400,
        {"error": "Cannot add this address as an admin because it is banned from this scene"},
    )
    assert await active_admins(pool, scene.place_id) == []


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ({"admin": "invalid-address"}, "pattern"),
        ({}, "required"),
        ({"x": 1}, "additionalProperties"),
    ],
)
async def test_invalid_body_gets_400_in_the_validator_shape(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, body: Any, keyword: str
) -> None:
    response = await call(http, "POST", make_identity(), land_scene(fake_upstreams), body)

    assert response.status_code == 400
    answer = response.json()
    assert (answer["ok"], answer["message"]) == (False, "Invalid JSON body")
    assert [error["keyword"] for error in answer["data"]] == [keyword]


async def test_body_that_is_not_json_gets_400(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams
) -> None:
    response = await call(http, "POST", make_identity(), land_scene(fake_upstreams), "{nope")

    assert response.status_code == 400
    assert response.json()["ok"] is False


async def test_broken_chain_gets_400(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams
) -> None:
    owner = make_identity()
    scene = land_scene(fake_upstreams)
    headers = signed_headers(owner, "POST", PATH, scene.metadata())
    # A further link without a signature, as the reference's own tests send.
    headers["x-identity-auth-chain-3"] = json.dumps(
        {"type": "SIGNER", "payload": "invalid-signature"}
    )

    response = await http.post(
        PATH, headers=headers, content=json.dumps({"admin": random_address()})
    )

    assert response.status_code == 400
    assert response.json()["ok"] is False


# DELETE /scene-admin


async def test_owner_removes_an_admin(
    http: httpx.AsyncClient,
    fake_upstreams: FakeUpstreams,
    fake_livekit: FakeLiveKit,
    runtime: Runtime,
    pool: Any,
) -> None:
    owner = make_identity()
    scene = land_scene(fake_upstreams)
    scene.rights(owner.address, owner=True)
    target = random_address()
    scene.rights(target)
    await add_through_room(runtime, scene, target, owner.lower_address)
    fake_livekit.add_room(scene.room, metadata=json.dumps({"sceneAdmins": [target, "0xother"]}))

    response = await call(http, "DELETE", owner, scene, {"admin": target})
    await runtime.settle()

    assert response.status_code == 204
    assert await active_admins(pool, scene.place_id) == []
    assert fake_livekit.room_metadata(scene.room)["sceneAdmins"] == ["0xother"]


async def test_admin_removes_another_admin(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime, pool: Any
) -> None:
    admin = make_identity()
    scene = land_scene(fake_upstreams)
    target = random_address()
    scene.rights(admin.address)
    scene.rights(target)
    await add_through_room(runtime, scene, admin.address, "0xowner")
    await add_through_room(runtime, scene, target, "0xowner")

    response = await call(http, "DELETE", admin, scene, {"admin": target})
    await runtime.settle()

    assert response.status_code == 204
    assert await active_admins(pool, scene.place_id) == [(admin.lower_address, "0xowner")]


@pytest.mark.parametrize(
    ("target_rights", "error"),
    [
        ({}, "The specified admin does not exist or is already inactive"),
        ({"owner": True}, "Cannot remove the user with privileges from this scene"),
        ({"operator": True}, "Cannot remove the user with privileges from this scene"),
    ],
)
async def test_removing_a_non_admin_or_a_land_holder_gets_400(
    http: httpx.AsyncClient,
    fake_upstreams: FakeUpstreams,
    target_rights: dict[str, bool],
    error: str,
) -> None:
    owner = make_identity()
    scene = land_scene(fake_upstreams)
    scene.rights(owner.address, owner=True)
    target = random_address()
    scene.rights(target, **target_rights)

    response = await call(http, "DELETE", owner, scene, {"admin": target})

    assert (response.status_code, response.json()) == (400, {"error": error})


async def test_caller_without_rights_cannot_remove_admins(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, runtime: Runtime, pool: Any
) -> None:
    stranger = make_identity()
    scene = land_scene(fake_upstreams)
    scene.rights(stranger.address)
    target = random_address()
    await add_through_room(runtime, scene, target, "0xowner")

    response = await call(http, "DELETE", stranger, scene, {"admin": target})

    assert (response.status_code, response.json()) == (
        401,
        {"error": "Only scene admins or the owner can remove admins"},
    )
    assert await active_admins(pool, scene.place_id) == [(target, "0xowner")]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"notAdmin": "something"}, "Invalid payload"),
        ({"admin": "invalid-address"}, "Invalid admin address"),
        ("not json", "Invalid payload"),
    ],
)
async def test_bad_removal_body_gets_400(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, body: Any, error: str
) -> None:
    response = await call(http, "DELETE", make_identity(), land_scene(fake_upstreams), body)

    assert (response.status_code, response.json()) == (400, {"error": error})
