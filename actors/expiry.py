"""The voice expiry jobs, and the scheduler that runs them once a minute in the whole cluster.

Every front runs a scheduler; a PostgreSQL advisory lock lets only one of them run the jobs at
a time. The jobs only find candidate calls in the database: the calls' rooms decide from their
own state and delete their rows, so memory and database never disagree.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field

import asyncpg

from actors.client import RoomClient
from actors.keys import community_key, private_key
from actors.voice_events import VoiceTimes, community_streaming_ended
from integrations.livekit.room_names import COMMUNITY_PREFIX, PRIVATE_PREFIX
from integrations.livekit.rooms import LiveKitRooms
from integrations.sns import EventPublisher
from storage import community_voice, private_voice

logger = logging.getLogger(__name__)

# Held by the one front that runs the jobs right now.
EXPIRY_LOCK = 0x766F_6963_6578  # "voicex"
PERIOD_SECONDS = 60.0


@dataclass
class ExpiryReport:
    private_destroyed: list[str] = field(default_factory=list)
    private_cleaned: list[str] = field(default_factory=list)
    community_ended: dict[str, int] = field(default_factory=dict)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


async def expire_private_calls(
    pool: asyncpg.Pool,
    rooms: RoomClient,
    livekit: LiveKitRooms,
    times: VoiceTimes,
    batch_size: int,
    now_ms: int,
    report: ExpiryReport,
) -> None:
    """§6.1: calls with a member gone or connecting for too long lose all their rows."""
    async with pool.acquire() as connection:
        names = await private_voice.expired_rooms(
            connection, now_ms, times.interrupted_ttl, times.initial_ttl, batch_size
        )
    for name in names:
        if not name.startswith(PRIVATE_PREFIX):
            logger.warning("private call row without the private prefix room=%s", name)
            continue
        destroy = await rooms.call(
            private_key(name[len(PRIVATE_PREFIX) :]), "expire", now_ms, times
        )
        if destroy is None:
            continue
        if destroy:
            report.private_destroyed.append(name)
            await livekit.delete_room(name)
        else:
            report.private_cleaned.append(name)
        logger.info("private call expired room=%s livekit_deleted=%s", name, destroy)


async def expire_community_calls(
    pool: asyncpg.Pool,
    rooms: RoomClient,
    livekit: LiveKitRooms,
    events: EventPublisher,
    times: VoiceTimes,
    batch_size: int,
    now_ms: int,
    report: ExpiryReport,
) -> None:
    """§6.2: calls without moderators, or whose moderators left long enough ago, end."""
    async with pool.acquire() as connection:
        names = await community_voice.expired_rooms(
            connection,
            now_ms,
            times.interrupted_ttl,
            times.initial_ttl,
            times.no_moderator_ttl,
            batch_size,
        )
    for name in names:
        if not name.startswith(COMMUNITY_PREFIX):
            logger.warning("community call row without the community prefix room=%s", name)
            continue
        community_id = name[len(COMMUNITY_PREFIX) :]
        ended = await rooms.call(community_key(community_id), "expire", now_ms, times)
        if ended is None:
            continue
        report.community_ended[name] = ended
        await livekit.delete_room(name)
        if ended > 0:
            events.publish_later(community_streaming_ended(community_id, ended, now_ms))
        logger.info("community call expired room=%s rows=%s", name, ended)


class ExpiryScheduler:
    def __init__(
        self,
        pool: asyncpg.Pool,
        rooms: RoomClient,
        livekit: LiveKitRooms,
        events: EventPublisher,
        times: VoiceTimes,
        batch_size: int,
        period_seconds: float = PERIOD_SECONDS,
    ) -> None:
        self.pool = pool
        self.rooms = rooms
        self.livekit = livekit
        self.events = events
        self.times = times
        self.batch_size = batch_size
        self.period_seconds = period_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._every_period())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_once(
        self, now_ms: int | None = None, batch_size: int | None = None
    ) -> ExpiryReport | None:
        """Run both jobs unless another front is running them; None when it is."""
        report = ExpiryReport()
        now = _now_ms() if now_ms is None else now_ms
        batch = self.batch_size if batch_size is None else batch_size
        async with self.pool.acquire() as connection:
            if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", EXPIRY_LOCK):
                logger.debug("voice expiry running elsewhere")
                return None
            try:
                await self._guarded(
                    "private",
                    expire_private_calls(
                        self.pool, self.rooms, self.livekit, self.times, batch, now, report
                    ),
                )
                await self._guarded(
                    "community",
                    expire_community_calls(
                        self.pool,
                        self.rooms,
                        self.livekit,
                        self.events,
                        self.times,
                        batch,
                        now,
                        report,
                    ),
                )
            finally:
                await connection.execute("SELECT pg_advisory_unlock($1)", EXPIRY_LOCK)
        return report

    async def _guarded(self, job: str, run: Awaitable[None]) -> None:
        try:
            await run
        except Exception as error:  # a failed run is retried by the next period
            logger.warning("voice expiry failed job=%s error=%s", job, error)

    async def _every_period(self) -> None:
        while True:
            await asyncio.sleep(self.period_seconds)
            try:
                await self.run_once()
            except Exception as error:  # the database may be down; the next period retries
                logger.warning("voice expiry skipped error=%s", type(error).__name__)
