"""Access tokens as LiveKit reads them: checked with livekit-api's own TokenVerifier."""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

import jwt
import pytest
from livekit import api

from integrations.livekit.tokens import TOKEN_TTL_SECONDS, connection_url, mint_token

KEY = "APItestkey"
SECRET = "a-test-secret-long-enough-for-hs256-signing"


def verify(token: str) -> Any:
    return api.TokenVerifier(KEY, SECRET).verify(token)


def raw_claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, SECRET, algorithms=["HS256"], issuer=KEY)
    return claims


def test_scene_token_grants_joining_its_room_with_microphone_only() -> None:
    token = mint_token(KEY, SECRET, identity="0xabc", room="scene-realm:bafy")

    claims = verify(token)

    assert claims.identity == "0xabc"
    video = claims.video
    assert video.room == "scene-realm:bafy"
    assert video.room_join is True
    assert video.room_list is False
    assert video.can_publish is True
    assert video.can_subscribe is True
    assert video.can_publish_data is True
    assert video.can_update_own_metadata is True
    assert video.can_publish_sources == ["microphone"]
    assert video.hidden is None
    assert claims.name == ""
    assert claims.metadata == ""


def test_token_lives_300_seconds_from_now() -> None:
    before = int(time.time())

    claims = raw_claims(mint_token(KEY, SECRET, identity="0xabc", room="r"))

    assert claims["exp"] - claims["nbf"] == TOKEN_TTL_SECONDS == 300
    assert before <= claims["nbf"] <= int(time.time())
    assert claims["iss"] == KEY
    assert claims["sub"] == "0xabc"


def test_cast_member_may_publish_any_source() -> None:
    identity = "stream:place-1:1b4e28ba"

    token = mint_token(KEY, SECRET, identity=identity, room="r", cast=[identity])

    assert verify(token).video.can_publish_sources is None
    assert "canPublishSources" not in raw_claims(token)["video"]


def test_identity_outside_the_cast_is_limited_to_the_microphone() -> None:
    token = mint_token(KEY, SECRET, identity="watch:r:1", room="r", cast=["stream:p:2"])

    assert verify(token).video.can_publish_sources == ["microphone"]


def test_watcher_token_cannot_publish_or_update_its_metadata() -> None:
    token = mint_token(
        KEY,
        SECRET,
        identity="watch:room-1:42",
        room="room-1",
        can_publish=False,
        can_update_own_metadata=False,
        metadata={"role": "watcher", "displayName": "Ana", "roomId": "room-1"},
    )

    claims = verify(token)

    assert claims.video.can_publish is False
    assert claims.video.can_subscribe is True
    assert claims.video.can_publish_data is True
    assert claims.video.can_update_own_metadata is False
    assert claims.name == "Ana"
    assert json.loads(claims.metadata) == {
        "role": "watcher",
        "displayName": "Ana",
        "roomId": "room-1",
    }


def test_metadata_without_display_name_sets_no_name() -> None:
    token = mint_token(KEY, SECRET, identity="bot", room="r", metadata={"role": "presentation"})

    claims = raw_claims(token)

    assert "name" not in claims
    assert claims["metadata"] == '{"role":"presentation"}'


def test_token_signed_with_another_secret_is_refused() -> None:
    token = mint_token(KEY, "another-secret-that-is-long-enough-too", identity="a", room="r")

    with pytest.raises(jwt.InvalidSignatureError):
        verify(token)


def test_identity_and_room_are_required() -> None:
    with pytest.raises(ValueError, match="identity and room"):
        mint_token(KEY, SECRET, identity="", room="r")
    with pytest.raises(ValueError, match="identity and room"):
        mint_token(KEY, SECRET, identity="a", room="")


def livekit_access_token(
    identity: str,
    room: str,
    *,
    can_publish: bool = True,
    can_update_own_metadata: bool = True,
    sources: list[str] | None,
    metadata: dict[str, Any] | None = None,
) -> str:
    grants = api.VideoGrants(
        room_join=True,
        room=room,
        room_list=False,
        can_publish=can_publish,
        can_subscribe=True,
        can_publish_data=True,
        can_update_own_metadata=can_update_own_metadata,
        can_publish_sources=sources,
    )
    token = (
        api.AccessToken(KEY, SECRET)
        .with_identity(identity)
        .with_ttl(datetime.timedelta(seconds=300))
        .with_grants(grants)
    )
    if metadata is not None:
        token.with_metadata(json.dumps(metadata, separators=(",", ":"), ensure_ascii=False))
        if metadata.get("displayName"):
            token.with_name(metadata["displayName"])
    return token.to_jwt()


@pytest.mark.parametrize(
    ("identity", "cast", "can_publish", "metadata"),
    [
        ("0xabc", [], True, None),
        ("stream:p:1", ["stream:p:1"], True, {"role": "streamer", "displayName": "Zoë 🎙"}),
        ("watch:r:1", [], False, {"role": "watcher", "displayName": "W", "roomId": "r"}),
        ("0xdef", [], True, {"role": "member", "isSpeaker": False, "muted": False}),
    ],
)
def test_token_is_byte_identical_to_livekit_access_token(
    identity: str, cast: list[str], can_publish: bool, metadata: dict[str, Any] | None
) -> None:
    reference = livekit_access_token(
        identity,
        "room-1",
        can_publish=can_publish,
        can_update_own_metadata=can_publish,
        sources=None if identity in cast else ["microphone"],
        metadata=metadata,
    )
    issued_at = raw_claims(reference)["nbf"]

    ours = mint_token(
        KEY,
        SECRET,
        identity=identity,
        room="room-1",
        can_publish=can_publish,
        can_update_own_metadata=can_publish,
        cast=cast,
        metadata=metadata,
        now=issued_at,
    )

    assert ours == reference


def test_connection_url_adds_wss_to_a_bare_host() -> None:
    assert (
        connection_url("livekit.example.org", "t")
        == "livekit:wss://livekit.example.org?access_token=t"
    )


def test_connection_url_keeps_a_websocket_scheme() -> None:
    assert (
        connection_url("wss://lk.example.org", "t") == "livekit:wss://lk.example.org?access_token=t"
    )
    assert (
        connection_url("ws://127.0.0.1:7880", "t") == "livekit:ws://127.0.0.1:7880?access_token=t"
    )
