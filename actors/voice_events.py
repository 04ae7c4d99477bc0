"""What voice-call rooms share: their time limits, the LiveKit events they hear, their outcomes."""

from __future__ import annotations

from dataclasses import dataclass

JOINED = "joined"
LEFT = "left"

# LiveKit's DisconnectReason numbers that change what a leave means.
CLIENT_INITIATED = 1
DUPLICATE_IDENTITY = 2
ROOM_DELETED = 5

# A webhook's time has one-second resolution and LiveKit's clock is not ours: a row changed
# more than this after an event happened was changed by something newer than the event.
CLOCK_SKEW_MS = 1000


@dataclass(frozen=True, slots=True)
class VoiceTimes:
    """The time limits of §0.4 and §6, in milliseconds."""

    interrupted_ttl: int
    initial_ttl: int
    no_moderator_ttl: int


@dataclass(frozen=True, slots=True)
class ParticipantEvent:
    """A participant joined or left the call's LiveKit room.

    `at_ms` is when LiveKit says it happened; `checked` is set once the front asked LiveKit
    who is really in the room, so the room no longer doubts the event.
    """

    kind: str
    address: str
    sid: str | None
    at_ms: int
    reason: int = 0
    checked: bool = False


@dataclass(frozen=True, slots=True)
class EventOutcome:
    """What the front must do after the room committed an event."""

    applied: bool = False
    # The event names a session the room never saw: ask LiveKit before trusting it.
    doubt: bool = False
    # Delete the LiveKit room (the call ended, or a private call is over).
    delete_room: bool = False
    # The call ended with this many rows deleted (community calls); None when it did not end.
    ended_rows: int | None = None
    # A private-call member is now connected here: its other calls end.
    connected: bool = False


IGNORED = EventOutcome()
DOUBT = EventOutcome(doubt=True)


def stale(row_updated_at: int, event_at_ms: int) -> bool:
    """Whether the row changed clearly after the event happened."""
    return row_updated_at > event_at_ms + CLOCK_SKEW_MS


def community_streaming_ended(community_id: str, total: int, now_ms: int) -> dict[str, object]:
    """The SNS event of a community call that ended with `total` rows."""
    return {
        "type": "streaming",
        "subType": "community-streaming-ended",
        "key": f"community-streaming-ended-{community_id}-{now_ms}",
        "timestamp": now_ms,
        "metadata": {"communityId": community_id, "totalParticipants": total},
    }
