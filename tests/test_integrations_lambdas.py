"""Lambdas calls against a fake lambdas server."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from config.errors import NotFoundError, ServiceUnavailableError, UpstreamError
from config.settings import load_settings
from integrations.lambdas import LambdasClient, LandOperators, LandPermissions
from tests.fakes.upstreams import FakeUpstreams, ManualClock

ALICE = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
BOB = "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
CAROL = "0xcccccccccccccccccccccccccccccccccccccccc"


def mixed_case(address: str) -> str:
    return "0x" + address[2:].upper()


async def test_user_names_ask_with_the_lower_cased_address(
    fake: FakeUpstreams, lambdas: LambdasClient
) -> None:
    path = f"/lambdas/users/{ALICE}/names"
    fake.reply("GET", path, json={"elements": [{"name": "Alice"}, {"name": "al"}], "total": 2})
    assert await lambdas.user_names(mixed_case(ALICE)) == ["Alice", "al"]
    assert await lambdas.owns_name(ALICE, "alice") is True
    assert await lambdas.owns_name(ALICE, "bob") is False
    assert len(fake.requests("GET", path)) == 1


async def test_a_trailing_slash_on_the_lambdas_url_is_not_doubled(
    fake: FakeUpstreams, upstream_http: httpx.AsyncClient
) -> None:
    settings = load_settings(LAMBDAS_URL=fake.url("lambdas") + "/")
    fake.reply("GET", f"/lambdas/users/{ALICE}/names", json={"elements": []})
    assert await LambdasClient(upstream_http, settings).user_names(ALICE) == []
    assert fake.requests()[0].path == f"/lambdas/users/{ALICE}/names"


async def test_land_permissions_use_the_parcel_coordinates(
    fake: FakeUpstreams, lambdas: LambdasClient
) -> None:
    path = f"/lambdas/users/{ALICE}/parcels/-10/20/permissions"
    fake.reply(
        "GET",
        path,
        json={
            "owner": False,
            "operator": False,
            "updateOperator": False,
            "updateManager": True,
            "approvedForAll": False,
        },
    )
    permissions = await lambdas.land_permissions(mixed_case(ALICE), "-10,20")
    assert permissions == LandPermissions(
        owner=False,
        operator=False,
        update_operator=False,
        update_manager=True,
        approved_for_all=False,
    )
    assert permissions.extended


async def test_empty_land_permissions_are_a_404(
    fake: FakeUpstreams, lambdas: LambdasClient
) -> None:
    fake.reply("GET", f"/lambdas/users/{ALICE}/parcels/1/1/permissions", json={})
    with pytest.raises(NotFoundError, match=r"^Land permissions not found for"):
        await lambdas.land_permissions(ALICE, "1,1")


async def test_land_permissions_failure_is_a_502(
    fake: FakeUpstreams, lambdas: LambdasClient
) -> None:
    fake.reply("GET", f"/lambdas/users/{ALICE}/parcels/1/1/permissions", status=500, json={})
    with pytest.raises(UpstreamError):
        await lambdas.land_permissions(ALICE, "1,1")


async def test_land_operators_are_lower_cased_and_cached(
    fake: FakeUpstreams, lambdas: LambdasClient, clock: ManualClock
) -> None:
    path = "/lambdas/parcels/3/-4/operators"
    fake.reply(
        "GET",
        path,
        json={
            "owner": mixed_case(ALICE),
            "operator": None,
            "updateOperator": BOB,
            "updateManagers": [mixed_case(CAROL)],
            "approvedForAll": [ALICE],
        },
    )
    operators = await lambdas.land_operators("3,-4")
    assert operators == LandOperators(
        owner=ALICE,
        operator=None,
        update_operator=BOB,
        update_managers=(CAROL,),
        approved_for_all=(ALICE,),
    )
    assert operators.addresses() == [ALICE, BOB, CAROL]
    await lambdas.land_operators("3,-4")
    assert len(fake.requests("GET", path)) == 1
    clock.advance(301)
    await lambdas.land_operators("3,-4")
    assert len(fake.requests("GET", path)) == 2


async def test_name_owner_url_encodes_the_name(fake: FakeUpstreams, lambdas: LambdasClient) -> None:
    fake.reply("GET", "/lambdas/names/my%20name%2Fx/owner", json={"owner": mixed_case(ALICE)})
    assert await lambdas.name_owner("my name/x") == ALICE
    [request] = fake.requests()
    assert request.path == "/lambdas/names/my%20name%2Fx/owner"


async def test_name_without_owner_is_none_and_not_cached(
    fake: FakeUpstreams, lambdas: LambdasClient
) -> None:
    path = "/lambdas/names/ghost/owner"
    fake.reply("GET", path, status=404, json={"error": "Not Found"}, times=1)
    assert await lambdas.name_owner("ghost") is None
    fake.reply("GET", "/lambdas/names/nobody/owner", json={"owner": None}, times=1)
    assert await lambdas.name_owner("nobody") is None
    fake.reply("GET", "/lambdas/names/broken/owner", status=500, json={}, times=1)
    with pytest.raises(UpstreamError):
        await lambdas.name_owner("broken")

    fake.reply("GET", path, json={"owner": BOB})
    assert await lambdas.name_owner("ghost") == BOB
    assert await lambdas.name_owner("ghost") == BOB
    assert len(fake.requests("GET", path)) == 2


async def test_display_names_follow_the_claimed_name_rule(
    fake: FakeUpstreams, lambdas: LambdasClient
) -> None:
    fake.reply(
        "POST",
        "/lambdas/profiles",
        json=[
            {"avatars": [{"name": "alice", "hasClaimedName": True, "ethAddress": ALICE}]},
            {
                "avatars": [
                    {"name": "bob", "hasClaimedName": False, "ethAddress": mixed_case(BOB)},
                    {"name": "other", "hasClaimedName": True, "ethAddress": BOB},
                ]
            },
        ],
    )
    names = await lambdas.display_names([mixed_case(ALICE), BOB, CAROL])
    assert names == {ALICE: "alice", BOB: "bob#BBBB"}
    [request] = fake.requests("POST", "/lambdas/profiles")
    assert request.json() == {"ids": [ALICE, BOB, CAROL]}


async def test_display_names_are_cached_per_address_including_absent_ones(
    fake: FakeUpstreams, lambdas: LambdasClient
) -> None:
    fake.reply(
        "POST",
        "/lambdas/profiles",
        json=[{"avatars": [{"name": "alice", "hasClaimedName": True, "ethAddress": ALICE}]}],
    )
    await lambdas.display_names([ALICE, CAROL])
    await asyncio.gather(lambdas.display_names([ALICE, BOB]), lambdas.display_names([BOB]))
    bodies = [r.json() for r in fake.requests("POST", "/lambdas/profiles")]
    assert bodies == [{"ids": [ALICE, CAROL]}, {"ids": [BOB]}]


async def test_profiles_down_is_a_503(fake: FakeUpstreams, lambdas: LambdasClient) -> None:
    fake.reply("POST", "/lambdas/profiles", drop=True)
    with pytest.raises(ServiceUnavailableError):
        await lambdas.display_names([ALICE])
