"""A private call (`private:<room id>`): its two members and how each is connected.

Every write to `voice_chat_users` for the call goes through this room. Creating the call again
with the same members changes nothing (their tokens stay valid); a live call cannot be taken
over by other members.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from actors.room import Room, RoomContext, message, write
from actors.voice_events import (
    CLIENT_INITIATED,
    DUPLICATE_IDENTITY,
    IGNORED,
    JOINED,
    ROOM_DELETED,
    EventOutcome,
    ParticipantEvent,
    VoiceTimes,
    stale,
)
from config.errors import ConflictError, NotFoundError
from integrations.livekit.room_names import private_room
from storage import private_voice
from storage.database import Connection
from storage.private_voice import CONNECTED, DISCONNECTED, INTERRUPTED, PrivateUser


class PrivateRoom(Room):
    kind = "private"
    __slots__ = ("room_id", "room_name", "users")

    def __init__(self, key: str, context: RoomContext, users: list[PrivateUser]) -> None:
        super().__init__(key, context)
        self.room_id = key.partition(":")[2]
        self.room_name = private_room(self.room_id)
        self.users = {user.address: user for user in users}

    @classmethod
    async def activate(cls, key: str, context: RoomContext) -> PrivateRoom:
        room_name = private_room(key.partition(":")[2])
        async with context.pool.acquire() as connection:
            users = await private_voice.load_room(connection, room_name)
        return cls(key, context, users)

    @message
    async def members(self) -> list[PrivateUser]:
        return list(self.users.values())

    @write
    async def create(self, addresses: Sequence[str], now_ms: int, times: VoiceTimes) -> bool:
        """Start the call for `addresses`; False when it already runs for them."""
        wanted = set(addresses)
        over = self._over(now_ms, times)
        if self.users and not over:
            if set(self.users) == wanted:
                return False
            raise ConflictError(f"Room {self.room_id} is in use by other members")

        async def work(connection: Connection) -> list[PrivateUser]:
            if self.users:
                await private_voice.delete_room(connection, self.room_name)
            return await private_voice.insert_users(
                connection, self.room_name, list(addresses), now_ms
            )

        users = await self.commit(work)
        self.users = {user.address: user for user in users}
        return True

    @write
    async def end(self, address: str) -> list[str]:
        """A member ends the call: every row goes; the former members."""
        if address not in self.users:
            raise NotFoundError(f"Room {self.room_id} does not exist")
        members = list(self.users)
        await self.commit(lambda c: private_voice.delete_room(c, self.room_name))
        self.users = {}
        return members

    @write
    async def disconnect(self, address: str, now_ms: int, times: VoiceTimes) -> bool:
        """The member connected to another call: this one is over for it."""
        user = self.users.get(address)
        if user is None or user.status == DISCONNECTED:
            return False
        if user.expired(now_ms, times.interrupted_ttl, times.initial_ttl):
            return False
        await self._set(user, DISCONNECTED, now_ms)
        return True

    @write
    async def expire(self, now_ms: int, times: VoiceTimes) -> bool | None:
        """Drop the call when a row ends it; whether its LiveKit room must go (None: kept)."""
        ending = [
            u
            for u in self.users.values()
            if u.expired(now_ms, times.interrupted_ttl, times.initial_ttl)
        ]
        if not ending:
            return None
        await self.commit(lambda c: private_voice.delete_room(c, self.room_name))
        self.users = {}
        # A member who left on purpose already had the LiveKit room deleted.
        return any(u.status != DISCONNECTED for u in ending)

    @write
    async def participant_events(
        self, events: list[ParticipantEvent], now_ms: int, times: VoiceTimes
    ) -> list[EventOutcome]:
        return [await self._event(event, now_ms, times) for event in events]

    async def _event(self, event: ParticipantEvent, now_ms: int, times: VoiceTimes) -> EventOutcome:
        if event.kind == JOINED:
            return await self._joined(event, now_ms, times)
        if event.reason == DUPLICATE_IDENTITY:
            return IGNORED
        if event.reason == ROOM_DELETED:
            if not self.users:
                return IGNORED
            await self.commit(lambda c: private_voice.delete_room(c, self.room_name))
            self.users = {}
            return EventOutcome(applied=True)
        user = self.users.get(event.address)
        if user is None or stale(user.status_updated_at, event.at_ms):
            return IGNORED
        if event.reason == CLIENT_INITIATED:
            if user.status == DISCONNECTED:
                return IGNORED
            await self._set(user, DISCONNECTED, now_ms)
            return EventOutcome(applied=True, delete_room=True)
        if user.status in (INTERRUPTED, DISCONNECTED):
            return IGNORED
        await self._set(user, INTERRUPTED, now_ms)
        return EventOutcome(applied=True)

    async def _joined(
        self, event: ParticipantEvent, now_ms: int, times: VoiceTimes
    ) -> EventOutcome:
        if self._over(now_ms, times):
            # Nobody may talk in a call that is over: LiveKit's room goes, with whoever is in.
            return EventOutcome(delete_room=True)
        user = self.users.get(event.address)
        if user is None or stale(user.status_updated_at, event.at_ms):
            return IGNORED
        if user.status == CONNECTED:
            return EventOutcome(connected=True)
        await self._set(user, CONNECTED, now_ms)
        return EventOutcome(applied=True, connected=True)

    def _over(self, now_ms: int, times: VoiceTimes) -> bool:
        """A call is live with both members and none of them gone or too long away."""
        return len(self.users) < 2 or any(
            u.expired(now_ms, times.interrupted_ttl, times.initial_ttl) for u in self.users.values()
        )

    async def _set(self, user: PrivateUser, status: str, now_ms: int) -> None:
        await self.commit(
            lambda c: private_voice.set_status(c, self.room_name, user.address, status, now_ms)
        )
        self.users[user.address] = replace(user, status=status, status_updated_at=now_ms)
