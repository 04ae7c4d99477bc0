"""Streaming notifications to a place's managers, through the notification service.

Sending is best-effort: the answer of the service is not inspected and an unreachable
service is logged, never raised, so a background job carries on with its other work.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Sequence
from typing import Any

import httpx

from config.errors import ServiceUnavailableError
from config.settings import Settings
from integrations.http import send
from integrations.places import Place

logger = logging.getLogger(__name__)

SERVICE = "Notification service"
IMAGE_URL = "https://assets-cdn.decentraland.org/streaming/streaming-notification.png"
JUMP_URL = "https://decentraland.org/jump/"


class StreamingNotification(enum.StrEnum):
    KEY_RESET = "streaming_key_reset"
    KEY_REVOKE = "streaming_key_revoke"
    KEY_EXPIRED = "streaming_key_expired"
    TIME_EXCEEDED = "streaming_time_exceeded"
    PLACE_UPDATED = "streaming_place_updated"


def _texts(kind: StreamingNotification, where: str) -> tuple[str, str]:
    if kind is StreamingNotification.KEY_RESET:
        return "Stream Key Reset", f"Check the Admin Tools panel at {where} to get the new key."
    if kind is StreamingNotification.KEY_REVOKE:
        return (
            "Stream Key Deactivated",
            f"Check the Admin Tools panel at {where} if you need a new key.",
        )
    if kind is StreamingNotification.KEY_EXPIRED:
        return (
            "Stream Key Expired",
            f"Go to the Admin Tools panel at {where} if you need a new key.",
        )
    if kind is StreamingNotification.TIME_EXCEEDED:
        return (
            "Stream Timed Out",
            "Restart your stream in your broadcasting software (e.g. OBS) if you'd like to "
            f"continue streaming to the scene at {where}",
        )
    return (
        "Stream Location Altered",
        f"If you'd like to stream to {where} please generate a new stream key from the Admin "
        "Tools panel in Decentraland.",
    )


def jump_url(place: Place) -> str:
    if place.world:
        return f"{JUMP_URL}?realm={place.world_name}"
    return f"{JUMP_URL}?position={place.base_position}"


def streaming_notifications(
    kind: StreamingNotification, place: Place, recipients: Sequence[str], now_ms: int
) -> list[dict[str, Any]]:
    """The request body: one notification per recipient."""
    where = place.world_name if place.world else place.base_position
    title, description = _texts(kind, str(where))
    return [
        {
            "eventKey": f"{kind.value}-{place.id}-{now_ms}",
            "type": kind.value,
            "address": address,
            "timestamp": now_ms,
            "metadata": {
                "title": title,
                "description": description,
                "position": place.base_position,
                "worldName": place.world_name,
                "isWorld": place.world,
                "url": jump_url(place),
                "image": IMAGE_URL,
                "address": address,
            },
        }
        for address in recipients
    ]


class NotificationSender:
    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self._http = client
        base = settings.NOTIFICATION_SERVICE_URL.rstrip("/")
        self._url = f"{base}/notifications" if base else ""
        self._token = settings.NOTIFICATION_SERVICE_TOKEN

    async def send_streaming(
        self,
        kind: StreamingNotification,
        place: Place,
        recipients: Sequence[str],
        *,
        now_ms: int | None = None,
    ) -> bool:
        """Notify `recipients` about `place`; True when the service took the request."""
        if not self._url or not recipients:
            logger.debug("notification skipped type=%s place=%s", kind.value, place.id)
            return False
        stamp = now_ms if now_ms is not None else int(time.time() * 1000)
        body = streaming_notifications(kind, place, recipients, stamp)
        headers = {"Authorization": f"Bearer {self._token.get_secret_value()}"}
        try:
            response = await send(
                self._http, "POST", self._url, service=SERVICE, json=body, headers=headers
            )
        except ServiceUnavailableError as error:
            logger.warning(
                "notification not sent type=%s place=%s error=%s", kind.value, place.id, error
            )
            return False
        logger.info(
            "notification sent type=%s place=%s recipients=%s status=%s",
            kind.value,
            place.id,
            len(recipients),
            response.status_code,
        )
        return True
