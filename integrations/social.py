"""The social service: a user's private-messages privacy setting."""

from __future__ import annotations

import logging

import httpx

from config.errors import GatekeeperError, UpstreamError
from config.settings import Settings
from integrations.http import json_body, send

logger = logging.getLogger(__name__)

SERVICE = "Social service"
DEFAULT_PRIVACY = "all"


class SocialClient:
    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self._http = client
        self._base = settings.SOCIAL_SERVICE_URL.rstrip("/")

    async def private_messages_privacy(self, address: str) -> object:
        """`private_messages_privacy` as the service holds it, unvalidated (may be `None`)."""
        url = f"{self._base}/v1/users/{address}/privacy-settings"
        response = await send(self._http, "GET", url, service=SERVICE)
        if not response.is_success:
            raise UpstreamError(f"Failed to fetch privacy settings for {address}.")
        body = json_body(response, service=SERVICE)
        return body.get("private_messages_privacy") if isinstance(body, dict) else None

    async def private_messages_privacy_or_default(self, address: str) -> object:
        """The setting, or `all` whenever the service cannot tell."""
        try:
            return await self.private_messages_privacy(address)
        except GatekeeperError as error:
            logger.info("privacy settings unavailable, using default error=%s", error.message)
            return DEFAULT_PRIVACY
