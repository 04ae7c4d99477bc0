"""Who may manage a scene, decided from fake lambdas, Worlds and lease servers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from config.errors import InvalidRequestError, UpstreamError
from integrations.lambdas import LambdasClient
from integrations.land_leases import LandLeases
from integrations.places import Place
from integrations.scene_permissions import (
    ScenePermissions,
    scene_extra_addresses,
    scene_lease_holders,
    user_scene_permissions,
)
from integrations.worlds import WorldsClient
from tests.fakes.upstreams import LEASES_PATH, FakeUpstreams

USER = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
OWNER = "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
OTHER = "0xcccccccccccccccccccccccccccccccccccccccc"

LAND = Place(
    id="land-place",
    title="Plaza",
    positions=("10,20", "10,21"),
    base_position="10,20",
    world=False,
    world_name=None,
    disabled=False,
)
WORLD_NAME = "Foo.dcl.eth"
WORLD = Place(
    id="world-place",
    title="Foo",
    positions=("1,1", "1,2"),
    base_position="1,1",
    world=True,
    world_name=WORLD_NAME,
    disabled=False,
)
LAND_PERMISSIONS = f"/lambdas/users/{USER}/parcels/10/20/permissions"
NAMES = f"/lambdas/users/{USER}/names"
WORLD_PATH = "/worlds/world/foo.dcl.eth"


def mixed_case(address: str) -> str:
    return "0x" + address[2:].upper()


@dataclass
class Services:
    worlds: WorldsClient
    lambdas: LambdasClient
    leases: LandLeases

    async def permissions(
        self, place: Place, *, admin: bool = False, address: str = USER
    ) -> ScenePermissions:
        return await user_scene_permissions(
            place,
            address,
            is_explicit_admin=admin,
            worlds=self.worlds,
            lambdas=self.lambdas,
            leases=self.leases,
        )


@pytest.fixture
def services(worlds: WorldsClient, lambdas: LambdasClient, leases: LandLeases) -> Services:
    return Services(worlds=worlds, lambdas=lambdas, leases=leases)


def land_rights(**flags: bool) -> dict[str, bool]:
    names = ("owner", "operator", "updateOperator", "updateManager", "approvedForAll")
    return {name: flags.get(name, False) for name in names}


# Land


async def test_land_owner_can_manage_and_is_protected(
    fake: FakeUpstreams, services: Services
) -> None:
    fake.reply("GET", LAND_PERMISSIONS, json=land_rights(owner=True))
    permissions = await services.permissions(LAND, address=mixed_case(USER))
    assert permissions == ScenePermissions(True, False, False, False)
    assert permissions.can_manage
    assert permissions.is_protected
    assert fake.requests("GET", LEASES_PATH) == []


@pytest.mark.parametrize("flag", ["operator", "updateOperator", "updateManager", "approvedForAll"])
async def test_land_operators_have_extended_permissions(
    fake: FakeUpstreams, services: Services, flag: str
) -> None:
    fake.reply("GET", LAND_PERMISSIONS, json=land_rights(**{flag: True}))
    permissions = await services.permissions(LAND)
    assert permissions == ScenePermissions(False, False, True, False)
    assert permissions.can_manage
    assert permissions.is_protected


async def test_land_lease_holder_can_manage_but_is_not_protected(
    fake: FakeUpstreams, services: Services
) -> None:
    fake.reply("GET", LAND_PERMISSIONS, json=land_rights())
    fake.reply("GET", LEASES_PATH, json=[{"addresses": [mixed_case(USER)], "plots": ["10,21"]}])
    permissions = await services.permissions(LAND)
    assert permissions == ScenePermissions(False, False, False, True)
    assert permissions.can_manage
    assert not permissions.is_protected


async def test_nobody_on_land_cannot_manage(fake: FakeUpstreams, services: Services) -> None:
    fake.reply("GET", LAND_PERMISSIONS, json=land_rights())
    fake.reply("GET", LEASES_PATH, json=[{"addresses": [USER], "plots": ["50,50"]}])
    permissions = await services.permissions(LAND)
    assert permissions == ScenePermissions(False, False, False, False)
    assert not permissions.can_manage


async def test_explicit_admin_on_land_skips_extended_and_lease_checks(
    fake: FakeUpstreams, services: Services
) -> None:
    fake.reply("GET", LAND_PERMISSIONS, json=land_rights(operator=True))
    permissions = await services.permissions(LAND, admin=True)
    assert permissions == ScenePermissions(False, True, False, False)
    assert permissions.is_protected
    assert fake.requests("GET", LEASES_PATH) == []


async def test_land_permissions_are_asked_for_the_first_parcel_only(
    fake: FakeUpstreams, services: Services
) -> None:
    fake.reply("GET", LAND_PERMISSIONS, json=land_rights(owner=True))
    await services.permissions(LAND)
    assert [r.path for r in fake.requests()] == [LAND_PERMISSIONS]


async def test_land_permissions_failure_is_an_upstream_error(
    fake: FakeUpstreams, services: Services
) -> None:
    fake.reply("GET", LAND_PERMISSIONS, status=500, json={})
    with pytest.raises(UpstreamError):
        await services.permissions(LAND)


# Worlds


def world_document(
    *,
    deployment: list[str] | None = None,
    streaming: list[str] | None = None,
    streaming_type: str = "allow-list",
) -> dict[str, object]:
    return {
        "owner": OWNER,
        "permissions": {
            "deployment": {"type": "allow-list", "wallets": deployment or []},
            "access": {"type": "unrestricted"},
            "streaming": {"type": streaming_type, "wallets": streaming or []},
        },
    }


def program_world(
    fake: FakeUpstreams,
    *,
    names: list[str] | None = None,
    document: dict[str, object] | None = None,
    streaming_parcels: list[str] | None = None,
    deployment_parcels: list[str] | None = None,
) -> None:
    fake.reply("GET", NAMES, json={"elements": [{"name": n} for n in names or []]})
    fake.reply("GET", f"{WORLD_PATH}/permissions", json=document or world_document())
    for permission, parcels in (
        ("streaming", streaming_parcels),
        ("deployment", deployment_parcels),
    ):
        path = f"{WORLD_PATH}/permissions/{permission}/address/{USER}/parcels"
        if parcels is None:
            fake.reply("GET", path, status=404, json={"error": "Not Found"})
        else:
            fake.reply("GET", path, json={"total": len(parcels), "parcels": parcels})


@pytest.mark.parametrize(
    ("world_name", "owned"),
    [("Foo.dcl.eth", "foo"), ("foo.dcl.eth", "FOO"), ("foo.eth", "Foo")],
)
async def test_world_owner_owns_the_dcl_name(
    fake: FakeUpstreams, services: Services, world_name: str, owned: str
) -> None:
    program_world(fake, names=["bar", owned])
    world_path = f"/worlds/world/{world_name.lower()}"
    fake.reply("GET", f"{world_path}/permissions", json=world_document())
    for permission in ("streaming", "deployment"):
        fake.reply(
            "GET", f"{world_path}/permissions/{permission}/address/{USER}/parcels", status=404
        )
    place = Place(**{**WORLD.__dict__, "world_name": world_name})
    permissions = await services.permissions(place)
    assert permissions.owner is True
    assert permissions.is_protected


async def test_owning_another_name_is_not_owning_the_world(
    fake: FakeUpstreams, services: Services
) -> None:
    program_world(fake, names=["foo.dcl", "foobar"])
    assert (await services.permissions(WORLD)).owner is False


async def test_a_world_name_without_eth_is_a_400(services: Services) -> None:
    place = Place(**{**WORLD.__dict__, "world_name": "foo.com"})
    with pytest.raises(InvalidRequestError, match=r"Invalid world name: foo.com"):
        await services.permissions(place)


async def test_streaming_allow_listed_without_parcels_has_extended_permissions(
    fake: FakeUpstreams, services: Services
) -> None:
    program_world(fake, document=world_document(streaming=[mixed_case(USER)]))
    permissions = await services.permissions(WORLD)
    assert permissions == ScenePermissions(False, False, True, False)


async def test_deployment_allow_listed_without_parcels_has_extended_permissions(
    fake: FakeUpstreams, services: Services
) -> None:
    program_world(fake, document=world_document(deployment=[USER]), deployment_parcels=[])
    assert (await services.permissions(WORLD)).has_extended_permissions is True


async def test_allow_listed_with_parcels_elsewhere_has_no_extended_permissions(
    fake: FakeUpstreams, services: Services
) -> None:
    program_world(
        fake,
        document=world_document(streaming=[USER], deployment=[USER]),
        streaming_parcels=["7,7"],
        deployment_parcels=["8,8"],
    )
    permissions = await services.permissions(WORLD)
    assert permissions.has_extended_permissions is False
    assert not permissions.can_manage


@pytest.mark.parametrize("which", ["streaming", "deployment"])
async def test_parcels_on_the_place_give_extended_permissions(
    fake: FakeUpstreams, services: Services, which: str
) -> None:
    parcels = {f"{which}_parcels": ["7,7", "1,2"]}
    program_world(fake, document=world_document(streaming=[USER]), **parcels)
    assert (await services.permissions(WORLD)).has_extended_permissions is True


async def test_an_unlisted_world_visitor_has_no_rights(
    fake: FakeUpstreams, services: Services
) -> None:
    program_world(fake, document=world_document(streaming=[OTHER], streaming_type="unrestricted"))
    permissions = await services.permissions(WORLD)
    assert permissions == ScenePermissions(False, False, False, False)
    assert fake.requests("GET", LEASES_PATH) == []


async def test_explicit_world_admin_skips_the_world_permission_calls(
    fake: FakeUpstreams, services: Services
) -> None:
    program_world(fake, names=["foo"])
    permissions = await services.permissions(WORLD, admin=True)
    assert permissions == ScenePermissions(True, True, False, False)
    assert [r.path for r in fake.requests()] == [NAMES]


async def test_world_parcels_failure_is_an_upstream_error(
    fake: FakeUpstreams, services: Services
) -> None:
    program_world(fake)
    path = f"{WORLD_PATH}/permissions/streaming/address/{USER}/parcels"
    fake.reply("GET", path, status=500, json={})
    with pytest.raises(UpstreamError):
        await services.permissions(WORLD)


# Extra addresses and lease holders


async def test_land_extra_addresses_are_the_base_parcel_operators(
    fake: FakeUpstreams, services: Services
) -> None:
    fake.reply(
        "GET",
        "/lambdas/parcels/10/20/operators",
        json={
            "owner": mixed_case(OWNER),
            "operator": USER,
            "updateOperator": None,
            "updateManagers": [OTHER],
            "approvedForAll": [OWNER],
        },
    )
    extra = await scene_extra_addresses(LAND, worlds=services.worlds, lambdas=services.lambdas)
    assert extra == [OWNER, USER, OTHER]


async def test_world_extra_addresses_are_parcel_holders_and_the_owner(
    fake: FakeUpstreams, services: Services
) -> None:
    fake.reply("GET", f"{WORLD_PATH}/permissions", json=world_document(streaming=[OTHER]))
    fake.reply("POST", f"{WORLD_PATH}/permissions/deployment/parcels", json={"addresses": [USER]})
    fake.reply(
        "POST",
        f"{WORLD_PATH}/permissions/streaming/parcels",
        json={"addresses": [mixed_case(USER)]},
    )

    extra = await scene_extra_addresses(WORLD, worlds=services.worlds, lambdas=services.lambdas)

    assert extra == [USER, OWNER]
    bodies = [r.json() for r in fake.requests("POST")]
    assert bodies == [{"parcels": ["1,1", "1,2"]}] * 2


async def test_world_extra_addresses_fall_back_to_the_allow_lists(
    fake: FakeUpstreams, services: Services
) -> None:
    fake.reply(
        "GET",
        f"{WORLD_PATH}/permissions",
        json=world_document(deployment=[mixed_case(USER)], streaming=[OTHER]),
    )
    fake.reply("POST", f"{WORLD_PATH}/permissions/deployment/parcels", json={"addresses": []})
    fake.reply("POST", f"{WORLD_PATH}/permissions/streaming/parcels", status=500, json={})

    extra = await scene_extra_addresses(WORLD, worlds=services.worlds, lambdas=services.lambdas)

    assert extra == [USER, OTHER, OWNER]


async def test_world_fallback_leaves_out_a_streaming_rule_that_is_not_an_allow_list(
    fake: FakeUpstreams, services: Services
) -> None:
    fake.reply(
        "GET",
        f"{WORLD_PATH}/permissions",
        json=world_document(deployment=[USER], streaming=[OTHER], streaming_type="unrestricted"),
    )
    fake.reply("POST", f"{WORLD_PATH}/permissions/deployment/parcels", drop=True)
    fake.reply("POST", f"{WORLD_PATH}/permissions/streaming/parcels", json={"addresses": []})

    extra = await scene_extra_addresses(WORLD, worlds=services.worlds, lambdas=services.lambdas)

    assert extra == [USER, OWNER]


async def test_world_extra_addresses_fail_when_the_permissions_document_fails(
    fake: FakeUpstreams, services: Services
) -> None:
    fake.reply("GET", f"{WORLD_PATH}/permissions", status=500, json={})
    fake.reply("POST", f"{WORLD_PATH}/permissions/deployment/parcels", json={"addresses": []})
    fake.reply("POST", f"{WORLD_PATH}/permissions/streaming/parcels", json={"addresses": []})
    with pytest.raises(UpstreamError):
        await scene_extra_addresses(WORLD, worlds=services.worlds, lambdas=services.lambdas)


async def test_lease_holders_of_a_land_place(fake: FakeUpstreams, services: Services) -> None:
    fake.reply(
        "GET",
        LEASES_PATH,
        json=[
            {"addresses": [mixed_case(USER)], "plots": ["10,21"]},
            {"addresses": [OTHER], "plots": ["0,0"]},
        ],
    )
    assert await scene_lease_holders(LAND, leases=services.leases) == [USER]
    assert await scene_lease_holders(WORLD, leases=services.leases) == []
