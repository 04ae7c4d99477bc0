"""Worlds content server calls against a fake server."""

from __future__ import annotations

import httpx
import pytest

from config.errors import InvalidRequestError, ServiceUnavailableError, UpstreamError
from config.settings import load_settings
from integrations.worlds import WorldsClient, world_dcl_name
from tests.fakes.upstreams import FakeUpstreams, ManualClock

OWNER = "0x1111111111111111111111111111111111111111"
FRIEND = "0x2222222222222222222222222222222222222222"
STRANGER = "0x3333333333333333333333333333333333333333"
PERMISSIONS = "/worlds/world/myworld.dcl.eth/permissions"


def permissions_json(access: dict[str, object]) -> dict[str, object]:
    return {
        "owner": OWNER.upper().replace("0X", "0x"),
        "permissions": {
            "deployment": {"type": "allow-list", "wallets": [FRIEND]},
            "access": access,
            "streaming": {"type": "allow-list", "wallets": []},
        },
    }


async def test_permissions_are_parsed_with_lower_cased_wallets(
    fake: FakeUpstreams, worlds: WorldsClient
) -> None:
    fake.reply("GET", PERMISSIONS, json=permissions_json({"type": "unrestricted"}))

    permissions = await worlds.permissions("MyWorld.dcl.eth")

    assert permissions.owner == OWNER
    assert permissions.deployment.type == "allow-list"
    assert permissions.deployment.wallets == (FRIEND,)
    assert permissions.access.type == "unrestricted"


async def test_permissions_are_cached_for_five_minutes(
    fake: FakeUpstreams, worlds: WorldsClient, clock: ManualClock
) -> None:
    fake.reply("GET", PERMISSIONS, json=permissions_json({"type": "unrestricted"}))
    await worlds.permissions("myworld.dcl.eth")
    await worlds.permissions("MYWORLD.dcl.eth")
    assert len(fake.requests("GET", PERMISSIONS)) == 1
    clock.advance(301)
    await worlds.permissions("myworld.dcl.eth")
    assert len(fake.requests("GET", PERMISSIONS)) == 2


@pytest.mark.parametrize(
    ("access", "address", "allowed"),
    [
        ({"type": "unrestricted"}, STRANGER, True),
        ({"type": "allow-list", "wallets": [FRIEND.upper().replace("0X", "0x")]}, FRIEND, True),
        ({"type": "allow-list", "wallets": [FRIEND]}, STRANGER, False),
        ({"type": "allow-list", "wallets": []}, OWNER.upper().replace("0X", "0x"), True),
        ({"type": "shared-secret", "secret": "s"}, STRANGER, False),
        ({"type": "nft-ownership", "nft": "urn:x"}, STRANGER, False),
    ],
)
async def test_world_access_rule(
    fake: FakeUpstreams,
    worlds: WorldsClient,
    access: dict[str, object],
    address: str,
    allowed: bool,
) -> None:
    fake.reply("GET", PERMISSIONS, json=permissions_json(access))
    assert await worlds.has_world_access(address, "myworld.dcl.eth") is allowed


async def test_permissions_failure_is_an_upstream_error(
    fake: FakeUpstreams, worlds: WorldsClient
) -> None:
    fake.reply("GET", PERMISSIONS, status=500, json={})
    with pytest.raises(UpstreamError):
        await worlds.permissions("myworld.dcl.eth")


async def test_address_parcels_asks_with_the_lower_cased_address(
    fake: FakeUpstreams, worlds: WorldsClient
) -> None:
    path = f"/worlds/world/w.eth/permissions/streaming/address/{FRIEND}/parcels"
    fake.reply("GET", path, json={"total": 2, "parcels": ["1,1", "1,2"]})
    parcels = await worlds.address_parcels("W.eth", "streaming", FRIEND.upper().replace("0X", "0x"))
    assert parcels == ["1,1", "1,2"]


async def test_address_parcels_404_means_none(fake: FakeUpstreams, worlds: WorldsClient) -> None:
    path = f"/worlds/world/w.eth/permissions/deployment/address/{FRIEND}/parcels"
    fake.reply("GET", path, status=404, json={"error": "Not Found"})
    assert await worlds.address_parcels("w.eth", "deployment", FRIEND) is None


async def test_address_parcels_other_failure_is_an_error(
    fake: FakeUpstreams, worlds: WorldsClient
) -> None:
    path = f"/worlds/world/w.eth/permissions/deployment/address/{FRIEND}/parcels"
    fake.reply("GET", path, status=503, json={})
    with pytest.raises(UpstreamError):
        await worlds.address_parcels("w.eth", "deployment", FRIEND)


async def test_parcel_permission_holders_posts_the_parcels(
    fake: FakeUpstreams, worlds: WorldsClient
) -> None:
    path = "/worlds/world/w.eth/permissions/deployment/parcels"
    fake.reply("POST", path, json={"addresses": [FRIEND.upper().replace("0X", "0x")]})
    holders = await worlds.parcel_permission_holders("W.eth", "deployment", ["1,1", "1,2"])
    assert holders == [FRIEND]
    [request] = fake.requests("POST", path)
    assert request.json() == {"parcels": ["1,1", "1,2"]}


async def test_parcel_permission_holders_without_parcels_asks_nothing(
    fake: FakeUpstreams, worlds: WorldsClient
) -> None:
    assert await worlds.parcel_permission_holders("w.eth", "streaming", []) == []
    assert fake.requests() == []


async def test_scene_at_pointer(fake: FakeUpstreams, worlds: WorldsClient) -> None:
    path = "/worlds/world/w.eth/scenes"
    fake.reply("POST", path, json={"scenes": [{"entityId": "bafk-scene"}], "total": 1})
    assert await worlds.scene_id_at("W.eth", "-7,-2") == "bafk-scene"
    assert fake.requests("POST", path)[0].json() == {"pointers": ["-7,-2"]}


@pytest.mark.parametrize(
    ("status", "body"), [(200, {"scenes": [], "total": 0}), (404, {}), (500, {})]
)
async def test_no_scene_at_pointer(
    fake: FakeUpstreams, worlds: WorldsClient, status: int, body: dict[str, object]
) -> None:
    fake.reply("POST", "/worlds/world/w.eth/scenes", status=status, json=body)
    assert await worlds.scene_id_at("w.eth", "0,0") is None


async def test_scene_id_from_about_reads_the_first_scene_urn(
    fake: FakeUpstreams, worlds: WorldsClient
) -> None:
    urn = "urn:decentraland:entity:bafkabc?=&baseUrl=https://x/contents/"
    fake.reply("GET", "/worlds/world/w.eth/about", json={"configurations": {"scenesUrn": [urn]}})
    assert await worlds.scene_id_from_about("W.eth") == "bafkabc"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, {}),
        (200, {"configurations": {}}),
        (200, {"configurations": {"scenesUrn": []}}),
        (200, {"configurations": {"scenesUrn": ["not-a-urn"]}}),
    ],
)
async def test_scene_id_from_about_failures_are_400(
    fake: FakeUpstreams, worlds: WorldsClient, status: int, body: dict[str, object]
) -> None:
    fake.reply("GET", "/worlds/world/w.eth/about", status=status, json=body)
    with pytest.raises(InvalidRequestError, match=r"^Failed to resolve scene ID for world w.eth$"):
        await worlds.scene_id_from_about("w.eth")


async def test_scene_id_from_about_unreachable_is_also_400(
    fake: FakeUpstreams, worlds: WorldsClient
) -> None:
    fake.reply("GET", "/worlds/world/w.eth/about", drop=True)
    with pytest.raises(InvalidRequestError):
        await worlds.scene_id_from_about("w.eth")


async def test_scene_entity_is_cached(fake: FakeUpstreams, worlds: WorldsClient) -> None:
    body = {"pointers": ["5,5"], "metadata": {"scene": {"base": "5,5", "parcels": ["5,5"]}}}
    fake.reply("GET", "/worlds/contents/bafk1", json=body)
    first = await worlds.scene_entity("bafk1")
    second = await worlds.scene_entity("bafk1")
    assert first is not None
    assert first.base_parcel == "5,5"
    assert first.id == "bafk1"
    assert second == first
    assert len(fake.requests()) == 1


async def test_worlds_down_is_a_503(fake: FakeUpstreams, quick_http: httpx.AsyncClient) -> None:
    worlds = WorldsClient(quick_http, load_settings(**fake.settings_overrides()))
    fake.reply("GET", PERMISSIONS, json={}, delay=30)
    with pytest.raises(ServiceUnavailableError):
        await worlds.permissions("myworld.dcl.eth")


@pytest.mark.parametrize(
    ("world", "label"),
    [("Foo.dcl.eth", "foo"), ("foo.eth", "foo"), ("FOO.DCL.ETH", "foo"), ("a.b.eth", "a.b")],
)
def test_world_dcl_name_strips_the_suffix(world: str, label: str) -> None:
    assert world_dcl_name(world) == label


def test_world_dcl_name_rejects_other_names() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        world_dcl_name("foo.com")
    assert caught.value.message == "Invalid world name: foo.com, should end with .dcl.eth or .eth"
    assert caught.value.status == 400
