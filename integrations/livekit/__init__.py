"""LiveKit: access tokens, RoomService and Ingress calls, webhook checks."""

from integrations.livekit.ingress import LiveKitIngress
from integrations.livekit.rooms import LiveKitRooms
from integrations.livekit.tokens import connection_url, mint_token
from integrations.livekit.webhooks import verify_webhook

__all__ = ["LiveKitIngress", "LiveKitRooms", "connection_url", "mint_token", "verify_webhook"]
