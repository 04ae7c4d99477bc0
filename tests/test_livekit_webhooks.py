"""Webhooks signed the way LiveKit signs them, checked by verify_webhook."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from livekit import api

from config.errors import InvalidRequestError
from integrations.livekit.webhooks import INVALID_EVENT, MISSING_AUTHORIZATION, verify_webhook
from tests.fakes.livekit import deliver, signed_webhook, webhook_body, webhook_event

KEY = "APItestkey"
SECRET = "a-test-secret-long-enough-for-hs256-signing"


def joined_event() -> api.WebhookEvent:
    return webhook_event(
        "participant_joined",
        room=api.Room(name="voice-chat-private-7", sid="RM_1", creation_time=1_700_000_000),
        participant=api.ParticipantInfo(identity="0xabc", sid="PA_1", metadata='{"a":1}'),
    )


def token_for(body: str, ttl: datetime.timedelta, secret: str = SECRET) -> str:
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    return api.AccessToken(KEY, secret).with_ttl(ttl).with_sha256(digest).to_jwt()


def test_signed_webhook_verifies_into_the_fields_the_service_reads() -> None:
    event = joined_event()
    event.id = "EV_1"
    event.created_at = 1_700_000_123
    event.participant.disconnect_reason = api.DisconnectReason.MIGRATION
    event.ingress_info.ingress_id = "IN_1"
    body, authorization = signed_webhook(event, KEY, SECRET)

    received = verify_webhook(body, authorization, KEY, SECRET)

    assert (received.event, received.id, received.created_at) == (
        "participant_joined",
        "EV_1",
        1_700_000_123,
    )
    assert (received.room.name, received.room.sid) == ("voice-chat-private-7", "RM_1")
    assert (received.participant.identity, received.participant.sid) == ("0xabc", "PA_1")
    assert received.participant.disconnect_reason == api.DisconnectReason.MIGRATION
    assert received.ingress_info.ingress_id == "IN_1"
    # What the service does not read is not converted.
    assert received.participant.metadata == ""


def test_kept_fields_of_the_wrong_type_make_the_event_invalid() -> None:
    for body in (
        '{"event": "participant_joined", "createdAt": "soon"}',
        '{"event": "participant_left", "participant": {"identity": 7}}',
        '{"event": ["participant_joined"]}',
        "[1, 2]",
    ):
        with pytest.raises(InvalidRequestError, match=INVALID_EVENT):
            verify_webhook(body, token_for(body, datetime.timedelta(minutes=5)), KEY, SECRET)


def test_body_is_protobuf_json_with_int64_as_strings() -> None:
    body, _ = signed_webhook(joined_event(), KEY, SECRET)

    payload = json.loads(body)

    assert payload["event"] == "participant_joined"
    assert payload["room"]["creationTime"] == "1700000000"
    assert payload["participant"]["identity"] == "0xabc"


def test_missing_authorization_is_told_apart() -> None:
    body, _ = signed_webhook(joined_event(), KEY, SECRET)

    for header in (None, ""):
        with pytest.raises(InvalidRequestError) as caught:
            verify_webhook(body, header, KEY, SECRET)
        assert caught.value.status == 400
        assert caught.value.body() == {"error": "Authorization header not found"}
        assert caught.value.message == MISSING_AUTHORIZATION


def test_tampered_body_is_invalid() -> None:
    body, authorization = signed_webhook(joined_event(), KEY, SECRET)
    tampered = body.replace("0xabc", "0xabd")

    with pytest.raises(InvalidRequestError) as caught:
        verify_webhook(tampered, authorization, KEY, SECRET)

    assert caught.value.body() == {"error": "Invalid webhook event"}


@pytest.mark.parametrize(
    ("key", "secret"),
    [(KEY, "some-other-secret-of-a-decent-length!!"), ("otherkey", SECRET)],
)
def test_webhook_for_other_credentials_is_invalid(key: str, secret: str) -> None:
    body, authorization = signed_webhook(joined_event(), KEY, SECRET)

    with pytest.raises(InvalidRequestError, match=INVALID_EVENT):
        verify_webhook(body, authorization, key, secret)


def test_bearer_prefixed_header_is_invalid() -> None:
    body, authorization = signed_webhook(joined_event(), KEY, SECRET)

    with pytest.raises(InvalidRequestError, match=INVALID_EVENT):
        verify_webhook(body, f"Bearer {authorization}", KEY, SECRET)


def test_token_expired_within_ten_seconds_is_still_accepted() -> None:
    body = '{"event":"room_started","room":{"name":"r"}}'

    event = verify_webhook(body, token_for(body, datetime.timedelta(seconds=-5)), KEY, SECRET)

    assert event.event == "room_started"


def test_token_expired_beyond_ten_seconds_is_invalid() -> None:
    body = '{"event":"room_started","room":{"name":"r"}}'

    with pytest.raises(InvalidRequestError, match=INVALID_EVENT):
        verify_webhook(body, token_for(body, datetime.timedelta(seconds=-30)), KEY, SECRET)


def test_token_without_body_hash_is_invalid() -> None:
    body = '{"event":"room_started"}'
    token = api.AccessToken(KEY, SECRET).to_jwt()

    with pytest.raises(InvalidRequestError, match=INVALID_EVENT):
        verify_webhook(body, token, KEY, SECRET)


def test_unknown_fields_are_ignored_and_enums_read_by_number() -> None:
    body = json.dumps(
        {
            "event": "participant_left",
            "participant": {"identity": "0xabc", "disconnectReason": 4},
            "somethingNew": {"x": 1},
        }
    )

    event = verify_webhook(body, token_for(body, datetime.timedelta(minutes=5)), KEY, SECRET)

    assert event.participant.disconnect_reason == api.DisconnectReason.PARTICIPANT_REMOVED


def test_signed_body_that_is_not_an_event_is_invalid() -> None:
    body = "not json"

    with pytest.raises(InvalidRequestError, match=INVALID_EVENT):
        verify_webhook(body, token_for(body, datetime.timedelta(minutes=5)), KEY, SECRET)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[api.WebhookEvent]]]:
    received: list[api.WebhookEvent] = []

    async def hear(request: web.Request) -> web.Response:
        body = await request.text()
        try:
            event = verify_webhook(body, request.headers.get("Authorization"), KEY, SECRET)
        except InvalidRequestError as error:
            return web.json_response(error.body(), status=error.status)
        received.append(event)
        return web.Response(text=body)

    app = web.Application()
    app.router.add_post("/livekit-webhook", hear)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/livekit-webhook", received
    await runner.cleanup()


async def test_delivered_webhook_reaches_a_listener_intact(
    receiver: tuple[str, list[api.WebhookEvent]],
) -> None:
    url, received = receiver
    event = joined_event()

    status, text = await deliver(url, event, KEY, SECRET)

    assert status == 200
    [got] = received
    assert (got.event, got.id, got.room.name, got.participant.identity) == (
        event.event,
        event.id,
        event.room.name,
        event.participant.identity,
    )
    assert json.loads(text) == json.loads(webhook_body(event))


async def test_webhook_signed_with_another_secret_is_refused_by_a_listener(
    receiver: tuple[str, list[api.WebhookEvent]],
) -> None:
    url, received = receiver

    status, text = await deliver(url, joined_event(), KEY, "not-our-secret-but-long-enough-xx")

    assert status == 400
    assert json.loads(text) == {"error": "Invalid webhook event"}
    assert received == []


def hand_made_token(header: dict[str, object], claims: dict[str, object], secret: str) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(claims)}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


@pytest.mark.parametrize(
    ("header", "changes"),
    [
        ({"alg": "none", "typ": "JWT"}, {}),
        ({"alg": "HS512", "typ": "JWT"}, {}),
        ({"alg": "HS256", "typ": "JWT"}, {"exp": None}),
        ({"alg": "HS256", "typ": "JWT"}, {"iss": "another-key"}),
        ({"alg": "HS256", "typ": "JWT"}, {"nbf": "later"}),
        ({"alg": "HS256", "typ": "JWT"}, {"nbf": int(time.time()) + 60}),
        ({"alg": "HS256", "typ": "JWT"}, {"iat": int(time.time()) + 60}),
    ],
)
def test_tokens_livekit_would_refuse_are_invalid(
    header: dict[str, object], changes: dict[str, object]
) -> None:
    body = '{"event":"room_started","room":{"name":"r"}}'
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    claims: dict[str, object] = {"iss": KEY, "exp": int(time.time()) + 60, "sha256": digest}
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}
    token = hand_made_token(header, claims, SECRET)

    with pytest.raises(InvalidRequestError, match=INVALID_EVENT):
        verify_webhook(body, token, KEY, SECRET)


def test_hand_made_token_with_livekits_claims_is_accepted() -> None:
    body = '{"event":"room_started","room":{"name":"r"}}'
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    now = int(time.time())
    claims = {"iss": KEY, "exp": now + 60, "nbf": now, "iat": now, "sha256": digest}
    token = hand_made_token({"alg": "HS256", "typ": "JWT"}, claims, SECRET)

    assert verify_webhook(body, token, KEY, SECRET).event == "room_started"


def test_garbage_authorization_is_invalid() -> None:
    body = '{"event":"room_started"}'
    for token in ("x", "a.b", "a.b.c", "!!.??.**", "e30.e30."):
        with pytest.raises(InvalidRequestError, match=INVALID_EVENT):
            verify_webhook(body, token, KEY, SECRET)
