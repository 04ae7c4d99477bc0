"""GET /scene-participants and the retired POST /mute, against the whole app with fake
catalyst, Worlds and LiveKit servers."""

from __future__ import annotations

import uuid

import httpx

from tests.fakes.livekit import FakeLiveKit
from tests.fakes.upstreams import FakeUpstreams

ALICE = "0x1234567890123456789012345678901234567890"
BOB = "0xAbCdEf1234567890123456789012345678901234"


def scene_entity(fake: FakeUpstreams, pointer: str) -> str:
    entity_id = f"bafkrei{uuid.uuid4().hex}"
    fake.add_entity({"id": entity_id, "type": "scene", "pointers": [pointer], "metadata": {}})
    return entity_id


async def test_scene_participants_are_wallets_in_the_scene_room(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, fake_livekit: FakeLiveKit
) -> None:
    pointer = f"10,{uuid.uuid4().int % 100_000}"
    entity = scene_entity(fake_upstreams, pointer)
    room = f"scene-main:{entity}"
    for identity in (ALICE, BOB, "stream:place:1", "authoritative-server"):
        fake_livekit.add_participant(room, identity)

    response = await http.get(
        "/scene-participants", params={"pointer": pointer, "realm_name": "main"}
    )

    assert response.status_code == 200
    assert response.json() == {"ok": True, "data": {"addresses": [ALICE, BOB.lower()]}}
    [asked] = fake_upstreams.requests("POST", "/catalyst/content/entities/active")
    assert asked.json() == {"pointers": [pointer]}


async def test_pointer_alone_means_the_main_realm(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, fake_livekit: FakeLiveKit
) -> None:
    pointer = f"15,{uuid.uuid4().int % 100_000}"
    entity = scene_entity(fake_upstreams, pointer)
    fake_livekit.add_participant(f"scene-main:{entity}", ALICE)

    response = await http.get("/scene-participants", params={"pointer": pointer})

    assert response.json()["data"]["addresses"] == [ALICE]


async def test_missing_or_empty_room_has_no_participants(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, fake_livekit: FakeLiveKit
) -> None:
    missing = f"1,{uuid.uuid4().int % 100_000}"
    empty = f"2,{uuid.uuid4().int % 100_000}"
    scene_entity(fake_upstreams, missing)
    fake_livekit.add_room(f"scene-main:{scene_entity(fake_upstreams, empty)}")

    for pointer in (missing, empty):
        response = await http.get("/scene-participants", params={"pointer": pointer})
        assert (response.status_code, response.json()["data"]["addresses"]) == (200, [])


async def test_livekit_failing_reads_as_nobody(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, fake_livekit: FakeLiveKit
) -> None:
    pointer = f"3,{uuid.uuid4().int % 100_000}"
    fake_livekit.add_participant(f"scene-main:{scene_entity(fake_upstreams, pointer)}", ALICE)
    fake_livekit.fail_next("ListParticipants")

    response = await http.get("/scene-participants", params={"pointer": pointer})

    assert (response.status_code, response.json()["data"]["addresses"]) == (200, [])


async def test_unknown_scene_gets_404(http: httpx.AsyncClient) -> None:
    response = await http.get("/scene-participants", params={"pointer": "10,20"})

    assert response.status_code == 404
    assert "No scene found for pointer: 10,20" in response.json()["error"]


async def test_world_scene_by_pointer(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams, fake_livekit: FakeLiveKit
) -> None:
    world = f"w{uuid.uuid4().hex[:8]}.dcl.eth"
    entity = f"bafkrei{uuid.uuid4().hex}"
    fake_upstreams.reply(
        "POST", f"/worlds/world/{world}/scenes", json={"scenes": [{"entityId": entity}], "total": 1}
    )
    fake_livekit.add_participant(f"world-prod-scene-room-{world}-{entity}", ALICE)

    response = await http.get("/scene-participants", params={"pointer": "0,0", "realm_name": world})

    assert response.json()["data"]["addresses"] == [ALICE]
    [asked] = fake_upstreams.requests("POST", f"/worlds/world/{world}/scenes")
    assert asked.json() == {"pointers": ["0,0"]}


async def test_world_without_scene_at_pointer_gets_404(
    http: httpx.AsyncClient, fake_upstreams: FakeUpstreams
) -> None:
    world = "mycoolworld.dcl.eth"
    fake_upstreams.reply("POST", f"/worlds/world/{world}/scenes", json={"scenes": [], "total": 0})

    response = await http.get("/scene-participants", params={"pointer": "0,0", "realm_name": world})

    assert response.status_code == 404
    assert (
        "No scene found for world mycoolworld.dcl.eth at pointer: 0,0" in response.json()["error"]
    )


async def test_world_realm_alone_reads_the_world_room(
    http: httpx.AsyncClient, fake_livekit: FakeLiveKit
) -> None:
    fake_livekit.add_participant("world-env-mycoolworld.eth", ALICE)

    present = await http.get("/scene-participants", params={"realm_name": "mycoolworld.eth"})
    absent = await http.get("/scene-participants", params={"realm_name": "other.dcl.eth"})

    assert present.json()["data"]["addresses"] == [ALICE]
    assert absent.json()["data"]["addresses"] == []


async def test_missing_parameters_get_400(http: httpx.AsyncClient) -> None:
    none = await http.get("/scene-participants", params={"pointer": "", "realm_name": ""})
    not_world = await http.get("/scene-participants", params={"realm_name": "invalid-world"})

    assert none.status_code == 400
    assert "Either pointer or realm_name must be provided" in none.json()["error"]
    assert not_world.status_code == 400
    assert (
        "Either pointer with realm_name or a world realm_name must be provided"
        in not_world.json()["error"]
    )


async def test_mute_is_retired(http: httpx.AsyncClient) -> None:
    response = await http.post("/mute")

    assert (response.status_code, response.json()) == (404, {"error": "Deprecated endpoint"})
