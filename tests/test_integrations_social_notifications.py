"""The social service's privacy settings and the notification service."""

from __future__ import annotations

import httpx
import pytest

from config.errors import ServiceUnavailableError, UpstreamError
from config.settings import Settings, load_settings
from integrations.notifications import NotificationSender, StreamingNotification
from integrations.places import Place
from integrations.social import SocialClient
from tests.fakes.upstreams import FakeUpstreams

ALICE = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
BOB = "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
NOTIFY = "/notifications-service/notifications"

LAND = Place(
    id="place-1",
    title="Plaza",
    positions=("10,20",),
    base_position="10,20",
    world=False,
    world_name=None,
    disabled=False,
)
WORLD = Place(
    id="place-2",
    title="World",
    positions=("0,0",),
    base_position="0,0",
    world=True,
    world_name="myworld.dcl.eth",
    disabled=False,
)


@pytest.fixture(scope="module")
def settings(upstream_server: FakeUpstreams) -> Settings:
    return load_settings(
        **upstream_server.settings_overrides(),
        NOTIFICATION_SERVICE_TOKEN="notify-token",
        OUTSIDE_REQUEST_TIMEOUT_MS=5000,
    )


async def test_privacy_setting_is_read_from_the_social_service(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient, settings: Settings
) -> None:
    path = f"/social/v1/users/{ALICE}/privacy-settings"
    fake.reply("GET", path, json={"private_messages_privacy": "only_friends"})
    assert (
        await SocialClient(upstream_http, settings).private_messages_privacy(ALICE)
        == "only_friends"
    )


async def test_privacy_non_2xx_is_an_error_naming_the_address(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient, settings: Settings
) -> None:
    fake.reply("GET", f"/social/v1/users/{ALICE}/privacy-settings", status=500, json={})
    social = SocialClient(upstream_http, settings)
    with pytest.raises(UpstreamError) as caught:
        await social.private_messages_privacy(ALICE)
    assert caught.value.message == f"Failed to fetch privacy settings for {ALICE}."
    assert await social.private_messages_privacy_or_default(ALICE) == "all"


async def test_privacy_unreachable_defaults_to_all(
    fake: FakeUpstreams, quick_http: httpx.AsyncClient, settings: Settings
) -> None:
    fake.reply("GET", f"/social/v1/users/{ALICE}/privacy-settings", json={}, delay=30)
    social = SocialClient(quick_http, settings)
    with pytest.raises(ServiceUnavailableError):
        await social.private_messages_privacy(ALICE)
    fake.reply("GET", f"/social/v1/users/{BOB}/privacy-settings", drop=True)
    assert await social.private_messages_privacy_or_default(BOB) == "all"


async def test_land_notification_has_one_entry_per_recipient(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient, settings: Settings
) -> None:
    fake.reply("POST", NOTIFY, json={"ok": True})
    sender = NotificationSender(upstream_http, settings)

    sent = await sender.send_streaming(
        StreamingNotification.KEY_RESET, LAND, [ALICE, BOB], now_ms=1234
    )

    assert sent is True
    [request] = fake.requests("POST", NOTIFY)
    assert request.headers["authorization"] == "Bearer notify-token"
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert [item["address"] for item in body] == [ALICE, BOB]
    assert body[0] == {
        "eventKey": "streaming_key_reset-place-1-1234",
        "type": "streaming_key_reset",
        "address": ALICE,
        "timestamp": 1234,
        "metadata": {
            "title": "Stream Key Reset",
            "description": "Check the Admin Tools panel at 10,20 to get the new key.",
            "position": "10,20",
            "worldName": None,
            "isWorld": False,
            "url": "https://decentraland.org/jump/?position=10,20",
            "image": "https://assets-cdn.decentraland.org/streaming/streaming-notification.png",
            "address": ALICE,
        },
    }


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        (StreamingNotification.KEY_RESET, "Stream Key Reset"),
        (StreamingNotification.KEY_REVOKE, "Stream Key Deactivated"),
        (StreamingNotification.KEY_EXPIRED, "Stream Key Expired"),
        (StreamingNotification.TIME_EXCEEDED, "Stream Timed Out"),
        (StreamingNotification.PLACE_UPDATED, "Stream Location Altered"),
    ],
)
async def test_world_notifications_name_the_world(
    fake: FakeUpstreams,
    upstream_http: httpx.AsyncClient,
    settings: Settings,
    kind: StreamingNotification,
    title: str,
) -> None:
    fake.reply("POST", NOTIFY, json={})
    await NotificationSender(upstream_http, settings).send_streaming(kind, WORLD, [ALICE], now_ms=1)
    [item] = fake.requests("POST", NOTIFY)[0].json()
    assert item["type"] == kind.value
    assert item["metadata"]["title"] == title
    assert "myworld.dcl.eth" in item["metadata"]["description"]
    assert item["metadata"]["url"] == "https://decentraland.org/jump/?realm=myworld.dcl.eth"
    assert item["metadata"]["isWorld"] is True


async def test_notification_status_is_not_checked(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient, settings: Settings
) -> None:
    fake.reply("POST", NOTIFY, status=500, json={})
    sender = NotificationSender(upstream_http, settings)
    assert await sender.send_streaming(StreamingNotification.KEY_EXPIRED, LAND, [ALICE]) is True


async def test_notification_service_down_is_logged_not_raised(
    fake: FakeUpstreams, quick_http: httpx.AsyncClient, settings: Settings
) -> None:
    fake.reply("POST", NOTIFY, json={}, delay=30)
    sender = NotificationSender(quick_http, settings)
    assert await sender.send_streaming(StreamingNotification.KEY_EXPIRED, LAND, [ALICE]) is False


async def test_no_recipients_or_no_service_sends_nothing(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient, settings: Settings
) -> None:
    sender = NotificationSender(upstream_http, settings)
    assert await sender.send_streaming(StreamingNotification.KEY_RESET, LAND, []) is False
    unset = NotificationSender(upstream_http, load_settings(NOTIFICATION_SERVICE_URL=""))
    assert await unset.send_streaming(StreamingNotification.KEY_RESET, LAND, [ALICE]) is False
    assert fake.requests() == []
