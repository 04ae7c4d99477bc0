"""Tokens for scene and world rooms: who gets one, for which room.

This is the service's hot path. For an active room every check is answered from memory: the
platform bans and the deny list are held by the front, places and world permissions come from
TTL caches, and the scene ban from the place room's snapshot. The player-connection record and
presenter promotion happen in the background.
"""

from __future__ import annotations

import logging

from cachetools import TTLCache

from actors.keys import place_key
from api.auth import LegacySceneRequest, SceneRequest
from api.runtime import Runtime
from api.scenes.bans import is_user_banned
from api.scenes.permissions import permissions_of
from api.scenes.places import is_world_name
from config.errors import (
    ForbiddenError,
    GatekeeperError,
    InvalidRequestError,
    UnauthorizedError,
)
from integrations.livekit.room_names import PREVIEW_ROOM_PREFIX
from integrations.livekit.tokens import connection_url, mint_token

logger = logging.getLogger(__name__)

AUTHORITATIVE_SERVER_IDENTITY = "authoritative-server"
PRESENTERS = "presenters"
NO_SCENE_ID = "Access denied, invalid signed-fetch request, no sceneId"

# A presenter decision holds for a while per (room, wallet), so a player reconnecting does not
# repeat the permission look-ups and metadata writes each time.
_PRESENTER_DECISION_SECONDS = 60.0
_PRESENTER_DECISIONS = 50_000


def _token_url(runtime: Runtime, identity: str, room: str) -> str:
    settings = runtime.settings
    token = mint_token(
        settings.livekit_api_key, settings.livekit_api_secret, identity=identity, room=room
    )
    return connection_url(settings.livekit_host, token)


class SceneAdapters:
    """Issues scene-room tokens; one per front process."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._presenters: TTLCache[tuple[str, str], bool] = TTLCache(
            maxsize=_PRESENTER_DECISIONS, ttl=_PRESENTER_DECISION_SECONDS
        )

    async def scene_adapter(self, request: LegacySceneRequest, ip: str | None) -> str:
        """The `livekit:` URL for a player entering a scene or world scene."""
        runtime = self.runtime
        services = runtime.services
        identity = request.identity.lower()
        runtime.connections.record(identity, ip, request.device_identifier)

        if await self._platform_banned(identity, request.device_identifier):
            raise ForbiddenError("Access denied, platform-banned user")
        if await services.deny_list.is_denied(identity):
            raise UnauthorizedError("Access denied, deny-listed wallet")

        realm = request.realm_name
        preview = services.names.is_local_preview(realm)
        is_world = is_world_name(realm)
        if not request.scene_id:
            raise InvalidRequestError(NO_SCENE_ID)
        scene_id = request.scene_id
        if is_world and scene_id.endswith(".eth"):
            scene_id = await services.worlds.scene_id_from_about(realm)

        if not preview and await self._scene_banned(identity, request, scene_id, is_world):
            raise ForbiddenError("User is banned from this scene")

        if preview:
            room = services.names.scene_room(realm, scene_id)
        elif is_world:
            if not await services.worlds.has_world_access(identity, realm):
                raise UnauthorizedError(
                    "Access denied, you are not authorized to access this world"
                )
            room = services.names.world_scene_room(realm, scene_id)
        else:
            room = services.names.scene_room(realm, scene_id)

        if (room, identity) not in self._presenters:
            self._presenters[(room, identity)] = True
            runtime.background(self._promote_presenter(request, identity, room, preview, is_world))
        return _token_url(runtime, identity, room)

    async def server_scene_adapter(self, request: SceneRequest) -> str:
        """The `livekit:` URL for a scene's authoritative server."""
        runtime = self.runtime
        services = runtime.services
        identity = request.identity.lower()
        if await services.deny_list.is_denied(identity):
            raise UnauthorizedError("Access denied, deny-listed wallet")

        realm = request.realm_name or ""
        preview = services.names.is_local_preview(realm)
        if not request.scene_id:
            raise InvalidRequestError(NO_SCENE_ID)
        scene_id = request.scene_id
        server = runtime.settings.AUTHORITATIVE_SERVER_ADDRESS.lower()
        if not preview and (not server or identity != server):
            raise UnauthorizedError("Access denied, invalid server public key")

        if preview:
            room = f"{PREVIEW_ROOM_PREFIX}{scene_id}"
        elif is_world_name(realm):
            if scene_id.endswith(".eth"):
                scene_id = await services.worlds.scene_id_from_about(realm)
            room = services.names.world_scene_room(realm, scene_id)
        else:
            room = services.names.scene_room(realm, scene_id)
        return _token_url(runtime, AUTHORITATIVE_SERVER_IDENTITY, room)

    async def _platform_banned(self, identity: str, device_id: str | None) -> bool:
        try:
            return await self.runtime.platform_bans.is_banned(identity, device_id)
        except Exception as error:
            # The bans are unknown only when memory is untrusted and the database is away;
            # refusing every player then would take voice down with the database.
            logger.warning("platform ban unknown, letting in identity=%s error=%s", identity, error)
            return False

    async def _scene_banned(
        self, identity: str, request: LegacySceneRequest, scene_id: str, is_world: bool
    ) -> bool:
        try:
            return await is_user_banned(
                self.runtime,
                identity,
                scene_id=scene_id,
                realm_name=request.realm_name,
                parcel=request.parcel,
                is_world=is_world,
            )
        except GatekeeperError as error:
            # No place known for the scene means no bans for it; an outside service or the
            # room hosts failing must not keep every player out of voice.
            logger.info(
                "scene ban unknown, letting in identity=%s scene=%s error=%s",
                identity,
                scene_id,
                error.message,
            )
            return False

    async def _promote_presenter(
        self,
        request: LegacySceneRequest,
        identity: str,
        room: str,
        preview: bool,
        is_world: bool,
    ) -> None:
        """Scene managers present in their scene's room; in a local preview, everyone does."""
        # A failure is remembered like a refusal for a while, so an outside service that
        # fails is not asked again on every token request.
        services = self.runtime.services
        if not preview:
            if is_world:
                place = await services.places.world_by_name(request.realm_name)
            elif request.parcel:
                place = await services.places.place_by_parcel(request.parcel)
            else:
                return
            rights = await permissions_of(self.runtime, place, identity)
            if not rights.can_manage:
                return
            # The place's room keeps its presenters; LiveKit's metadata follows the commit.
            await self.runtime.rooms.call(place_key(place.id), "add_presenter", room, identity)
        await services.livekit.ensure_room_and_append(room, PRESENTERS, identity)
