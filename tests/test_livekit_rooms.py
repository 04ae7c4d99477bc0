"""LiveKitRooms against the fake LiveKit server, through livekit-api's real Twirp client."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import pytest
from livekit import api

from config.errors import NotFoundError, ServiceUnavailableError, UpstreamError
from integrations.livekit.rooms import LiveKitRooms
from tests.fakes.livekit import FakeLiveKit
from tests.fixtures_upstreams import LIVEKIT_KEY as KEY
from tests.fixtures_upstreams import LIVEKIT_SECRET as SECRET


@pytest.fixture
async def rooms(livekit: FakeLiveKit) -> AsyncIterator[LiveKitRooms]:
    client = LiveKitRooms(livekit.ws_url, KEY, SECRET, timeout_seconds=2.0)
    yield client
    await client.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_list_rooms_returns_all_or_the_named_ones(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    livekit.add_room("a", metadata='{"k":1}')
    livekit.add_room("b")

    everything = await rooms.list_rooms()
    named = await rooms.list_rooms(["b", "missing"])

    assert sorted(room.name for room in everything) == ["a", "b"]
    assert [room.name for room in named] == ["b"]
    assert livekit.calls("ListRooms")[1].request.names == ["b", "missing"]


async def test_create_room_creates_once(rooms: LiveKitRooms, livekit: FakeLiveKit) -> None:
    first = await rooms.create_room("voice-chat-private-1")
    again = await rooms.create_room("voice-chat-private-1")

    assert first.sid.startswith("RM_")
    assert again.sid == first.sid
    assert livekit.room_names() == ["voice-chat-private-1"]


async def test_delete_room_removes_it(rooms: LiveKitRooms, livekit: FakeLiveKit) -> None:
    livekit.add_participant("r", "0xabc")

    await rooms.delete_room("r")

    assert livekit.room("r") is None


async def test_delete_room_swallows_a_missing_room(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    await rooms.delete_room("never-existed")

    assert livekit.calls("DeleteRoom")[0].request.room == "never-existed"


async def test_delete_room_swallows_failures_and_an_unreachable_server() -> None:
    unreachable = LiveKitRooms(f"ws://127.0.0.1:{closed_port()}", KEY, SECRET)
    try:
        await unreachable.delete_room("r")
    finally:
        await unreachable.close()


async def test_delete_room_swallows_a_server_error(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    livekit.add_room("r")
    livekit.fail_next("DeleteRoom", code="internal")

    await rooms.delete_room("r")

    assert livekit.room("r") is not None


async def test_update_room_metadata_overwrites(rooms: LiveKitRooms, livekit: FakeLiveKit) -> None:
    livekit.add_room("r", metadata='{"old":true}')

    room = await rooms.update_room_metadata("r", '{"new":1}')

    assert room.metadata == '{"new":1}'
    assert livekit.room_metadata("r") == {"new": 1}


async def test_list_participants_of_a_room(rooms: LiveKitRooms, livekit: FakeLiveKit) -> None:
    livekit.add_participant("r", "0xa", metadata='{"isSpeaker":true}')
    livekit.add_participant("r", "0xb")

    participants = await rooms.list_participants("r")

    assert [p.identity for p in participants] == ["0xa", "0xb"]
    assert participants[0].metadata == '{"isSpeaker":true}'
    assert participants[0].sid.startswith("PA_")


async def test_list_participants_of_a_missing_room_is_not_found(rooms: LiveKitRooms) -> None:
    with pytest.raises(NotFoundError, match="room does not exist"):
        await rooms.list_participants("nowhere")


async def test_remove_participant_removes_it(rooms: LiveKitRooms, livekit: FakeLiveKit) -> None:
    livekit.add_participant("r", "0xa")
    livekit.add_participant("r", "0xb")

    await rooms.remove_participant("r", "0xa")

    assert livekit.identities("r") == ["0xb"]


async def test_removing_a_missing_participant_is_not_found(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    livekit.add_participant("r", "0xa")

    with pytest.raises(NotFoundError, match="participant does not exist"):
        await rooms.remove_participant("r", "0xgone")


async def test_update_participant_sends_only_the_permission(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    livekit.add_participant("r", "0xa", metadata='{"isSpeaker":false}')
    promote = api.ParticipantPermission(can_publish=True, can_subscribe=True, can_publish_data=True)
    demote = api.ParticipantPermission(can_publish=False, can_subscribe=True, can_publish_data=True)

    await rooms.update_participant("r", "0xa", permission=promote)
    updated = await rooms.update_participant("r", "0xa", permission=demote)

    assert updated.permission.can_publish is False
    assert updated.permission.can_subscribe is True
    stored = livekit.participant("r", "0xa")
    assert stored is not None
    assert stored.permission.can_publish is False
    assert stored.metadata == '{"isSpeaker":false}'
    sent = livekit.calls("UpdateParticipant")[0].request
    assert sent.metadata == ""
    assert sent.permission.can_publish is True


async def test_update_participant_sets_metadata(rooms: LiveKitRooms, livekit: FakeLiveKit) -> None:
    livekit.add_participant("r", "0xa")

    await rooms.update_participant("r", "0xa", metadata='{"muted":true}')

    assert livekit.participant_metadata("r", "0xa") == {"muted": True}
    assert not livekit.calls("UpdateParticipant")[0].request.HasField("permission")


async def test_merge_room_metadata_keeps_other_keys(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    livekit.add_room("r", metadata='{"presenters":["p"],"sceneAdmins":["0xa"]}')

    merged = await rooms.merge_room_metadata("r", {"sceneAdmins": ["0xb"], "bannedAddresses": []})

    expected = {"presenters": ["p"], "sceneAdmins": ["0xb"], "bannedAddresses": []}
    assert merged == expected
    assert livekit.room_metadata("r") == expected


async def test_merge_room_metadata_leaves_a_missing_room_alone(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    merged = await rooms.merge_room_metadata("gone", {"k": 1})

    assert merged is None
    assert livekit.room("gone") is None
    assert livekit.methods_called() == ["ListRooms"]


async def test_merge_room_metadata_creates_the_room_when_told(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    await rooms.merge_room_metadata("new", {"k": 1}, create=True)

    assert livekit.room_metadata("new") == {"k": 1}
    assert livekit.methods_called() == ["ListRooms", "CreateRoom", "UpdateRoomMetadata"]


async def test_unreadable_room_metadata_counts_as_empty(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    livekit.add_room("r", metadata="not json")

    await rooms.merge_room_metadata("r", {"k": 1})

    assert livekit.room_metadata("r") == {"k": 1}


async def test_append_to_room_list_adds_a_value_once(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    livekit.add_room("r", metadata='{"bannedAddresses":["0xa"],"other":1}')

    added = await rooms.append_to_room_list("r", "bannedAddresses", "0xb")
    repeated = await rooms.append_to_room_list("r", "bannedAddresses", "0xb")

    assert (added, repeated) == (True, False)
    assert livekit.room_metadata("r") == {"bannedAddresses": ["0xa", "0xb"], "other": 1}
    assert len(livekit.calls("UpdateRoomMetadata")) == 1


async def test_append_to_a_missing_room_does_nothing(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    assert await rooms.append_to_room_list("gone", "sceneAdmins", "0xa") is False
    assert livekit.room("gone") is None


async def test_remove_from_room_list_keeps_the_rest(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    livekit.add_room("r", metadata='{"sceneAdmins":["0xa","0xb"],"presenters":["p"]}')

    removed = await rooms.remove_from_room_list("r", "sceneAdmins", "0xa")
    absent = await rooms.remove_from_room_list("r", "sceneAdmins", "0xz")

    assert (removed, absent) == (True, False)
    assert livekit.room_metadata("r") == {"sceneAdmins": ["0xb"], "presenters": ["p"]}


async def test_ensure_room_and_append_creates_a_missing_room(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    await rooms.ensure_room_and_append("cast-room", "presenters", "stream:p:1")

    assert livekit.room_metadata("cast-room") == {"presenters": ["stream:p:1"]}
    assert livekit.methods_called() == ["ListRooms", "CreateRoom", "UpdateRoomMetadata"]


async def test_concurrent_appends_to_one_room_lose_nothing(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    livekit.add_room("r")
    values = [f"0x{i:02x}" for i in range(20)]

    await asyncio.gather(*(rooms.append_to_room_list("r", "sceneAdmins", v) for v in values))

    assert sorted(livekit.room_metadata("r")["sceneAdmins"]) == values


async def test_merge_participant_metadata_keeps_other_keys(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    livekit.add_participant("r", "0xabc", metadata='{"role":"member","isSpeaker":false}')

    merged = await rooms.merge_participant_metadata("r", "0xabc", {"isRequestingToSpeak": True})

    expected = {"role": "member", "isSpeaker": False, "isRequestingToSpeak": True}
    assert merged == expected
    assert livekit.participant_metadata("r", "0xabc") == expected


async def test_merge_participant_metadata_finds_the_participant_case_insensitively(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    livekit.add_participant("r", "0xABC", metadata='{"role":"owner"}')

    with pytest.raises(NotFoundError, match="participant does not exist"):
        await rooms.merge_participant_metadata("r", "0xabc", {"muted": True})

    sent = livekit.calls("UpdateParticipant")[0].request
    assert sent.identity == "0xabc"
    assert json.loads(sent.metadata) == {"role": "owner", "muted": True}


async def test_merge_participant_metadata_of_a_missing_participant_is_not_found(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    livekit.add_participant("r", "0xother")

    with pytest.raises(NotFoundError, match="participant does not exist"):
        await rooms.merge_participant_metadata("r", "0xgone", {"muted": True})


async def test_merge_participant_metadata_proceeds_when_the_list_fails(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    livekit.add_participant("r", "0xa", metadata='{"role":"member"}')
    livekit.fail_next("ListParticipants", code="internal")

    await rooms.merge_participant_metadata("r", "0xa", {"muted": False})

    assert livekit.participant_metadata("r", "0xa") == {"muted": False}


async def test_remove_from_all_rooms_uses_each_rooms_own_identity(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    livekit.add_participant("scene-1", "0xABC")
    livekit.add_participant("scene-1", "0xother")
    livekit.add_participant("voice-chat-private-9", "0xabc")
    livekit.add_participant("empty-of-him", "0xother")

    removed = await rooms.remove_from_all_rooms("0xAbC")

    assert sorted(removed) == ["scene-1", "voice-chat-private-9"]
    sent = sorted((c.request.room, c.request.identity) for c in livekit.calls("RemoveParticipant"))
    assert sent == [("scene-1", "0xABC"), ("voice-chat-private-9", "0xabc")]
    assert livekit.identities("scene-1") == ["0xother"]
    assert livekit.identities("empty-of-him") == ["0xother"]


async def test_remove_from_all_rooms_never_fails(rooms: LiveKitRooms, livekit: FakeLiveKit) -> None:
    livekit.add_participant("r1", "0xa")
    livekit.add_participant("r2", "0xa")
    livekit.fail_next("ListParticipants", code="internal")

    removed = await rooms.remove_from_all_rooms("0xa")

    assert len(removed) == 1
    livekit.fail_next("ListRooms", code="unavailable")
    assert await rooms.remove_from_all_rooms("0xa") == []


async def test_unreachable_server_is_service_unavailable() -> None:
    down = LiveKitRooms(f"ws://127.0.0.1:{closed_port()}", KEY, SECRET, timeout_seconds=2.0)
    try:
        with pytest.raises(ServiceUnavailableError, match="did not answer ListRooms"):
            await down.list_rooms()
    finally:
        await down.close()


async def test_slow_server_is_service_unavailable_after_the_timeout(
    livekit: FakeLiveKit,
) -> None:
    livekit.delay_next("ListParticipants", seconds=60)
    impatient = LiveKitRooms(livekit.url, KEY, SECRET, timeout_seconds=0.2)
    try:
        with pytest.raises(ServiceUnavailableError, match="TimeoutError"):
            await impatient.list_participants("r")
    finally:
        await impatient.close()
        livekit.reset()


async def test_dropped_connection_is_service_unavailable(
    rooms: LiveKitRooms, livekit: FakeLiveKit
) -> None:
    livekit.disconnect_next("ListRooms")

    with pytest.raises(ServiceUnavailableError):
        await rooms.list_rooms()


async def test_server_errors_are_told_apart(rooms: LiveKitRooms, livekit: FakeLiveKit) -> None:
    livekit.fail_next("ListRooms", code="unavailable", msg="draining")
    with pytest.raises(ServiceUnavailableError, match="draining"):
        await rooms.list_rooms()

    livekit.fail_next("ListRooms", code="internal", msg="boom")
    with pytest.raises(UpstreamError, match="internal boom"):
        await rooms.list_rooms()


async def test_a_wrong_api_secret_is_refused(livekit: FakeLiveKit) -> None:
    impostor = LiveKitRooms(livekit.url, KEY, "not-the-secret-but-long-enough-anyway")
    try:
        with pytest.raises(UpstreamError, match="unauthenticated"):
            await impostor.list_rooms()
    finally:
        await impostor.close()

    assert livekit.calls() == []
    assert livekit.refused() == [("ListRooms", "invalid token: signature is invalid")]


def test_rooms_read_their_settings() -> None:
    from config.settings import Settings

    settings = Settings(OUTSIDE_REQUEST_TIMEOUT_MS=1500)
    client = LiveKitRooms.from_settings(settings)

    assert client.host == settings.livekit_host == "ws://127.0.0.1:7880"
    assert client.timeout_seconds == 1.5
