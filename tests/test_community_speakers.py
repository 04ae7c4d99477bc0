"""Speakers in a community call: requests to speak (a FIFO queue), promotion, mute, kick."""

from __future__ import annotations

import asyncio

import httpx
import ray
from fastapi import FastAPI

from actors.keys import community_key
from tests.fakes.livekit import FakeLiveKit
from tests.voice_support import AUTH, join_community, new_address, new_id


async def queue_of(app: FastAPI, community_id: str) -> tuple[list[str], list[str]]:
    speakers, queue = await app.state.runtime.rooms.call(
        community_key(community_id), "speakers_and_queue"
    )
    return speakers, queue


async def in_call(
    http: httpx.AsyncClient, fake_livekit: FakeLiveKit, community_id: str, *addresses: str
) -> str:
    room = f"voice-chat-community-{community_id}"
    for address in addresses:
        await join_community(http, community_id, address)
        fake_livekit.add_participant(room, address, metadata='{"role":"member"}')
    return room


def path(community_id: str, address: str, action: str) -> str:
    return f"/community-voice-chat/{community_id}/users/{address}/{action}"


async def test_speak_requests_queue_in_order_and_a_repeat_keeps_its_place(
    app: FastAPI, http: httpx.AsyncClient, fake_livekit: FakeLiveKit
) -> None:
    community_id = new_id()
    first, second = new_address(), new_address()
    room = await in_call(http, fake_livekit, community_id, first, second)
    for address in (first, second, first):
        response = await http.post(path(community_id, address, "speak-request"), headers=AUTH)
        assert response.status_code == 200
        assert response.json() == {"message": "Request to speak sent successfully"}
    assert await queue_of(app, community_id) == ([], [first, second])
    assert fake_livekit.participant_metadata(room, first) == {
        "role": "member",
        "isRequestingToSpeak": True,
    }


async def test_withdrawn_request_leaves_the_queue(
    app: FastAPI, http: httpx.AsyncClient, fake_livekit: FakeLiveKit
) -> None:
    community_id = new_id()
    first, second = new_address(), new_address()
    room = await in_call(http, fake_livekit, community_id, first, second)
    await http.post(path(community_id, first, "speak-request"), headers=AUTH)
    await http.post(path(community_id, second, "speak-request"), headers=AUTH)
    response = await http.delete(path(community_id, first, "speak-request"), headers=AUTH)
    assert response.json() == {"message": "Speak request rejected successfully"}
    assert await queue_of(app, community_id) == ([], [second])
    assert fake_livekit.participant_metadata(room, first)["isRequestingToSpeak"] is False


async def test_promotion_grants_publishing_then_marks_the_speaker(
    app: FastAPI, http: httpx.AsyncClient, fake_livekit: FakeLiveKit
) -> None:
    community_id = new_id()
    listener = new_address()
    room = await in_call(http, fake_livekit, community_id, listener)
    await http.post(path(community_id, listener, "speak-request"), headers=AUTH)
    fake_livekit.clear_calls()

    promoted = await http.post(path(community_id, listener, "speaker"), headers=AUTH)
    assert promoted.json() == {"message": "User promoted to speaker successfully"}
    permission_call, metadata_call = fake_livekit.calls("UpdateParticipant")
    permission = permission_call.request.permission
    assert (permission.can_publish, permission.can_subscribe, permission.can_publish_data) == (
        True,
        True,
        True,
    )
    assert not metadata_call.request.HasField("permission")
    assert fake_livekit.participant_metadata(room, listener) == {
        "role": "member",
        "isRequestingToSpeak": False,
        "isSpeaker": True,
    }
    assert await queue_of(app, community_id) == ([listener], [])

    demoted = await http.delete(path(community_id, listener, "speaker"), headers=AUTH)
    assert demoted.json() == {"message": "User demoted to listener successfully"}
    participant = fake_livekit.participant(room, listener)
    assert participant is not None
    assert participant.permission.can_publish is False
    assert participant.permission.can_subscribe is True
    assert fake_livekit.participant_metadata(room, listener)["isSpeaker"] is False
    assert await queue_of(app, community_id) == ([], [])


async def test_kick_removes_the_participant_from_livekit(
    app: FastAPI, http: httpx.AsyncClient, fake_livekit: FakeLiveKit
) -> None:
    community_id = new_id()
    member = new_address()
    room = await in_call(http, fake_livekit, community_id, member)
    await http.post(path(community_id, member, "speaker"), headers=AUTH)
    response = await http.delete(
        f"/community-voice-chat/{community_id}/users/{member}", headers=AUTH
    )
    assert response.json() == {"message": "User kicked from voice chat successfully"}
    [call] = fake_livekit.calls("RemoveParticipant")
    assert (call.request.room, call.request.identity) == (room, member)
    assert fake_livekit.identities(room) == []
    assert await queue_of(app, community_id) == ([], [])


async def test_mute_and_unmute_merge_the_flag(
    http: httpx.AsyncClient, fake_livekit: FakeLiveKit
) -> None:
    community_id = new_id()
    member = new_address()
    room = await in_call(http, fake_livekit, community_id, member)
    muted = await http.patch(path(community_id, member, "mute"), headers=AUTH, json={"muted": True})
    assert muted.json() == {"message": "User muted successfully"}
    assert fake_livekit.participant_metadata(room, member)["muted"] is True
    unmuted = await http.patch(
        path(community_id, member, "mute"), headers=AUTH, json={"muted": False}
    )
    assert unmuted.json() == {"message": "User unmuted successfully"}
    assert fake_livekit.participant_metadata(room, member)["muted"] is False
    assert [c.request.HasField("permission") for c in fake_livekit.calls("UpdateParticipant")] == [
        False,
        False,
    ]


async def test_mute_rejects_bad_bodies_and_keeps_path_addresses_as_given(
    http: httpx.AsyncClient, fake_livekit: FakeLiveKit
) -> None:
    community_id = new_id()
    member = new_address()
    await in_call(http, fake_livekit, community_id, member)
    for content in (b"{}", b'{"muted": "invalid"}', b'{"muted": null}', b"{bad"):
        response = await http.patch(
            path(community_id, member, "mute"), headers=AUTH, content=content
        )
        assert response.status_code == 400
        assert "message" in response.json()
    room = f"voice-chat-community-{community_id}"
    spaced = f" {member} "
    fake_livekit.add_participant(room, spaced)
    with_spaces = await http.patch(
        path(community_id, "%20" + member + "%20", "mute"), headers=AUTH, json={"muted": True}
    )
    assert with_spaces.status_code == 200
    assert fake_livekit.participant_metadata(room, spaced)["muted"] is True
    upper = await http.patch(
        path(community_id, "0X" + member[2:], "mute"), headers=AUTH, json={"muted": True}
    )
    assert upper.status_code == 200
    assert fake_livekit.participant_metadata(room, member)["muted"] is True
    for auth in ({}, {"Authorization": "Bearer invalid-token"}):
        denied = await http.patch(path(community_id, member, "mute"), headers=auth, json={})
        assert denied.status_code == 401


async def test_a_participant_not_in_livekit_is_404_and_the_room_keeps_its_state(
    app: FastAPI, http: httpx.AsyncClient, fake_livekit: FakeLiveKit
) -> None:
    community_id = new_id()
    waiting, absent = new_address(), new_address()
    await in_call(http, fake_livekit, community_id, waiting)
    await join_community(http, community_id, absent)
    await http.post(path(community_id, waiting, "speak-request"), headers=AUTH)
    response = await http.post(path(community_id, absent, "speak-request"), headers=AUTH)
    assert response.status_code == 404
    promote = await http.post(path(community_id, absent, "speaker"), headers=AUTH)
    assert promote.status_code == 404
    assert await queue_of(app, community_id) == ([], [waiting])


async def test_livekit_failing_answers_5xx_and_undoes_the_change(
    app: FastAPI, http: httpx.AsyncClient, fake_livekit: FakeLiveKit
) -> None:
    community_id = new_id()
    member = new_address()
    await in_call(http, fake_livekit, community_id, member)
    fake_livekit.fail_next("UpdateParticipant")
    response = await http.post(path(community_id, member, "speaker"), headers=AUTH)
    assert response.status_code >= 500
    assert await queue_of(app, community_id) == ([], [])
    fake_livekit.fail_next("RemoveParticipant")
    kick = await http.delete(f"/community-voice-chat/{community_id}/users/{member}", headers=AUTH)
    assert kick.status_code >= 500


async def test_speech_routes_need_the_service_token_and_every_segment(
    http: httpx.AsyncClient,
) -> None:
    member = new_address()
    community_id = new_id()
    for method, action in (
        ("POST", "speak-request"),
        ("DELETE", "speak-request"),
        ("POST", "speaker"),
        ("DELETE", "speaker"),
    ):
        denied = await http.request(method, path(community_id, member, action))
        assert denied.status_code == 401
        wrong = await http.request(
            method, path(community_id, member, action), headers={"Authorization": "Bearer x"}
        )
        assert wrong.status_code == 401
        missing = await http.request(method, path("", member, action), headers=AUTH)
        assert missing.status_code == 404
        no_user = await http.request(method, path(community_id, "", action), headers=AUTH)
        assert no_user.status_code == 404


async def test_racing_speak_requests_all_queue_once(
    app: FastAPI, http: httpx.AsyncClient, fake_livekit: FakeLiveKit
) -> None:
    community_id = new_id()
    members = [new_address() for _ in range(12)]
    room = await in_call(http, fake_livekit, community_id, *members)
    responses = await asyncio.gather(
        *(http.post(path(community_id, m, "speak-request"), headers=AUTH) for m in members),
        *(http.post(path(community_id, m, "speak-request"), headers=AUTH) for m in members[:4]),
    )
    assert {r.status_code for r in responses} == {200}
    _, queue = await queue_of(app, community_id)
    assert sorted(queue) == sorted(members)
    for member in members:
        assert fake_livekit.participant_metadata(room, member)["isRequestingToSpeak"] is True

    # Promote the two oldest requests; the rest keep their order.
    for member in queue[:2]:
        await http.post(path(community_id, member, "speaker"), headers=AUTH)
    assert await queue_of(app, community_id) == (sorted(queue[:2]), queue[2:])


async def test_speakers_mutes_and_the_queue_survive_a_killed_host(
    app: FastAPI, http: httpx.AsyncClient, fake_livekit: FakeLiveKit
) -> None:
    community_id = new_id()
    speaker, muted, first, second = (new_address() for _ in range(4))
    await in_call(http, fake_livekit, community_id, speaker, muted, first, second)
    for address in (first, second, speaker):
        await http.post(path(community_id, address, "speak-request"), headers=AUTH)
    await http.post(path(community_id, speaker, "speaker"), headers=AUTH)
    await http.patch(path(community_id, muted, "mute"), json={"muted": True}, headers=AUTH)
    before = await queue_of(app, community_id)
    assert before == ([speaker], [first, second])

    rooms = app.state.runtime.rooms
    key = community_key(community_id)
    ray.kill(await rooms.host(rooms.owner(key)), no_restart=False)

    assert await queue_of(app, community_id) == before
    assert (await rooms.call(key, "speech", muted)).muted is True
    # The restored queue goes on in order.
    third = new_address()
    await in_call(http, fake_livekit, community_id, third)
    await http.post(path(community_id, third, "speak-request"), headers=AUTH)
    assert await queue_of(app, community_id) == ([speaker], [first, second, third])
