"""What scene handlers read from a signed request, with the reference's refusals
(`validate()` needs `realm`, the older `oldValidate()` of /get-scene-adapter needs `realmName`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from api.auth.signed_fetch import ACCESS_DENIED, handler_signed_fetch
from config.errors import UnauthorizedError
from integrations.signed_fetch import Verification

WORLDS_HOST_MARK = "worlds-content-server"


@dataclass(frozen=True)
class SceneRequest:
    """A signed request that names its realm (`metadata.realm`)."""

    identity: str
    realm: dict[str, Any]
    scene_id: str | None
    parcel: str | None
    device_identifier: str | None

    @property
    def realm_name(self) -> str | None:
        name = self.realm.get("serverName")
        return name if isinstance(name, str) else None

    @property
    def is_world(self) -> bool:
        hostname = self.realm.get("hostname")
        return isinstance(hostname, str) and WORLDS_HOST_MARK in hostname


@dataclass(frozen=True)
class LegacySceneRequest:
    """A signed request in the older shape, naming its realm with `metadata.realmName`."""

    identity: str
    realm_name: str
    scene_id: str | None
    parcel: str | None
    device_identifier: str | None


def _text(metadata: dict[str, Any], key: str) -> str | None:
    value = metadata.get(key)
    return value if isinstance(value, str) else None


def scene_request_of(verification: Verification) -> SceneRequest:
    metadata = verification.metadata
    realm = metadata.get("realm")
    if not isinstance(realm, dict):
        raise UnauthorizedError(f"{ACCESS_DENIED}, no realm")
    return SceneRequest(
        identity=verification.address,
        realm=realm,
        scene_id=_text(metadata, "sceneId"),
        parcel=_text(metadata, "parcel"),
        device_identifier=_text(metadata, "deviceIdentifier"),
    )


def legacy_scene_request_of(verification: Verification) -> LegacySceneRequest:
    metadata = verification.metadata
    realm_name = _text(metadata, "realmName")
    if not realm_name:
        raise UnauthorizedError(f"{ACCESS_DENIED}, no realmName")
    return LegacySceneRequest(
        identity=verification.address,
        realm_name=realm_name,
        scene_id=_text(metadata, "sceneId"),
        parcel=_text(metadata, "parcel"),
        device_identifier=_text(metadata, "deviceIdentifier"),
    )


async def scene_request(request: Request) -> SceneRequest:
    """Dependency: the handler-level check plus `realm` (401 `…, no realm`)."""
    return scene_request_of(await handler_signed_fetch(request))


async def legacy_scene_request(request: Request) -> LegacySceneRequest:
    """Dependency for /get-scene-adapter: the handler-level check plus `realmName`."""
    return legacy_scene_request_of(await handler_signed_fetch(request))
