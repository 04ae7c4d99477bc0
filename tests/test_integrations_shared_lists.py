"""The deny list and the land-lease document: shared lists with a stale-on-failure cache."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from config.settings import load_settings
from integrations.denylist import DenyList
from integrations.land_leases import LandLeases
from tests.fakes.upstreams import DENYLIST_PATH, LEASES_PATH, FakeUpstreams, ManualClock

ALICE = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
BOB = "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"


def mixed_case(address: str) -> str:
    return "0x" + address[2:].upper()


async def test_a_listed_wallet_is_denied_whatever_its_case(
    fake: FakeUpstreams, denylist: DenyList
) -> None:
    fake.reply("GET", DENYLIST_PATH, json={"users": [{"wallet": mixed_case(ALICE)}]})
    assert await denylist.is_denied(ALICE) is True
    assert await denylist.is_denied(mixed_case(ALICE)) is True
    assert await denylist.is_denied(BOB) is False
    assert len(fake.requests("GET", DENYLIST_PATH)) == 1


async def test_deny_list_is_refreshed_after_five_minutes(
    fake: FakeUpstreams, denylist: DenyList, clock: ManualClock
) -> None:
    fake.reply("GET", DENYLIST_PATH, json={"users": []}, times=1)
    assert await denylist.is_denied(ALICE) is False
    fake.reply("GET", DENYLIST_PATH, json={"users": [{"wallet": ALICE}]})
    clock.advance(299)
    assert await denylist.is_denied(ALICE) is False
    clock.advance(2)
    assert await denylist.is_denied(ALICE) is True


async def test_deny_list_serves_the_stale_copy_when_a_refresh_fails(
    fake: FakeUpstreams, denylist: DenyList, clock: ManualClock
) -> None:
    fake.reply("GET", DENYLIST_PATH, json={"users": [{"wallet": ALICE}]}, times=1)
    assert await denylist.is_denied(ALICE) is True
    fake.reply("GET", DENYLIST_PATH, status=500, json={})
    clock.advance(301)
    assert await denylist.is_denied(ALICE) is True
    assert len(fake.requests("GET", DENYLIST_PATH)) == 2


@pytest.mark.parametrize("failure", [{"status": 500, "json": {}}, {"drop": True}])
async def test_deny_list_never_read_means_nobody_is_denied(
    fake: FakeUpstreams, denylist: DenyList, failure: dict[str, Any]
) -> None:
    fake.reply("GET", DENYLIST_PATH, **failure)
    assert await denylist.is_denied(ALICE) is False
    # Nothing was cached: the next check asks again.
    fake.reply("GET", DENYLIST_PATH, json={"users": [{"wallet": ALICE}]})
    assert await denylist.is_denied(ALICE) is True


async def test_deny_list_without_users_is_empty(fake: FakeUpstreams, denylist: DenyList) -> None:
    fake.reply("GET", DENYLIST_PATH, json={"something": "else"})
    assert await denylist.wallets() == frozenset()


async def test_deny_list_down_does_not_hang(
    fake: FakeUpstreams, quick_http: httpx.AsyncClient
) -> None:
    denylist = DenyList(quick_http, load_settings(**fake.settings_overrides()))
    fake.reply("GET", DENYLIST_PATH, json={"users": [{"wallet": ALICE}]}, delay=30)
    assert await denylist.is_denied(ALICE) is False


LEASES = [
    {
        "name": "Tenant",
        "desc": "rents two parcels",
        "contactInfo": {"name": "t"},
        "addresses": [mixed_case(ALICE)],
        "plots": ["1,1", "1,2"],
    },
    {"name": "Other", "addresses": [BOB], "plots": ["9,9"]},
]


async def test_lease_holders_are_those_whose_plots_meet_the_parcels(
    fake: FakeUpstreams, leases: LandLeases
) -> None:
    fake.reply("GET", LEASES_PATH, json=LEASES)
    assert await leases.holders(["1,2", "5,5"]) == [ALICE]
    assert await leases.holders(["5,5"]) == []
    assert await leases.holds_lease(mixed_case(ALICE), ["1,1"]) is True
    assert await leases.holds_lease(BOB, ["1,1"]) is False
    assert len(fake.requests("GET", LEASES_PATH)) == 1


async def test_leases_serve_the_stale_copy_when_a_refresh_fails(
    fake: FakeUpstreams, leases: LandLeases, clock: ManualClock
) -> None:
    fake.reply("GET", LEASES_PATH, json=LEASES, times=1)
    assert await leases.holds_lease(ALICE, ["1,1"]) is True
    fake.reply("GET", LEASES_PATH, drop=True)
    clock.advance(301)
    assert await leases.holds_lease(ALICE, ["1,1"]) is True
    assert len(fake.requests("GET", LEASES_PATH)) == 2


async def test_leases_never_read_are_empty(fake: FakeUpstreams, leases: LandLeases) -> None:
    fake.reply("GET", LEASES_PATH, status=404, json={})
    assert await leases.authorizations() == ()
    assert await leases.holds_lease(ALICE, ["1,1"]) is False


async def test_a_lease_document_that_is_not_a_list_is_not_used(
    fake: FakeUpstreams, leases: LandLeases
) -> None:
    fake.reply("GET", LEASES_PATH, json={"oops": True})
    assert await leases.authorizations() == ()
