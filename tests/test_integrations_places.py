"""Places lookups against a fake Places API and Worlds content server."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from config.errors import NotFoundError, ServiceUnavailableError, UpstreamError
from config.settings import load_settings
from integrations.places import Place, PlacesClient
from integrations.worlds import WorldsClient
from tests.fakes.upstreams import FakeUpstreams, ManualClock, Reply

PLACES = "/places-api/places"


def place_json(place_id: str = "place-1", **extra: object) -> dict[str, object]:
    return {
        "id": place_id,
        "title": "Plaza",
        "positions": ["10,20", "10,21"],
        "base_position": "10,20",
        "world": False,
        "world_name": None,
        "disabled": False,
        **extra,
    }


async def test_place_by_parcel_asks_by_position_and_parses_the_place(
    fake: FakeUpstreams, places: PlacesClient
) -> None:
    fake.reply("GET", PLACES, json={"ok": True, "data": [place_json()]})

    place = await places.place_by_parcel("10,20")

    assert place == Place(
        id="place-1",
        title="Plaza",
        positions=("10,20", "10,21"),
        base_position="10,20",
        world=False,
        world_name=None,
        disabled=False,
    )
    [request] = fake.requests("GET", PLACES)
    assert request.query == {"positions": ["10,20"]}


async def test_place_by_parcel_not_found_is_a_404_naming_the_parcel(
    fake: FakeUpstreams, places: PlacesClient
) -> None:
    fake.reply("GET", PLACES, json={"ok": True, "data": []})
    with pytest.raises(NotFoundError, match=r"^No place found with parcel 1,1$") as caught:
        await places.place_by_parcel("1,1")
    assert caught.value.status == 404


async def test_place_lookups_are_cached_for_five_minutes(
    fake: FakeUpstreams, places: PlacesClient, clock: ManualClock
) -> None:
    fake.reply("GET", PLACES, json={"data": [place_json()]})

    await places.place_by_parcel("10,20")
    clock.advance(299)
    await places.place_by_parcel("10,20")
    assert len(fake.requests("GET", PLACES)) == 1

    clock.advance(2)
    await places.place_by_parcel("10,20")
    assert len(fake.requests("GET", PLACES)) == 2


async def test_concurrent_lookups_of_one_parcel_make_one_request(
    fake: FakeUpstreams, places: PlacesClient
) -> None:
    fake.reply("GET", PLACES, json={"data": [place_json()]})
    found = await asyncio.gather(*(places.place_by_parcel("10,20") for _ in range(10)))
    assert {p.id for p in found} == {"place-1"}
    assert len(fake.requests("GET", PLACES)) == 1


async def test_an_upstream_error_is_a_502_and_not_cached(
    fake: FakeUpstreams, places: PlacesClient
) -> None:
    fake.reply("GET", PLACES, status=500, json={}, times=1)
    with pytest.raises(UpstreamError):
        await places.place_by_parcel("10,20")

    fake.reply("GET", PLACES, json={"data": [place_json()]})
    assert (await places.place_by_parcel("10,20")).id == "place-1"


async def test_places_down_is_a_503_without_hanging(
    fake: FakeUpstreams, quick_http: httpx.AsyncClient
) -> None:
    settings = load_settings(**fake.settings_overrides())
    places = PlacesClient(quick_http, settings, WorldsClient(quick_http, settings))
    fake.reply("GET", PLACES, json={"data": [place_json()]}, delay=30)
    with pytest.raises(ServiceUnavailableError):
        await places.place_by_parcel("10,20")


async def test_world_scene_place_asks_with_the_lower_cased_world_name(
    fake: FakeUpstreams, places: PlacesClient
) -> None:
    world_place = place_json("wp", world=True, world_name="MyWorld.dcl.eth")
    fake.reply("GET", PLACES, json={"data": [world_place]})

    place = await places.world_scene_place("MyWorld.dcl.eth", "0,0")

    assert place.world
    assert place.world_name == "MyWorld.dcl.eth"
    [request] = fake.requests("GET", PLACES)
    assert request.query == {"positions": ["0,0"], "names": ["myworld.dcl.eth"]}


async def test_world_scene_place_not_found_message(
    fake: FakeUpstreams, places: PlacesClient
) -> None:
    fake.reply("GET", PLACES, json={"data": []})
    with pytest.raises(NotFoundError) as caught:
        await places.world_scene_place("w.dcl.eth", "1,2")
    assert caught.value.message == "No world scene place found for world w.dcl.eth at position 1,2"


async def test_world_scene_place_by_entity_id_goes_through_the_scene_base(
    fake: FakeUpstreams, places: PlacesClient
) -> None:
    fake.reply("GET", "/worlds/contents/bafk1", json={"metadata": {"scene": {"base": "3,4"}}})
    fake.reply("GET", PLACES, json={"data": [place_json("wp", world=True)]})

    place = await places.world_scene_place_by_entity_id("W.dcl.eth", "bafk1")

    assert place.id == "wp"
    [request] = fake.requests("GET", PLACES)
    assert request.query == {"positions": ["3,4"], "names": ["w.dcl.eth"]}


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, {"metadata": {}}), (200, {}), (404, {"error": "Not Found"})],
)
async def test_world_scene_place_by_entity_id_without_a_base_is_a_404(
    fake: FakeUpstreams, places: PlacesClient, status: int, body: dict[str, object]
) -> None:
    fake.reply("GET", "/worlds/contents/bafk1", status=status, json=body)
    with pytest.raises(NotFoundError) as caught:
        await places.world_scene_place_by_entity_id("w.dcl.eth", "bafk1")
    assert caught.value.message == "No scene entity found for entity ID bafk1 in world w.dcl.eth"


async def test_world_by_name_is_not_cached(fake: FakeUpstreams, places: PlacesClient) -> None:
    path = "/places-api/worlds/myworld.eth"
    fake.reply("GET", path, json={"ok": True, "data": place_json("world-1", world=True)})

    assert (await places.world_by_name("MyWorld.eth")).id == "world-1"
    assert (await places.world_by_name("MyWorld.eth")).id == "world-1"
    assert len(fake.requests("GET", path)) == 2


@pytest.mark.parametrize(("status", "body"), [(404, {"error": "x"}), (200, {"ok": True})])
async def test_world_by_name_not_found(
    fake: FakeUpstreams, places: PlacesClient, status: int, body: dict[str, object]
) -> None:
    fake.reply("GET", "/places-api/worlds/nope.eth", status=status, json=body)
    with pytest.raises(NotFoundError, match=r"^No world found with name nope.eth$"):
        await places.world_by_name("nope.eth")


async def test_place_statuses_are_asked_in_batches_of_100(
    fake: FakeUpstreams, places: PlacesClient
) -> None:
    ids = [f"id-{n}" for n in range(150)]
    fake.handle(
        "POST",
        "/places-api/places/status",
        lambda request: _statuses(request.json()),
    )

    statuses = await places.place_statuses(ids)

    bodies = [r.json() for r in fake.requests("POST", "/places-api/places/status")]
    assert bodies == [ids[:100], ids[100:]]
    assert [s.id for s in statuses] == ids
    assert [s.id for s in statuses if s.disabled] == ["id-0", "id-100"]


def _statuses(ids: list[str]) -> Reply:
    return Reply(json={"data": [place_json(i, disabled=i in ("id-0", "id-100")) for i in ids]})


async def test_place_statuses_with_nothing_known_is_a_404(
    fake: FakeUpstreams, places: PlacesClient
) -> None:
    fake.reply("POST", "/places-api/places/status", json={"data": []})
    with pytest.raises(NotFoundError, match=r"No places found with ids a,b"):
        await places.place_statuses(["a", "b"])
