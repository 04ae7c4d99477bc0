"""Participant webhooks of voice calls: each goes to its call's room, then LiveKit and SNS follow.

A leave the room doubts (a session it never saw join) is checked against LiveKit's list of
participants before it is applied: if the identity is in the room under another session, the
leave is old news and changes nothing.
"""

from __future__ import annotations

import logging

from actors.keys import community_key, private_key
from actors.voice_events import (
    EventOutcome,
    ParticipantEvent,
    community_streaming_ended,
)
from api.webhooks.front import VoiceFront
from config.errors import GatekeeperError
from integrations.livekit.room_names import COMMUNITY_PREFIX, PRIVATE_PREFIX, private_room
from storage import private_voice

logger = logging.getLogger(__name__)


async def participant_event(front: VoiceFront, room: str, event: ParticipantEvent) -> None:
    """Route a join or leave in a `voice-chat…` room to its call."""
    if room.startswith(COMMUNITY_PREFIX):
        await _community(front, room, room[len(COMMUNITY_PREFIX) :], event)
    elif room.startswith(PRIVATE_PREFIX):
        await _private(front, room, room[len(PRIVATE_PREFIX) :], event)
    else:
        logger.warning("voice room of no known kind room=%s", room)


async def _community(
    front: VoiceFront, room: str, community_id: str, event: ParticipantEvent
) -> None:
    key = community_key(community_id)
    outcome = await front.queue.submit(key, event)
    if outcome.doubt:
        if await _other_session_present(front, room, event):
            logger.info(
                "stale leave ignored room=%s identity=%s sid=%s", room, event.address, event.sid
            )
            return
        checked = ParticipantEvent(
            event.kind, event.address, event.sid, event.at_ms, event.reason, checked=True
        )
        outcome = await front.queue.submit(key, checked)
    await _after(front, room, outcome)
    if outcome.ended_rows:
        front.runtime.services.events.publish_later(
            community_streaming_ended(community_id, outcome.ended_rows, front.clock())
        )


async def _private(front: VoiceFront, room: str, room_id: str, event: ParticipantEvent) -> None:
    outcome = await front.queue.submit(private_key(room_id), event)
    await _after(front, room, outcome)
    if not outcome.connected:
        return

    # Joining one private call ends the member's others.
    now = front.clock()
    times = front.times
    async with front.runtime.pool.acquire() as connection:
        others = await private_voice.active_rooms_of(
            connection, event.address, now, times.interrupted_ttl, times.initial_ttl
        )
    for other in others:
        if other == room or not other.startswith(PRIVATE_PREFIX):
            continue
        other_id = other[len(PRIVATE_PREFIX) :]
        left = await front.runtime.rooms.call(
            private_key(other_id), "disconnect", event.address, now, times
        )
        if left:
            await front.runtime.services.livekit.delete_room(private_room(other_id))


async def _after(front: VoiceFront, room: str, outcome: EventOutcome) -> None:
    if outcome.delete_room:
        await front.runtime.services.livekit.delete_room(room)


async def _other_session_present(front: VoiceFront, room: str, event: ParticipantEvent) -> bool:
    try:
        participants = await front.runtime.services.livekit.list_participants(room)
    except GatekeeperError as error:
        # A room LiveKit does not know has nobody in it; any other failure leaves the doubt,
        # and the room's own rules decide.
        logger.info("participants unreadable room=%s error=%s", room, error.message)
        return False
    return any(p.identity.lower() == event.address and p.sid != event.sid for p in participants)
