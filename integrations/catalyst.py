"""The catalyst content server: active scene entities by id or by pointer."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx

from config.settings import Settings
from integrations.cache import AsyncTTLCache, Clock
from integrations.http import post_json

logger = logging.getLogger(__name__)

SERVICE = "Catalyst content server"


@dataclass(frozen=True)
class Entity:
    """An active entity as `/entities/active` describes it."""

    id: str
    type: str
    pointers: tuple[str, ...]
    timestamp: int
    metadata: dict[str, Any]

    @classmethod
    def from_json(cls, data: Any) -> Entity | None:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            return None
        pointers = data.get("pointers")
        metadata = data.get("metadata")
        timestamp = data.get("timestamp")
        return cls(
            id=data["id"],
            type=str(data.get("type") or ""),
            pointers=tuple(str(p) for p in pointers) if isinstance(pointers, list) else (),
            timestamp=timestamp if isinstance(timestamp, int) else 0,
            metadata=metadata if isinstance(metadata, dict) else {},
        )

    @property
    def base_parcel(self) -> str | None:
        """`metadata.scene.base` of a scene entity."""
        scene = self.metadata.get("scene")
        base = scene.get("base") if isinstance(scene, dict) else None
        return base if isinstance(base, str) and base else None


class CatalystClient:
    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        self._http = client
        self._active_url = f"{settings.CATALYST_CONTENT_URL.rstrip('/')}/entities/active"
        self._cache: AsyncTTLCache[tuple[str, tuple[str, ...]], list[Entity]] = AsyncTTLCache(
            maxsize=settings.CONTENT_CLIENT_CACHE_MAX,
            ttl=settings.CONTENT_CLIENT_CACHE_TTL / 1000,
            clock=clock,
            name="catalyst",
        )

    async def _active(self, field: str, values: tuple[str, ...]) -> list[Entity]:
        async def load() -> list[Entity]:
            body = await post_json(
                self._http, self._active_url, {field: list(values)}, service=SERVICE
            )
            found = [Entity.from_json(item) for item in body] if isinstance(body, list) else []
            return [entity for entity in found if entity is not None]

        return await self._cache.get((field, values), load)

    async def entity_by_id(self, entity_id: str) -> Entity | None:
        entities = await self._active("ids", (entity_id,))
        return entities[0] if entities else None

    async def active_entities(self, pointers: list[str]) -> list[Entity]:
        if not pointers:
            return []
        return await self._active("pointers", tuple(pointers))
