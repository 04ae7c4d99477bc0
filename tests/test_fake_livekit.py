"""The fake LiveKit server speaks LiveKit's wire protocol: checked with raw HTTP requests."""

from __future__ import annotations

import asyncio
import datetime
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from livekit import api

from tests.fakes.livekit import FakeLiveKit

KEY = "APItestkey"
SECRET = "a-test-secret-long-enough-for-hs256-signing"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def livekit() -> Iterator[FakeLiveKit]:
    with FakeLiveKit(api_key=KEY, api_secret=SECRET) as fake:
        yield fake


@pytest.fixture(autouse=True)
def clean_livekit(livekit: FakeLiveKit) -> None:
    livekit.reset()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        yield session


def bearer(secret: str = SECRET, **grants: Any) -> dict[str, str]:
    token = api.AccessToken(KEY, secret).with_grants(api.VideoGrants(**grants)).to_jwt()
    return {"Authorization": f"Bearer {token}"}


async def post(
    http: aiohttp.ClientSession,
    livekit: FakeLiveKit,
    path: str,
    headers: dict[str, str],
    *,
    json_body: Any = None,
    data: bytes | None = None,
) -> tuple[int, str, Any]:
    url = f"{livekit.url}/twirp/{path}"
    if json_body is not None:
        request = http.post(url, json=json_body, headers=headers)
    else:
        headers = {**headers, "Content-Type": "application/protobuf"}
        request = http.post(url, data=data or b"", headers=headers)
    async with request as response:
        body = await response.read()
        content_type = response.content_type
        parsed: Any = body
        if content_type == "application/json":
            parsed = await response.json()
        return response.status, content_type, parsed


async def test_json_requests_get_json_answers_with_proto_field_names(
    http: aiohttp.ClientSession, livekit: FakeLiveKit
) -> None:
    livekit.add_room("a", metadata='{"k":1}')
    livekit.add_room("b")

    status, content_type, body = await post(
        http,
        livekit,
        "livekit.RoomService/ListRooms",
        bearer(room_list=True),
        json_body={"names": ["a"]},
    )

    assert (status, content_type) == (200, "application/json")
    assert [room["name"] for room in body["rooms"]] == ["a"]
    assert body["rooms"][0]["metadata"] == '{"k":1}'
    assert "num_participants" in body["rooms"][0]
    assert isinstance(livekit.calls("ListRooms")[0].request, api.ListRoomsRequest)
    assert livekit.calls("ListRooms")[0].content_type == "application/json"


async def test_json_requests_accept_camel_case_names(
    http: aiohttp.ClientSession, livekit: FakeLiveKit
) -> None:
    livekit.add_participant("r", "0xa")

    status, _, body = await post(
        http,
        livekit,
        "livekit.RoomService/UpdateParticipant",
        bearer(room_admin=True, room="r"),
        json_body={"room": "r", "identity": "0xa", "permission": {"canPublish": False}},
    )

    assert status == 200
    assert body["permission"]["can_publish"] is False
    stored = livekit.participant("r", "0xa")
    assert stored is not None
    assert stored.permission.can_publish is False


async def test_protobuf_requests_get_protobuf_answers(
    http: aiohttp.ClientSession, livekit: FakeLiveKit
) -> None:
    request = api.CreateRoomRequest(name="r", metadata='{"x":true}')

    status, content_type, body = await post(
        http,
        livekit,
        "livekit.RoomService/CreateRoom",
        bearer(room_create=True),
        data=request.SerializeToString(),
    )

    assert (status, content_type) == (200, "application/protobuf")
    room = api.Room.FromString(body)
    assert room.name == "r"
    assert room.metadata == '{"x":true}'
    assert livekit.calls("CreateRoom")[0].request == request


async def test_missing_authorization_is_unauthenticated(
    http: aiohttp.ClientSession, livekit: FakeLiveKit
) -> None:
    status, _, body = await post(http, livekit, "livekit.RoomService/ListRooms", {}, json_body={})

    assert status == 401
    assert body["code"] == "unauthenticated"
    assert livekit.calls() == []


async def test_token_signed_with_a_bad_secret_is_unauthenticated(
    http: aiohttp.ClientSession, livekit: FakeLiveKit
) -> None:
    headers = bearer("wrong-secret-of-some-reasonable-length", room_list=True)

    status, _, body = await post(
        http, livekit, "livekit.RoomService/ListRooms", headers, json_body={}
    )

    assert status == 401
    assert body == {"code": "unauthenticated", "msg": "invalid token: signature is invalid"}


async def test_expired_token_is_unauthenticated(
    http: aiohttp.ClientSession, livekit: FakeLiveKit
) -> None:
    token = (
        api.AccessToken(KEY, SECRET)
        .with_ttl(datetime.timedelta(minutes=-5))
        .with_grants(api.VideoGrants(room_list=True))
        .to_jwt()
    )

    status, _, body = await post(
        http,
        livekit,
        "livekit.RoomService/ListRooms",
        {"Authorization": f"Bearer {token}"},
        json_body={},
    )

    assert (status, body["code"]) == (401, "unauthenticated")


@pytest.mark.parametrize(
    ("path", "grants", "json_body"),
    [
        ("livekit.RoomService/ListRooms", {"room_create": True}, {}),
        ("livekit.RoomService/CreateRoom", {"room_list": True}, {"name": "r"}),
        ("livekit.RoomService/DeleteRoom", {"room_admin": True, "room": "r"}, {"room": "r"}),
        ("livekit.RoomService/ListParticipants", {"room_admin": True, "room": "x"}, {"room": "r"}),
        ("livekit.RoomService/RemoveParticipant", {"room_list": True}, {"room": "r"}),
        ("livekit.Ingress/ListIngress", {"room_admin": True, "room": "r"}, {}),
    ],
)
async def test_token_without_the_needed_grant_is_permission_denied(
    http: aiohttp.ClientSession,
    livekit: FakeLiveKit,
    path: str,
    grants: dict[str, Any],
    json_body: dict[str, Any],
) -> None:
    livekit.add_room("r")

    status, _, body = await post(http, livekit, path, bearer(**grants), json_body=json_body)

    assert (status, body["code"]) == (403, "permission_denied")
    assert livekit.calls() == []
    assert livekit.refused()[0][0] == path.rsplit("/", 1)[1]


async def test_unknown_method_is_a_bad_route(
    http: aiohttp.ClientSession, livekit: FakeLiveKit
) -> None:
    for path in ("livekit.RoomService/SendData", "livekit.IngressService/ListIngress"):
        status, _, body = await post(http, livekit, path, bearer(room_list=True), json_body={})
        assert (status, body["code"]) == (404, "bad_route")


async def test_undecodable_protobuf_is_malformed(
    http: aiohttp.ClientSession, livekit: FakeLiveKit
) -> None:
    status, _, body = await post(
        http, livekit, "livekit.RoomService/ListRooms", bearer(room_list=True), data=b"\xff\xff"
    )

    assert (status, body["code"]) == (400, "malformed")


async def test_unknown_participant_is_not_found_as_livekit_says(
    http: aiohttp.ClientSession, livekit: FakeLiveKit
) -> None:
    livekit.add_room("r")

    status, _, body = await post(
        http,
        livekit,
        "livekit.RoomService/GetParticipant",
        bearer(room_admin=True, room="r"),
        json_body={"room": "r", "identity": "0xnobody"},
    )

    assert status == 404
    assert body == {"code": "not_found", "msg": "participant does not exist"}


async def test_mute_published_track_mutes_the_track(livekit: FakeLiveKit) -> None:
    track = api.TrackInfo(sid="TR_1", type=api.TrackType.AUDIO, source=api.TrackSource.MICROPHONE)
    livekit.add_participant("r", "0xa", tracks=[track])

    async with api.LiveKitAPI(livekit.url, KEY, SECRET, failover=False) as client:
        answer = await client.room.mute_published_track(
            api.MuteRoomTrackRequest(room="r", identity="0xa", track_sid="TR_1", muted=True)
        )
        with pytest.raises(api.ServerError) as missing:
            await client.room.mute_published_track(
                api.MuteRoomTrackRequest(room="r", identity="0xa", track_sid="TR_9", muted=True)
            )

    assert answer.track.muted is True
    stored = livekit.participant("r", "0xa")
    assert stored is not None
    assert stored.tracks[0].muted is True
    assert missing.value.code == "not_found"


async def test_injected_failure_hits_only_the_next_call(livekit: FakeLiveKit) -> None:
    livekit.fail_next("ListRooms", code="unavailable", msg="draining")

    async with api.LiveKitAPI(livekit.url, KEY, SECRET, failover=False) as client:
        with pytest.raises(api.ServerError) as failed:
            await client.room.list_rooms(api.ListRoomsRequest())
        answer = await client.room.list_rooms(api.ListRoomsRequest())

    assert (failed.value.code, failed.value.status, failed.value.message) == (
        "unavailable",
        503,
        "draining",
    )
    assert list(answer.rooms) == []
    assert livekit.methods_called() == ["ListRooms", "ListRooms"]


async def test_wait_for_calls_returns_once_the_call_arrives(livekit: FakeLiveKit) -> None:
    async def later() -> None:
        async with api.LiveKitAPI(livekit.url, KEY, SECRET, failover=False) as client:
            await client.room.create_room(api.CreateRoomRequest(name="r"))

    task = asyncio.create_task(later())
    calls = await livekit.wait_for_calls_async("CreateRoom")
    await task

    assert calls[0].request.name == "r"


def test_wait_for_calls_fails_when_nothing_arrives(livekit: FakeLiveKit) -> None:
    with pytest.raises(AssertionError, match="CreateRoom called 0 times"):
        livekit.wait_for_calls("CreateRoom", within=0.05)


def test_reset_forgets_everything(livekit: FakeLiveKit) -> None:
    livekit.add_participant("r", "0xa")
    livekit.fail_always("ListRooms")

    livekit.reset()

    assert livekit.room_names() == []
    assert livekit.calls() == []


def test_fake_runs_as_its_own_process() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tests.fakes.livekit", "--api-key", KEY]
    command += ["--api-secret", SECRET]
    process = subprocess.Popen(  # noqa: S603 - a fixed command line
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()

        async def create() -> api.Room:
            async with api.LiveKitAPI(url, KEY, SECRET, failover=False) as client:
                return await client.room.create_room(api.CreateRoomRequest(name="r"))

        room = asyncio.run(create())
    finally:
        process.terminate()
        process.communicate(timeout=10)

    assert url.startswith("http://127.0.0.1:")
    assert room.name == "r"
    assert process.returncode == 0
