"""What the voice routes and the webhook share in one front process."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any

from fastapi import Request

from actors.expiry import ExpiryScheduler
from actors.voice_events import VoiceTimes
from api.runtime import Runtime
from api.webhooks.metadata_sync import RoomMetadataSync
from api.webhooks.room_queue import RoomEventQueue, now_ms
from config.settings import Settings


def voice_times(settings: Settings) -> VoiceTimes:
    return VoiceTimes(
        interrupted_ttl=settings.VOICE_CHAT_CONNECTION_INTERRUPTED_TTL,
        initial_ttl=settings.VOICE_CHAT_INITIAL_CONNECTION_TTL,
        no_moderator_ttl=settings.COMMUNITY_VOICE_CHAT_NO_MODERATOR_TTL,
    )


class EventCoalescer:
    """Events published in one loop turn leave together (SNS takes ten per call)."""

    def __init__(self, publish_later: Callable[..., None]) -> None:
        self._publish_later = publish_later
        self._pending: list[dict[str, Any]] = []

    def add(self, event: dict[str, Any]) -> None:
        if not self._pending:
            asyncio.get_running_loop().call_soon(self._flush)
        self._pending.append(event)

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending:
            self._publish_later(*pending)


class VoiceFront:
    def __init__(self, runtime: Runtime, clock: Callable[[], int] = now_ms) -> None:
        self.runtime = runtime
        self.clock = clock
        self.times = voice_times(runtime.settings)
        self.queue = RoomEventQueue(runtime.rooms, self.times, clock)
        self.sync = RoomMetadataSync(runtime.services, runtime.rooms)
        self.room_events = EventCoalescer(runtime.services.events.publish_later)
        self.expiry = ExpiryScheduler(
            runtime.pool,
            runtime.rooms,
            runtime.services.livekit,
            runtime.services.events,
            self.times,
            runtime.settings.VOICE_CHAT_EXPIRED_BATCH_SIZE,
        )
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def participant_lock(self, key: str, address: str) -> asyncio.Lock:
        """Held while a change to one member goes to its room and then to LiveKit, so that
        LiveKit receives the member's changes in the order the room made them. Changes to
        different members touch different LiveKit participants and run side by side."""
        name = f"{key}/{address}"
        lock = self._locks.get(name)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[name] = lock
        return lock

    async def start(self) -> None:
        # Under ENV=test the jobs run only when a test drives them, with its own clock.
        if self.runtime.settings.ENV != "test":
            self.expiry.start()

    async def stop(self) -> None:
        await self.expiry.stop()
        await self.sync.drain()


def voice_front(request: Request) -> VoiceFront:
    front: VoiceFront = request.app.state.voice
    return front
