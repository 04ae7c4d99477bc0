"""Private calls over HTTP: status, creation (idempotent), ending."""

from __future__ import annotations

import asyncpg
import httpx
import jwt

from tests.conftest import LIVEKIT_KEY, LIVEKIT_SECRET
from tests.fakes.livekit import FakeLiveKit
from tests.voice_support import (
    AUTH,
    new_address,
    new_id,
    now_ms,
    private_rows,
)

HOUR_MS = 3_600_000


async def create(http: httpx.AsyncClient, room_id: str, *addresses: str) -> httpx.Response:
    return await http.post(
        "/private-voice-chat",
        headers=AUTH,
        json={"user_addresses": list(addresses), "room_id": room_id},
    )


async def insert_row(
    pool: asyncpg.Pool, room_id: str, address: str, status: str, joined: int, updated: int
) -> None:
    await pool.execute(
        "INSERT INTO voice_chat_users VALUES ($1, $2, $3, $4, $5)",
        address,
        f"voice-chat-private-{room_id}",
        status,
        joined,
        updated,
    )


def claims_of(connection_url: str) -> dict[str, object]:
    token = connection_url.split("access_token=")[1]
    return dict(jwt.decode(token, LIVEKIT_SECRET, algorithms=["HS256"], issuer=LIVEKIT_KEY))


async def test_status_with_an_invalid_token_is_401(http: httpx.AsyncClient) -> None:
    response = await http.get(
        f"/users/{new_address()}/voice-chat-status",
        headers={"Authorization": "Bearer an-invalid-token"},
    )
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid authorization header"}


async def test_status_follows_the_active_rule(http: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
    now = now_ms()
    cases = [
        ("not_connected", now, now, True),
        ("not_connected", now - 2 * HOUR_MS, now - 2 * HOUR_MS, False),
        ("connection_interrupted", now - 2 * HOUR_MS, now, True),
        ("connection_interrupted", now - 2 * HOUR_MS, now - 2 * HOUR_MS, False),
        ("connected", now - 2 * HOUR_MS, now - 2 * HOUR_MS, True),
        ("disconnected", now, now, False),
    ]
    for status, joined, updated, expected in cases:
        address = new_address()
        await insert_row(pool, new_id(), address, status, joined, updated)
        response = await http.get(f"/users/{address}/voice-chat-status", headers=AUTH)
        assert response.status_code == 200
        assert response.json() == {"is_user_in_voice_chat": expected}, status
    nobody = await http.get(f"/users/{new_address()}/voice-chat-status", headers=AUTH)
    assert nobody.json() == {"is_user_in_voice_chat": False}


async def test_status_reads_a_checksummed_address_lower_cased(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    address = new_address()
    await insert_row(pool, new_id(), address, "connected", now_ms(), now_ms())
    mixed = "0x" + address[2:].upper()
    response = await http.get(f"/users/{mixed}/voice-chat-status", headers=AUTH)
    assert response.json() == {"is_user_in_voice_chat": True}


async def test_create_rejects_bad_bodies(http: httpx.AsyncClient) -> None:
    first, second = new_address(), new_address()
    bad = [
        b"invalid-json",
        b"{}",
        b'{"user_addresses": "x", "room_id": "r"}',
        f'{{"user_addresses": ["{first}"], "room_id": "r"}}'.encode(),
        f'{{"user_addresses": ["{first}", "{second}", "{first}"], "room_id": "r"}}'.encode(),
        b'{"user_addresses": [], "room_id": "r"}',
        f'{{"user_addresses": ["{first}", "invalid-address"], "room_id": "r"}}'.encode(),
        f'{{"user_addresses": ["{first}", "{second}"]}}'.encode(),
        f'{{"user_addresses": ["{first}", "{second}"], "room_id": " r"}}'.encode(),
        f'{{"user_addresses": ["{first}", "{first}"], "room_id": "r"}}'.encode(),
    ]
    for content in bad:
        response = await http.post("/private-voice-chat", headers=AUTH, content=content)
        assert response.status_code == 400, content
    unauthorized = await http.post(
        "/private-voice-chat", headers={"Authorization": "Bearer nope"}, content=b"{}"
    )
    assert (unauthorized.status_code, unauthorized.json()) == (
        401,
        {"error": "Invalid authorization header"},
    )


async def test_create_answers_tokens_keyed_by_lower_cased_address(
    http: httpx.AsyncClient, pool: asyncpg.Pool, fake_livekit: FakeLiveKit
) -> None:
    room_id = new_id()
    lower = new_address()
    mixed_lower = new_address()
    mixed = "0x" + mixed_lower[2:].upper()
    response = await create(http, room_id, lower, mixed)
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == {lower, mixed_lower}
    for address, entry in answer.items():
        url = entry["connection_url"]
        assert url.startswith(f"livekit:wss://{fake_livekit.url}?access_token=")
        claims = claims_of(url)
        assert claims["sub"] == address
        video = claims["video"]
        assert isinstance(video, dict)
        assert video["room"] == f"voice-chat-private-{room_id}"
        assert video["canPublish"] is True
        assert video["canUpdateOwnMetadata"] is False
    rows = await private_rows(pool, f"voice-chat-private-{room_id}")
    assert set(rows) == {lower, mixed_lower}
    assert {row["status"] for row in rows.values()} == {"not_connected"}
    assert all(isinstance(row["joined_at"], int) for row in rows.values())


async def test_create_again_with_the_same_members_changes_nothing(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    room_id = new_id()
    first, second = new_address(), new_address()
    assert (await create(http, room_id, first, second)).status_code == 200
    before = await private_rows(pool, f"voice-chat-private-{room_id}")
    again = await create(http, room_id, second, first)
    assert again.status_code == 200
    assert set(again.json()) == {first, second}
    assert await private_rows(pool, f"voice-chat-private-{room_id}") == before


async def test_create_with_other_members_on_a_live_call_is_409(http: httpx.AsyncClient) -> None:
    room_id = new_id()
    assert (await create(http, room_id, new_address(), new_address())).status_code == 200
    taken = await create(http, room_id, new_address(), new_address())
    assert taken.status_code == 409
    assert taken.json()["error"] == "Conflict"


async def test_end_validates_its_body(http: httpx.AsyncClient) -> None:
    cases = [
        (b"invalid-json", "Invalid request body"),
        (b"{}", "Invalid request body, missing address"),
        (b'{"address": null}', "Invalid request body, missing address"),
        (b'{"address": ""}', "Invalid request body, missing address"),
        (b'{"address": "invalid-address"}', "Invalid request body, invalid address"),
    ]
    for content, message in cases:
        response = await http.request(
            "DELETE", "/private-voice-chat/test-room-123", headers=AUTH, content=content
        )
        assert (response.status_code, response.json()) == (400, {"error": message})


async def test_end_of_an_unknown_room_is_404(http: httpx.AsyncClient) -> None:
    room_id = new_id()
    response = await http.request(
        "DELETE", f"/private-voice-chat/{room_id}", headers=AUTH, json={"address": new_address()}
    )
    assert (response.status_code, response.json()) == (
        404,
        {"error": f"Room {room_id} does not exist"},
    )


async def test_end_by_a_stranger_is_404(http: httpx.AsyncClient) -> None:
    room_id = new_id()
    await create(http, room_id, new_address(), new_address())
    response = await http.request(
        "DELETE", f"/private-voice-chat/{room_id}", headers=AUTH, json={"address": new_address()}
    )
    assert response.status_code == 404


async def test_end_deletes_every_row_and_the_livekit_room(
    http: httpx.AsyncClient, pool: asyncpg.Pool, fake_livekit: FakeLiveKit
) -> None:
    room_id = new_id()
    room = f"voice-chat-private-{room_id}"
    first, second = new_address(), new_address()
    await create(http, room_id, first, second)
    fake_livekit.add_room(room)
    response = await http.request(
        "DELETE",
        f"/private-voice-chat/{room_id}",
        headers=AUTH,
        json={"address": first.upper().replace("0X", "0x")},
    )
    assert response.status_code == 200
    assert sorted(response.json()["users_in_voice_chat"]) == sorted([first, second])
    assert await private_rows(pool, room) == {}
    assert [call.request.room for call in fake_livekit.calls("DeleteRoom")] == [room]
    assert fake_livekit.room(room) is None
    # The call can start again afterwards.
    assert (await create(http, room_id, first, second)).status_code == 200
