"""The Places API: which place (scene or world) stands at a parcel, and whether it is live.

A place's `id` is the key scene admins, scene bans and stream keys are stored under.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from config.errors import NotFoundError, UpstreamError
from config.settings import Settings
from integrations.cache import AsyncTTLCache, Clock
from integrations.http import get_json, json_body, post_json, send
from integrations.worlds import WorldsClient

logger = logging.getLogger(__name__)

SERVICE = "Places API"
CACHE_SIZE = 5000
CACHE_TTL_SECONDS = 300.0
STATUS_BATCH_SIZE = 100


@dataclass(frozen=True)
class Place:
    id: str
    title: str
    positions: tuple[str, ...]
    base_position: str
    world: bool
    world_name: str | None
    disabled: bool
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Place:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise UpstreamError(f"{SERVICE} sent a place without an id")
        positions = data.get("positions")
        world_name = data.get("world_name")
        return cls(
            id=data["id"],
            title=str(data.get("title") or ""),
            positions=tuple(str(p) for p in positions) if isinstance(positions, list) else (),
            base_position=str(data.get("base_position") or ""),
            world=bool(data.get("world")),
            world_name=world_name if isinstance(world_name, str) else None,
            disabled=bool(data.get("disabled")),
            raw=data,
        )


@dataclass(frozen=True)
class PlaceStatus:
    id: str
    disabled: bool
    world: bool
    world_name: str | None
    base_position: str


class PlacesClient:
    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        worlds: WorldsClient,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        self._http = client
        self._base = settings.PLACES_API_URL.rstrip("/")
        self._worlds = worlds
        self._by_url: AsyncTTLCache[str, list[Any]] = AsyncTTLCache(
            maxsize=CACHE_SIZE, ttl=CACHE_TTL_SECONDS, clock=clock, name="places"
        )

    async def _places_at(self, url: str) -> list[Any]:
        async def load() -> list[Any]:
            body = await get_json(self._http, url, service=SERVICE)
            data = body.get("data") if isinstance(body, dict) else None
            return data if isinstance(data, list) else []

        return await self._by_url.get(url, load)

    async def place_by_parcel(self, parcel: str) -> Place:
        data = await self._places_at(f"{self._base}/places?positions={parcel}")
        if not data:
            logger.info("no place at parcel parcel=%s", parcel)
            raise NotFoundError(f"No place found with parcel {parcel}")
        return Place.from_json(data[0])

    async def world_scene_place(self, world_name: str, parcel: str) -> Place:
        url = f"{self._base}/places?positions={parcel}&names={world_name.lower()}"
        data = await self._places_at(url)
        if not data:
            logger.info("no world scene place world=%s parcel=%s", world_name, parcel)
            raise NotFoundError(
                f"No world scene place found for world {world_name} at position {parcel}"
            )
        return Place.from_json(data[0])

    async def world_scene_place_by_entity_id(self, world_name: str, entity_id: str) -> Place:
        entity = await self._worlds.scene_entity(entity_id)
        if entity is None or entity.base_parcel is None:
            raise NotFoundError(
                f"No scene entity found for entity ID {entity_id} in world {world_name}"
            )
        return await self.world_scene_place(world_name, entity.base_parcel)

    async def world_by_name(self, world_name: str) -> Place:
        """The world as a whole (not one of its scenes); uncached."""
        url = f"{self._base}/worlds/{world_name.lower()}"
        response = await send(self._http, "GET", url, service=SERVICE)
        body = json_body(response, service=SERVICE) if response.is_success else None
        data = body.get("data") if isinstance(body, dict) else None
        if not data:
            logger.info("no world with that name world=%s", world_name)
            raise NotFoundError(f"No world found with name {world_name}")
        return Place.from_json(data)

    async def place_statuses(self, ids: Sequence[str]) -> list[PlaceStatus]:
        """Status of each known id, asked in batches of 100; none known at all is a 404."""
        statuses: list[PlaceStatus] = []
        for start in range(0, len(ids), STATUS_BATCH_SIZE):
            batch = list(ids[start : start + STATUS_BATCH_SIZE])
            body = await post_json(
                self._http, f"{self._base}/places/status", batch, service=SERVICE
            )
            data = body.get("data") if isinstance(body, dict) else None
            for item in data if isinstance(data, list) else []:
                place = Place.from_json(item)
                statuses.append(
                    PlaceStatus(
                        id=place.id,
                        disabled=place.disabled,
                        world=place.world,
                        world_name=place.world_name,
                        base_position=place.base_position,
                    )
                )
        if not statuses:
            raise NotFoundError(f"No places found with ids {','.join(ids)}")
        return statuses
