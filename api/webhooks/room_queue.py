"""Participant events on their way to a call's room: in order, many per message.

Webhooks for one room arrive in bursts. Sending each on its own would cost a room-host call and
a commit per event; instead the events queued for a room while its previous batch was under way
leave together as one message, which the room applies in order and commits once. At most one
batch per room is in flight, so a room sees its events in arrival order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from actors.client import RoomClient
from actors.voice_events import EventOutcome, ParticipantEvent, VoiceTimes

logger = logging.getLogger(__name__)

# Large enough to amortise a commit, small enough to keep one message quick.
MAX_BATCH = 256

_Pending = tuple[ParticipantEvent, "asyncio.Future[EventOutcome]"]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class RoomEventQueue:
    def __init__(
        self, rooms: RoomClient, times: VoiceTimes, clock: Callable[[], int] = now_ms
    ) -> None:
        self.rooms = rooms
        self.times = times
        self.clock = clock
        self._queues: dict[str, list[_Pending]] = {}
        self._drains: set[asyncio.Task[None]] = set()

    async def submit(self, key: str, event: ParticipantEvent) -> EventOutcome:
        """Deliver `event` to room `key`; the room's outcome once it is committed."""
        future: asyncio.Future[EventOutcome] = asyncio.get_running_loop().create_future()
        queue = self._queues.get(key)
        if queue is None:
            self._queues[key] = [(event, future)]
            task = asyncio.create_task(self._drain(key))
            self._drains.add(task)
            task.add_done_callback(self._drains.discard)
        else:
            queue.append((event, future))
        return await future

    async def _drain(self, key: str) -> None:
        # Let the events of this loop turn join the first batch.
        await asyncio.sleep(0)
        while True:
            queue = self._queues.get(key)
            if not queue:
                self._queues.pop(key, None)
                return
            batch, self._queues[key] = queue[:MAX_BATCH], queue[MAX_BATCH:]
            events = [event for event, _ in batch]
            try:
                outcomes = await self.rooms.call(
                    key, "participant_events", events, self.clock(), self.times
                )
            except Exception as error:  # every waiter learns the room's answer, whatever it is
                logger.warning(
                    "participant events failed key=%s events=%s error=%s",
                    key,
                    len(events),
                    type(error).__name__,
                )
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if not future.done():
                    future.set_result(outcome)
