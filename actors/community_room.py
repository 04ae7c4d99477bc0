"""A community call (`community:<community id>`): its members, who speaks, who waits to speak.

Members and their connection state are rows of `community_voice_chat_users`; who speaks, who is
muted and the queue of requests to speak are rows of `community_voice_chat_speech`, a table of
ours (the reference kept them only in LiveKit's participant metadata, which clients read and
which we still write). Both are written through this room, so a room rebuilt after a crash
comes back with its speakers and its queue in order.

Speech changes answer the state before and after, so a front whose LiveKit update fails can
put the previous state back with `restore_speech`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from actors.room import Room, RoomContext, message, write
from actors.voice_events import (
    CLIENT_INITIATED,
    DOUBT,
    DUPLICATE_IDENTITY,
    IGNORED,
    JOINED,
    ROOM_DELETED,
    EventOutcome,
    ParticipantEvent,
    VoiceTimes,
    stale,
)
from config.errors import ForbiddenError
from integrations.livekit.room_names import community_room
from storage import community_voice
from storage.community_voice import (
    CONNECTED,
    DISCONNECTED,
    INTERRUPTED,
    CommunityUser,
    SpeechRow,
)
from storage.database import Connection


@dataclass(frozen=True, slots=True)
class Speech:
    """A member's part in the conversation, as LiveKit metadata shows it."""

    is_speaker: bool = False
    requesting: bool = False
    muted: bool = False
    # When the request to speak was made: its place in the queue.
    requested_at: int | None = None

    def row(self, address: str) -> SpeechRow:
        return SpeechRow(
            address, self.is_speaker, self.muted, self.requested_at if self.requesting else None
        )


@dataclass(frozen=True, slots=True)
class CallStatus:
    active: bool
    participants: int
    moderators: int


class CommunityRoom(Room):
    kind = "community"
    __slots__ = ("community_id", "muted", "requests", "room_name", "speakers", "users")

    def __init__(
        self,
        key: str,
        context: RoomContext,
        users: list[CommunityUser],
        speech: list[SpeechRow],
    ) -> None:
        super().__init__(key, context)
        self.community_id = key.partition(":")[2]
        self.room_name = community_room(self.community_id)
        self.users = {user.address: user for user in users}
        self.speakers = {row.address for row in speech if row.is_speaker}
        self.muted = {row.address for row in speech if row.muted}
        # Insertion order is request order: a dict is the FIFO queue, with O(1) removal.
        # The rows come oldest request first.
        self.requests = {
            row.address: row.requested_at for row in speech if row.requested_at is not None
        }

    @classmethod
    async def activate(cls, key: str, context: RoomContext) -> CommunityRoom:
        room_name = community_room(key.partition(":")[2])
        async with context.pool.acquire() as connection:
            rows = await community_voice.load_room(connection, room_name)
        return cls(key, context, rows.users, rows.speech)

    # Reads.

    @message
    async def status(self, now_ms: int, times: VoiceTimes) -> CallStatus:
        active = [u for u in self.users.values() if self._active(u, now_ms, times)]
        moderators = sum(1 for u in active if u.is_moderator)
        if not moderators:
            return CallStatus(False, 0, 0)
        return CallStatus(True, len(active), moderators)

    @message
    async def members(self) -> list[CommunityUser]:
        return list(self.users.values())

    @message
    async def speech(self, address: str) -> Speech:
        return self._speech(address)

    @message
    async def speakers_and_queue(self) -> tuple[list[str], list[str]]:
        """Speakers (sorted) and the requests to speak, oldest first."""
        return sorted(self.speakers), list(self.requests)

    # Membership.

    @write
    async def join(self, address: str, is_moderator: bool, speaker: bool, now_ms: int) -> None:
        """A member takes a token: `not_connected` until LiveKit says it joined."""
        # The new token decides whether the member speaks; an old request no longer stands.
        speech = Speech(is_speaker=speaker, muted=address in self.muted)

        async def work(connection: Connection) -> CommunityUser:
            await community_voice.save_speech(connection, self.room_name, [speech.row(address)])
            return await community_voice.upsert_user(
                connection, self.room_name, address, is_moderator, now_ms
            )

        self.users[address] = await self.commit(work)
        self._set_speech(address, speech)

    @write
    async def end(self, by: str | None = None) -> int:
        """End the call: every row goes; how many there were.

        When the call has members, `by` (if given) must be one of its moderators.
        """
        if by is not None and self.users:
            caller = self.users.get(by)
            if caller is None or not caller.is_moderator:
                raise ForbiddenError("Only a moderator of the community voice chat can end it")
        return await self._end()

    async def _end(self) -> int:
        count = len(self.users)
        await self.commit(lambda c: community_voice.delete_room(c, self.room_name))
        self._forget_all()
        return count

    @write
    async def expire(self, now_ms: int, times: VoiceTimes) -> int | None:
        """End the call when it has no moderator, or its moderators left long enough ago.

        Returns how many rows went, or None when the call is not expired.
        """
        moderators = [u for u in self.users.values() if u.is_moderator]
        if moderators:
            if any(self._active(u, now_ms, times) for u in moderators):
                return None
            last = max(u.status_updated_at for u in moderators)
            if last <= 0 or last > now_ms - times.no_moderator_ttl:
                return None
        elif not self.users:
            return None
        return await self._end()

    # Speech: committed, then in memory; the front then tells LiveKit.

    @write
    async def request_to_speak(self, address: str, now_ms: int) -> tuple[Speech, Speech]:
        """Queue a request; a repeated request keeps its place."""
        before = self._speech(address)
        if before.requesting:
            return before, before
        # Request times are distinct and increasing, so they alone give the queue's order,
        # the same after a reload as in memory.
        latest = max(self.requests.values(), default=0)
        queued = replace(before, requesting=True, requested_at=max(now_ms, latest + 1))
        return await self._change_speech(address, queued)

    @write
    async def withdraw_request(self, address: str) -> tuple[Speech, Speech]:
        """Drop a request, whether the member withdraws it or a moderator rejects it."""
        before = self._speech(address)
        return await self._change_speech(
            address, replace(before, requesting=False, requested_at=None)
        )

    @write
    async def promote(self, address: str) -> tuple[Speech, Speech]:
        before = self._speech(address)
        after = replace(before, is_speaker=True, requesting=False, requested_at=None)
        return await self._change_speech(address, after)

    @write
    async def demote(self, address: str) -> tuple[Speech, Speech]:
        before = self._speech(address)
        after = replace(before, is_speaker=False, requesting=False, requested_at=None)
        return await self._change_speech(address, after)

    @write
    async def set_muted(self, address: str, muted: bool) -> tuple[Speech, Speech]:
        return await self._change_speech(address, replace(self._speech(address), muted=muted))

    @write
    async def kick(self, address: str) -> tuple[Speech, Speech]:
        """A kicked member stops speaking and waiting; its row follows LiveKit's leave event."""
        return await self._change_speech(address, Speech())

    @write
    async def restore_speech(self, address: str, previous: Speech, expected: Speech) -> bool:
        """Put `previous` back (its request keeps its place), unless something changed the
        member since `expected`."""
        if self._speech(address) != expected:
            return False
        await self._change_speech(address, previous)
        return True

    async def _change_speech(self, address: str, after: Speech) -> tuple[Speech, Speech]:
        before = self._speech(address)
        if after != before:
            row = after.row(address)
            await self.commit(lambda c: community_voice.save_speech(c, self.room_name, [row]))
            self._set_speech(address, after)
        return before, self._speech(address)

    # LiveKit's view of who is connected.

    @write
    async def participant_events(
        self, events: list[ParticipantEvent], now_ms: int, times: VoiceTimes
    ) -> list[EventOutcome]:
        """Apply joins and leaves in order, all in one commit.

        Duplicates and stale events leave the room as it is: a session (sid) that left for good
        never comes back, a leave of another session than the row's is ignored, and a row
        changed clearly after the event happened is newer than the event.
        """
        users = dict(self.users)
        changed: set[str] = set()
        ended: int | None = None
        outcomes: list[EventOutcome] = []
        for event in events:
            if event.kind == JOINED:
                outcome = _joined(users, event, now_ms)
            else:
                outcome = _left(users, event, now_ms, times)
            if outcome.ended_rows is not None:
                ended = outcome.ended_rows if ended is None else ended + outcome.ended_rows
                users.clear()
                changed.clear()
            elif outcome.applied:
                changed.add(event.address)
            outcomes.append(outcome)

        if ended is None and not changed:
            return outcomes
        updates = [(a, users[a].status, users[a].status_updated_at, users[a].sid) for a in changed]
        # A member who left for good stops speaking and waiting.
        silenced = [
            a
            for a in changed
            if users[a].status == DISCONNECTED and ended is None and self._speech(a) != Speech()
        ]

        async def work(connection: Connection) -> None:
            if ended is not None:
                await community_voice.delete_room(connection, self.room_name)
            await community_voice.set_statuses(connection, self.room_name, updates)
            silence = [SpeechRow(address) for address in silenced]
            await community_voice.save_speech(connection, self.room_name, silence)

        await self.commit(work)
        self.users = users
        if ended is not None:
            self._forget_all()
        for address in silenced:
            self._set_speech(address, Speech())
        return outcomes

    # Helpers.

    def _active(self, user: CommunityUser, now_ms: int, times: VoiceTimes) -> bool:
        return user.active(now_ms, times.interrupted_ttl, times.initial_ttl)

    def _speech(self, address: str) -> Speech:
        return Speech(
            is_speaker=address in self.speakers,
            requesting=address in self.requests,
            muted=address in self.muted,
            requested_at=self.requests.get(address),
        )

    def _set_speech(self, address: str, speech: Speech) -> None:
        if speech.is_speaker:
            self.speakers.add(address)
        else:
            self.speakers.discard(address)
        if speech.muted:
            self.muted.add(address)
        else:
            self.muted.discard(address)
        if not speech.requesting:
            self.requests.pop(address, None)
        elif address not in self.requests:
            at = speech.requested_at or 0
            in_order = at >= max(self.requests.values(), default=0)
            self.requests[address] = at
            if not in_order:  # a request put back keeps its place
                self.requests = dict(sorted(self.requests.items(), key=lambda item: item[1]))

    def _forget_all(self) -> None:
        self.users = {}
        self.speakers.clear()
        self.muted.clear()
        self.requests.clear()


def _joined(users: dict[str, CommunityUser], event: ParticipantEvent, now_ms: int) -> EventOutcome:
    user = users.get(event.address)
    if user is None:
        return IGNORED
    same_session = bool(event.sid) and user.sid == event.sid
    if same_session and user.status in (CONNECTED, DISCONNECTED):
        # Already connected (a duplicate), or that session left for good (a late join).
        return IGNORED
    # Without a session to compare, only time tells a join older than the row's last change.
    if not user.sid and stale(user.status_updated_at, event.at_ms):
        return IGNORED
    users[event.address] = replace(
        user, status=CONNECTED, status_updated_at=now_ms, sid=event.sid or user.sid
    )
    return EventOutcome(applied=True)


def _left(
    users: dict[str, CommunityUser], event: ParticipantEvent, now_ms: int, times: VoiceTimes
) -> EventOutcome:
    if event.reason == DUPLICATE_IDENTITY:
        return IGNORED
    if event.reason == ROOM_DELETED:
        if not users:
            return IGNORED
        return EventOutcome(applied=True, ended_rows=len(users))
    user = users.get(event.address)
    if user is None:
        return IGNORED
    if event.sid and user.sid and event.sid != user.sid:
        return IGNORED
    if not user.sid and stale(user.status_updated_at, event.at_ms):
        return IGNORED
    if event.sid and not user.sid and user.status != CONNECTED and not event.checked:
        return DOUBT

    voluntary = event.reason == CLIENT_INITIATED
    status = DISCONNECTED if voluntary else INTERRUPTED
    if user.status == status or user.status == DISCONNECTED:
        return IGNORED
    users[event.address] = replace(
        user, status=status, status_updated_at=now_ms, sid=event.sid or user.sid
    )
    if not (voluntary and user.is_moderator):
        return EventOutcome(applied=True)

    others = [
        u
        for u in users.values()
        if u.is_moderator
        and u.address != event.address
        and u.active(now_ms, times.interrupted_ttl, times.initial_ttl)
    ]
    if others:
        return EventOutcome(applied=True)
    return EventOutcome(applied=True, delete_room=True, ended_rows=len(users))
