"""The Worlds content server: world permissions, world scenes and the parcels granted to wallets."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from config.errors import GatekeeperError, InvalidRequestError, UpstreamError
from config.settings import Settings
from integrations.cache import AsyncTTLCache, Clock
from integrations.http import get_json, json_body, post_json, send

logger = logging.getLogger(__name__)

SERVICE = "Worlds content server"
CACHE_SIZE = 1000
CACHE_TTL_SECONDS = 300.0

Permission = Literal["deployment", "streaming"]

_SCENE_URN = re.compile(r"^urn:decentraland:entity:([^?]+)")


@dataclass(frozen=True)
class PermissionRule:
    """One rule of a world (`allow-list`, `unrestricted`, `shared-secret`, `nft-ownership`)."""

    type: str
    wallets: tuple[str, ...]

    @classmethod
    def from_json(cls, data: Any) -> PermissionRule:
        if not isinstance(data, dict):
            return cls(type="", wallets=())
        wallets = data.get("wallets")
        listed = tuple(str(w).lower() for w in wallets) if isinstance(wallets, list) else ()
        return cls(type=str(data.get("type") or ""), wallets=listed)

    def lists(self, address: str) -> bool:
        return self.type == "allow-list" and address.lower() in self.wallets


@dataclass(frozen=True)
class WorldPermissions:
    owner: str | None
    deployment: PermissionRule
    access: PermissionRule
    streaming: PermissionRule

    @classmethod
    def from_json(cls, data: Any) -> WorldPermissions:
        if not isinstance(data, dict):
            raise UpstreamError(f"{SERVICE} sent permissions that are not an object")
        rules = data.get("permissions")
        rules = rules if isinstance(rules, dict) else {}
        owner = data.get("owner")
        return cls(
            owner=owner.lower() if isinstance(owner, str) and owner else None,
            deployment=PermissionRule.from_json(rules.get("deployment")),
            access=PermissionRule.from_json(rules.get("access")),
            streaming=PermissionRule.from_json(rules.get("streaming")),
        )

    def rule(self, permission: Permission) -> PermissionRule:
        return self.deployment if permission == "deployment" else self.streaming

    def grants_access(self, address: str) -> bool:
        """Owner, an unrestricted world, or a wallet on its access allow-list."""
        if self.owner is not None and self.owner == address.lower():
            return True
        if self.access.type == "unrestricted":
            return True
        return self.access.lists(address)


@dataclass(frozen=True)
class SceneEntity:
    """A deployed scene as the content server stores it."""

    id: str
    pointers: tuple[str, ...]
    base_parcel: str | None
    metadata: dict[str, Any]

    @classmethod
    def from_json(cls, entity_id: str, data: Any) -> SceneEntity:
        data = data if isinstance(data, dict) else {}
        metadata = data.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        scene = metadata.get("scene")
        base = scene.get("base") if isinstance(scene, dict) else None
        pointers = data.get("pointers")
        return cls(
            id=str(data.get("id") or entity_id),
            pointers=tuple(str(p) for p in pointers) if isinstance(pointers, list) else (),
            base_parcel=base if isinstance(base, str) and base else None,
            metadata=metadata,
        )


def world_dcl_name(world_name: str) -> str:
    """The DCL name a world is named after: `foo.dcl.eth` and `foo.eth` both give `foo`."""
    lowered = world_name.lower()
    for suffix in (".dcl.eth", ".eth"):
        if lowered.endswith(suffix):
            return lowered[: -len(suffix)]
    raise InvalidRequestError(f"Invalid world name: {world_name}, should end with .dcl.eth or .eth")


class WorldsClient:
    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        self._http = client
        self._base = settings.WORLD_CONTENT_URL.rstrip("/")
        self._permissions: AsyncTTLCache[str, WorldPermissions] = AsyncTTLCache(
            maxsize=CACHE_SIZE, ttl=CACHE_TTL_SECONDS, clock=clock, name="world-permissions"
        )
        self._entities: AsyncTTLCache[str, SceneEntity | None] = AsyncTTLCache(
            maxsize=CACHE_SIZE, ttl=CACHE_TTL_SECONDS, clock=clock, name="world-entities"
        )

    def _world(self, world_name: str) -> str:
        return f"{self._base}/world/{world_name.lower()}"

    async def permissions(self, world_name: str) -> WorldPermissions:
        url = f"{self._world(world_name)}/permissions"

        async def load() -> WorldPermissions:
            return WorldPermissions.from_json(await get_json(self._http, url, service=SERVICE))

        return await self._permissions.get(world_name.lower(), load)

    async def has_world_access(self, address: str, world_name: str) -> bool:
        return (await self.permissions(world_name)).grants_access(address)

    async def address_parcels(
        self, world_name: str, permission: Permission, address: str
    ) -> list[str] | None:
        """Parcels the wallet's `permission` is limited to; `None` when the server has none."""
        url = (
            f"{self._world(world_name)}/permissions/{permission}/address/{address.lower()}/parcels"
        )
        response = await send(self._http, "GET", url, service=SERVICE)
        if response.status_code == 404:
            return None
        body = json_body(response, service=SERVICE)
        parcels = body.get("parcels") if isinstance(body, dict) else None
        return [str(p) for p in parcels] if isinstance(parcels, list) else []

    async def parcel_permission_holders(
        self, world_name: str, permission: Permission, parcels: list[str]
    ) -> list[str]:
        """Wallets holding `permission` over any of `parcels` (lower-cased)."""
        if not parcels:
            return []
        url = f"{self._world(world_name)}/permissions/{permission}/parcels"
        body = await post_json(self._http, url, {"parcels": parcels}, service=SERVICE)
        addresses = body.get("addresses") if isinstance(body, dict) else None
        return [str(a).lower() for a in addresses] if isinstance(addresses, list) else []

    async def scene_id_at(self, world_name: str, pointer: str) -> str | None:
        """The entity id of the world scene deployed at `pointer`, if any."""
        url = f"{self._world(world_name)}/scenes"
        response = await send(
            self._http, "POST", url, service=SERVICE, json={"pointers": [pointer]}
        )
        if not response.is_success:
            return None
        body = json_body(response, service=SERVICE)
        scenes = body.get("scenes") if isinstance(body, dict) else None
        if not isinstance(scenes, list) or not scenes or not isinstance(scenes[0], dict):
            return None
        entity_id = scenes[0].get("entityId")
        return entity_id if isinstance(entity_id, str) and entity_id else None

    async def scene_id_from_about(self, world_name: str) -> str:
        """The scene id named by the world's about document; any failure is a 400."""
        failure = InvalidRequestError(f"Failed to resolve scene ID for world {world_name}")
        try:
            body = await get_json(self._http, f"{self._world(world_name)}/about", service=SERVICE)
        except GatekeeperError as error:
            logger.info("world about unusable world=%s error=%s", world_name, error.message)
            raise failure from error
        configurations = body.get("configurations") if isinstance(body, dict) else None
        urns = configurations.get("scenesUrn") if isinstance(configurations, dict) else None
        if not isinstance(urns, list) or not urns or not isinstance(urns[0], str):
            raise failure
        match = _SCENE_URN.match(urns[0])
        if match is None:
            raise failure
        return match.group(1)

    async def scene_entity(self, entity_id: str) -> SceneEntity | None:
        """The scene entity stored under `entity_id`; `None` when the server does not hold it."""
        url = f"{self._base}/contents/{entity_id}"

        async def load() -> SceneEntity | None:
            response = await send(self._http, "GET", url, service=SERVICE)
            if response.status_code == 404:
                return None
            return SceneEntity.from_json(entity_id, json_body(response, service=SERVICE))

        return await self._entities.get(entity_id, load)
