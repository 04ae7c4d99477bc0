"""RTMP ingresses on the LiveKit server: the stream keys scenes broadcast into a room with."""

from __future__ import annotations

import logging

from livekit import api

from config.errors import NotFoundError
from config.settings import Settings
from integrations.livekit._client import LiveKitClient

logger = logging.getLogger(__name__)


def ingress_name(room: str) -> str:
    return f"{room}-ingress"


class LiveKitIngress(LiveKitClient):
    """Ingress service calls (`/twirp/livekit.Ingress/...`)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> LiveKitIngress:
        return cls(
            settings.livekit_host,
            settings.livekit_api_key,
            settings.livekit_api_secret,
            timeout_seconds=settings.OUTSIDE_REQUEST_TIMEOUT_MS / 1000,
        )

    async def list_ingress(self, room: str) -> list[api.IngressInfo]:
        request = api.ListIngressRequest(room_name=room)
        response = await self.call("ListIngress", self.livekit.ingress.list_ingress(request))
        return list(response.items)

    async def get_or_create_ingress(self, room: str, participant_identity: str) -> api.IngressInfo:
        """The room's first ingress, or a new RTMP one publishing as `participant_identity`.

        The caller reads `url`, `stream_key` and `ingress_id` from the answer.
        """
        existing = await self.list_ingress(room)
        if existing:
            return existing[0]

        request = api.CreateIngressRequest(
            input_type=api.IngressInput.RTMP_INPUT,
            name=ingress_name(room),
            room_name=room,
            participant_identity=participant_identity,
        )
        created = await self.call("CreateIngress", self.livekit.ingress.create_ingress(request))
        logger.info("livekit ingress created room=%s ingress_id=%s", room, created.ingress_id)
        return created

    async def delete_ingress(self, ingress_id: str) -> None:
        """Delete an ingress; one LiveKit no longer knows counts as deleted."""
        request = api.DeleteIngressRequest(ingress_id=ingress_id)
        try:
            await self.call("DeleteIngress", self.livekit.ingress.delete_ingress(request))
        except NotFoundError:
            logger.info("livekit ingress already gone ingress_id=%s", ingress_id)
