"""`POST /livekit-webhook`: signatures, room events on SNS, scene metadata refresh, ingress."""

from __future__ import annotations

import random
import uuid

import asyncpg
import httpx
from fastapi import FastAPI
from livekit import api

from actors.keys import place_key
from tests.conftest import LIVEKIT_KEY, LIVEKIT_SECRET
from tests.fakes.livekit import FakeLiveKit, signed_webhook, webhook_body, webhook_event
from tests.fakes.sns import SnsQueue
from tests.fakes.upstreams import FakeUpstreams
from tests.voice_support import (
    CLIENT_INITIATED,
    joined,
    left,
    new_address,
    new_id,
    now_ms,
    post_webhook,
    published,
)


async def test_a_webhook_without_authorization_is_401(http: httpx.AsyncClient) -> None:
    body = webhook_body(webhook_event("room_finished", room=api.Room(name="x")))
    response = await http.post("/livekit-webhook", content=body)
    assert (response.status_code, response.json()) == (
        401,
        {"error": "Authorization header not found"},
    )


async def test_a_forged_or_altered_webhook_is_401(http: httpx.AsyncClient) -> None:
    event = webhook_event("room_finished", room=api.Room(name="x"))
    body, _ = signed_webhook(event, LIVEKIT_KEY, "another-secret-that-is-long-enough-000")
    _, forged = signed_webhook(event, LIVEKIT_KEY, "another-secret-that-is-long-enough-000")
    refused = await http.post("/livekit-webhook", content=body, headers={"Authorization": forged})
    assert (refused.status_code, refused.json()) == (401, {"error": "Invalid webhook event"})

    body, token = signed_webhook(event, LIVEKIT_KEY, LIVEKIT_SECRET)
    altered = body.replace('"x"', '"y"')
    changed = await http.post("/livekit-webhook", content=altered, headers={"Authorization": token})
    assert changed.status_code == 401


async def test_a_handled_webhook_echoes_its_body(http: httpx.AsyncClient) -> None:
    event = webhook_event("room_finished", room=api.Room(name=f"voice-chat-private-{new_id()}"))
    body, token = signed_webhook(event, LIVEKIT_KEY, LIVEKIT_SECRET)
    response = await http.post("/livekit-webhook", content=body, headers={"Authorization": token})
    assert (response.status_code, response.text) == (200, body)


async def test_joins_and_leaves_publish_room_events(
    app: FastAPI, http: httpx.AsyncClient, sns: SnsQueue
) -> None:
    sns.drain()
    address = new_address()
    scene_id = uuid.uuid4().hex
    scene_room = f"scene-myrealm:{scene_id}"
    world_room = f"world-prod-scene-room-foo.dcl.eth-{scene_id}"
    island_room = f"island-{scene_id}"
    community_room = f"voice-chat-community-{scene_id}"
    for room in (scene_room, world_room, island_room, community_room):
        assert (await post_webhook(http, joined(room, address.upper()))).status_code == 200
    events = {e["key"]: e for e in await published(app, sns, "user-joined-room")}

    scene = events[f"user-joined-room-{scene_room}-{address}"]
    assert scene["type"] == "comms"
    assert scene["metadata"] == {
        "sceneId": scene_id,
        "userAddress": address,
        "parcel": "",
        "realmName": "myrealm",
        "isWorld": False,
        "roomType": "scene",
    }
    world = events[f"user-joined-room-{world_room}-{address}"]["metadata"]
    assert (world["realmName"], world["isWorld"], world["sceneId"]) == (
        "foo.dcl.eth",
        True,
        scene_id,
    )
    island = events[f"user-joined-room-{island_room}-{address}"]["metadata"]
    assert (island["islandName"], island["roomType"], island["sceneId"]) == (scene_id, "island", "")
    community = events[f"user-joined-room-{community_room}-{address}"]["metadata"]
    assert (community["communityId"], community["roomType"]) == (scene_id, "community-voice-chat")

    assert (
        await post_webhook(http, left(scene_room, address, CLIENT_INITIATED))
    ).status_code == 200
    [gone] = await published(app, sns, "user-left-room")
    assert gone["key"] == f"user-left-room-{scene_room}-{address}"
    assert gone["metadata"] == {
        "sceneId": scene_id,
        "userAddress": address,
        "isWorld": False,
        "realmName": "myrealm",
        "roomType": "scene",
    }


async def test_preview_and_unknown_rooms_publish_nothing(
    app: FastAPI, http: httpx.AsyncClient, sns: SnsQueue
) -> None:
    sns.drain()
    address = new_address()
    for room in ("scene-LocalPreview:abc", "scene-preview:abc", "world-env-preview"):
        assert (await post_webhook(http, joined(room, address))).status_code == 200
        assert (await post_webhook(http, left(room, address, 1))).status_code == 200
    assert await published(app, sns, "user-joined-room") == []
    assert await published(app, sns, "user-left-room") == []
    await app.state.voice.sync.drain()


async def test_room_finished_and_missing_parts_change_nothing(
    app: FastAPI,
    http: httpx.AsyncClient,
    fake_livekit: FakeLiveKit,
    fake_upstreams: FakeUpstreams,
) -> None:
    await app.state.voice.sync.drain()
    fake_upstreams.reset()
    no_participant = webhook_event("participant_joined", room=api.Room(name="scene-r:s"))
    no_room = webhook_event("room_started")
    finished = webhook_event("room_finished", room=api.Room(name="scene-r:s"))
    for event in (no_participant, no_room, finished):
        assert (await post_webhook(http, event)).status_code == 200
    assert fake_livekit.calls() == []
    assert fake_upstreams.requests() == []


def _parcel() -> str:
    return f"{random.randint(-150, 150)},{random.randint(-150, 150)}"


def _land_scene(fake_upstreams: FakeUpstreams, owner: str) -> tuple[str, str]:
    """A Genesis City scene the fakes know: its LiveKit room name and its place id."""
    scene_id, place_id, parcel = new_id(), str(uuid.uuid4()), _parcel()
    fake_upstreams.add_entity(
        {
            "id": scene_id,
            "type": "scene",
            "pointers": [parcel],
            "timestamp": 1,
            "metadata": {"scene": {"base": parcel, "parcels": [parcel]}},
        }
    )
    fake_upstreams.reply(
        "GET",
        "/places-api/places",
        query={"positions": parcel},
        json={"data": [{"id": place_id, "positions": [parcel], "base_position": parcel}]},
    )
    x, y = parcel.split(",")
    fake_upstreams.reply(
        "GET", f"/lambdas/parcels/{x}/{y}/operators", json={"owner": owner.upper()}
    )
    return f"scene-realm:{scene_id}", place_id


async def test_room_started_refreshes_scene_metadata_once_per_cooldown(
    app: FastAPI,
    http: httpx.AsyncClient,
    fake_livekit: FakeLiveKit,
    fake_upstreams: FakeUpstreams,
) -> None:
    owner, admin, banned = new_address(), new_address(), new_address()
    room, place_id = _land_scene(fake_upstreams, owner)
    fake_livekit.add_room(room, metadata='{"presenters":["p"]}')
    rooms = app.state.runtime.rooms
    await rooms.call(place_key(place_id), "add_admin", admin, owner)
    await rooms.call(place_key(place_id), "add_ban", banned, owner)

    started = webhook_event("room_started", room=api.Room(name=room))
    assert (await post_webhook(http, started)).status_code == 200
    [update] = await fake_livekit.wait_for_calls_async("UpdateRoomMetadata")
    metadata = fake_livekit.room_metadata(room)
    assert metadata["presenters"] == ["p"]
    assert metadata["bannedAddresses"] == [banned]
    assert set(metadata["sceneAdmins"]) == {admin, owner}
    assert update.request.room == room

    # Within the cooldown, neither a start nor a join refreshes again.
    assert (await post_webhook(http, started)).status_code == 200
    assert (await post_webhook(http, joined(room, new_address()))).status_code == 200
    await app.state.voice.sync.drain()
    assert len(fake_livekit.calls("UpdateRoomMetadata")) == 1


async def test_room_started_again_gets_back_the_presenters_its_place_keeps(
    app: FastAPI,
    http: httpx.AsyncClient,
    fake_livekit: FakeLiveKit,
    fake_upstreams: FakeUpstreams,
) -> None:
    owner, presenter = new_address(), new_address()
    room, place_id = _land_scene(fake_upstreams, owner)
    rooms = app.state.runtime.rooms
    assert await rooms.call(place_key(place_id), "add_presenter", room, presenter) is True
    assert await rooms.call(place_key(place_id), "add_presenter", "other-room", owner) is True
    fake_livekit.add_room(room)  # the LiveKit room came back empty

    started = webhook_event("room_started", room=api.Room(name=room))
    assert (await post_webhook(http, started)).status_code == 200
    await fake_livekit.wait_for_calls_async("UpdateRoomMetadata")
    assert fake_livekit.room_metadata(room)["presenters"] == [presenter]


async def test_a_failed_refresh_is_swallowed_and_retried_by_the_next_webhook(
    app: FastAPI,
    http: httpx.AsyncClient,
    fake_livekit: FakeLiveKit,
    fake_upstreams: FakeUpstreams,
) -> None:
    world = f"{new_id()}.dcl.eth"
    room = f"world-env-{world}"
    fake_livekit.add_room(room)
    fake_upstreams.reply("GET", f"/places-api/worlds/{world}", status=500, times=1)
    assert (await post_webhook(http, joined(room, new_address()))).status_code == 200
    await app.state.voice.sync.drain()
    assert fake_livekit.calls("UpdateRoomMetadata") == []

    place_id = str(uuid.uuid4())
    fake_upstreams.reply(
        "GET",
        f"/places-api/worlds/{world}",
        json={"data": {"id": place_id, "world": True, "world_name": world, "positions": []}},
    )
    fake_upstreams.reply(
        "GET", f"/worlds/world/{world}/permissions", json={"owner": "0xAA", "permissions": {}}
    )
    started = webhook_event("room_started", room=api.Room(name=room))
    assert (await post_webhook(http, started)).status_code == 200
    await fake_livekit.wait_for_calls_async("UpdateRoomMetadata")
    assert fake_livekit.room_metadata(room) == {"bannedAddresses": [], "sceneAdmins": ["0xaa"]}


async def test_world_scene_rooms_resolve_through_the_scene_entity(
    app: FastAPI,
    http: httpx.AsyncClient,
    fake_livekit: FakeLiveKit,
    fake_upstreams: FakeUpstreams,
) -> None:
    world, entity_id, parcel = f"{new_id()}.dcl.eth", uuid.uuid4().hex, _parcel()
    room = f"world-prod-scene-room-{world}-{entity_id}"
    fake_livekit.add_room(room)
    fake_upstreams.reply(
        "GET", f"/worlds/contents/{entity_id}", json={"metadata": {"scene": {"base": parcel}}}
    )
    fake_upstreams.reply(
        "GET",
        "/places-api/places",
        query={"positions": parcel, "names": world},
        json={
            "data": [
                {"id": str(uuid.uuid4()), "world": True, "world_name": world, "positions": [parcel]}
            ]
        },
    )
    fake_upstreams.reply(
        "POST",
        f"/worlds/world/{world}/permissions/deployment/parcels",
        json={"addresses": ["0xDD"]},
    )
    fake_upstreams.reply(
        "POST", f"/worlds/world/{world}/permissions/streaming/parcels", json={"addresses": []}
    )
    fake_upstreams.reply(
        "GET", f"/worlds/world/{world}/permissions", json={"owner": "0xAA", "permissions": {}}
    )
    started = webhook_event("room_started", room=api.Room(name=room))
    assert (await post_webhook(http, started)).status_code == 200
    await fake_livekit.wait_for_calls_async("UpdateRoomMetadata")
    assert set(fake_livekit.room_metadata(room)["sceneAdmins"]) == {"0xdd", "0xaa"}


async def test_ingress_webhooks_flip_the_streaming_state(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    place_id, ingress_id = str(uuid.uuid4()), f"IN_{new_id()}"
    await pool.execute(
        "INSERT INTO scene_stream_access (id, place_id, streaming_url, streaming_key, "
        "ingress_id, created_at) VALUES ($1, $2, 'rtmp://x', 'key', $3, $4)",
        uuid.uuid4(),
        place_id,
        ingress_id,
        now_ms(),
    )
    info = api.IngressInfo(ingress_id=ingress_id)
    before = now_ms()
    started = webhook_event("ingress_started", ingress_info=info)
    assert (await post_webhook(http, started)).status_code == 200
    row = await pool.fetchrow(
        "SELECT streaming, streaming_start_time FROM scene_stream_access WHERE place_id = $1",
        place_id,
    )
    assert row is not None
    assert row["streaming"] is True
    assert row["streaming_start_time"] >= before
    first_start = row["streaming_start_time"]

    # Already streaming: a repeated start keeps the first start time.
    assert (await post_webhook(http, started)).status_code == 200
    again = await pool.fetchval(
        "SELECT streaming_start_time FROM scene_stream_access WHERE place_id = $1", place_id
    )
    assert again == first_start

    ended = webhook_event("ingress_ended", ingress_info=info)
    assert (await post_webhook(http, ended)).status_code == 200
    assert (
        await pool.fetchval(
            "SELECT streaming FROM scene_stream_access WHERE place_id = $1", place_id
        )
        is False
    )
    unknown = webhook_event("ingress_started", ingress_info=api.IngressInfo(ingress_id="IN_none"))
    assert (await post_webhook(http, unknown)).status_code == 200
