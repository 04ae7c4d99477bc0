"""What each LiveKit webhook event does.

`participant_joined` / `participant_left` publish the room event, refresh scene metadata (on
joins) and, in voice rooms, go to the call's room. `room_started` refreshes scene metadata;
`ingress_started` / `ingress_ended` flip a stream key's streaming state. Other events are
acknowledged and ignored.
"""

from __future__ import annotations

import logging

from livekit import api

from actors.voice_events import JOINED, LEFT, ParticipantEvent
from api.webhooks.front import VoiceFront
from api.webhooks.ingress import ingress_changed
from api.webhooks.room_events import user_joined_room, user_left_room
from api.webhooks.voice import participant_event
from integrations.livekit.room_names import UNKNOWN, VOICE_PREFIX, is_preview_realm

logger = logging.getLogger(__name__)

_ADDRESS_LENGTH = 42


def event_time_ms(event: api.WebhookEvent, now_ms: int) -> int:
    """When LiveKit says the event happened: `createdAt` is in seconds (ms are kept as is)."""
    created = int(event.created_at)
    if created <= 0:
        return now_ms
    return created * 1000 if created < 1_000_000_000_000 else created


async def handle_event(front: VoiceFront, event: api.WebhookEvent) -> None:
    kind = event.event
    if kind in ("participant_joined", "participant_left"):
        await _participant(front, event, joined=kind == "participant_joined")
    elif kind == "room_started":
        if event.HasField("room") and event.room.name:
            front.sync.trigger(event.room.name)
    elif kind in ("ingress_started", "ingress_ended"):
        if event.HasField("ingress_info"):
            await ingress_changed(
                front, event.ingress_info.ingress_id, started=kind == "ingress_started"
            )
    else:
        logger.debug("webhook ignored event=%s", kind)


async def _participant(front: VoiceFront, event: api.WebhookEvent, *, joined: bool) -> None:
    room = event.room.name if event.HasField("room") else ""
    identity = event.participant.identity if event.HasField("participant") else ""
    if not room or not identity:
        return
    address = identity.lower()[:_ADDRESS_LENGTH]
    now = front.clock()
    parsed = front.runtime.services.names.parse(room)
    announced = parsed.room_type != UNKNOWN and not is_preview_realm(parsed.realm_or_world)

    if joined:
        if announced:
            front.room_events.add(user_joined_room(room, address, parsed, now))
        front.sync.trigger(room)
    else:
        if not announced:
            return
        front.room_events.add(user_left_room(room, address, parsed, now))

    if room.startswith(VOICE_PREFIX):
        voice_event = ParticipantEvent(
            kind=JOINED if joined else LEFT,
            address=address,
            sid=event.participant.sid or None,
            at_ms=event_time_ms(event, now),
            reason=int(event.participant.disconnect_reason) if not joined else 0,
        )
        await participant_event(front, room, voice_event)
