"""LiveKitIngress against the fake LiveKit server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from livekit import api

from config.errors import UpstreamError
from integrations.livekit.ingress import LiveKitIngress
from tests.fakes.livekit import FakeLiveKit
from tests.fixtures_upstreams import LIVEKIT_KEY as KEY
from tests.fixtures_upstreams import LIVEKIT_SECRET as SECRET


@pytest.fixture
async def ingress(livekit: FakeLiveKit) -> AsyncIterator[LiveKitIngress]:
    client = LiveKitIngress(livekit.ws_url, KEY, SECRET, timeout_seconds=2.0)
    yield client
    await client.close()


async def test_first_request_creates_an_rtmp_ingress_for_the_room(
    ingress: LiveKitIngress, livekit: FakeLiveKit
) -> None:
    created = await ingress.get_or_create_ingress("scene:realm:bafy", "7c9e-streamer")

    assert created.ingress_id.startswith("IN_")
    assert created.stream_key
    assert created.url == livekit.rtmp_url
    sent = livekit.calls("CreateIngress")[0].request
    assert sent.input_type == api.IngressInput.RTMP_INPUT
    assert sent.name == "scene:realm:bafy-ingress"
    assert sent.room_name == "scene:realm:bafy"
    assert sent.participant_identity == "7c9e-streamer"
    assert livekit.calls("ListIngress")[0].request.room_name == "scene:realm:bafy"


async def test_existing_ingress_of_the_room_is_reused(
    ingress: LiveKitIngress, livekit: FakeLiveKit
) -> None:
    first = await ingress.get_or_create_ingress("room-a", "1-streamer")
    await ingress.get_or_create_ingress("room-b", "2-streamer")

    again = await ingress.get_or_create_ingress("room-a", "3-streamer")

    assert again.ingress_id == first.ingress_id
    assert again.stream_key == first.stream_key
    assert len(livekit.calls("CreateIngress")) == 2


async def test_delete_ingress_removes_it(ingress: LiveKitIngress, livekit: FakeLiveKit) -> None:
    created = await ingress.get_or_create_ingress("room-a", "1-streamer")

    await ingress.delete_ingress(created.ingress_id)

    assert livekit.ingresses() == []


async def test_deleting_an_unknown_ingress_succeeds(
    ingress: LiveKitIngress, livekit: FakeLiveKit
) -> None:
    await ingress.delete_ingress("IN_unknown")

    assert livekit.calls("DeleteIngress")[0].request.ingress_id == "IN_unknown"


async def test_other_delete_failures_propagate(
    ingress: LiveKitIngress, livekit: FakeLiveKit
) -> None:
    livekit.fail_next("DeleteIngress", code="internal", msg="ingress service down")

    with pytest.raises(UpstreamError, match="ingress service down"):
        await ingress.delete_ingress("IN_x")
