"""Everything a front process runs on, started and stopped in order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import ray

from actors.client import RoomClient
from actors.cluster import connect, ensure_hosts
from actors.host import HostConfig
from actors.platform_bans import PlatformBans
from actors.snapshots import RoomSnapshots
from api.scenes.connections import PlayerConnectionRecorder
from api.services import Services
from config.settings import Settings
from storage.database import create_pool
from storage.embedded import EmbeddedPostgres
from storage.migrate import migrate

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    pool: asyncpg.Pool
    rooms: RoomClient
    snapshots: RoomSnapshots
    services: Services
    platform_bans: PlatformBans
    connections: PlayerConnectionRecorder
    embedded: EmbeddedPostgres | None = None
    owns_ray: bool = False
    _background: set[asyncio.Task[Any]] = field(default_factory=set)

    @classmethod
    async def start(cls, settings: Settings) -> Runtime:
        embedded: EmbeddedPostgres | None = None
        if settings.database_configured:
            database_url = settings.database_url()
        else:
            embedded = EmbeddedPostgres(settings.DATA_DIR)
            database_url = embedded.start()
            logger.info("embedded database started data_dir=%s", settings.DATA_DIR)

        applied = await migrate(database_url)
        if applied:
            logger.info("migrations applied names=%s", ",".join(applied))
        pool = await create_pool(database_url, settings.DATABASE_POOL_SIZE)

        owns_ray = not ray.is_initialized() and not settings.RAY_ADDRESS
        connect(settings.RAY_ADDRESS)
        config = HostConfig(database_url, settings.ROOM_IDLE_SECONDS, settings.DATABASE_POOL_SIZE)
        membership = await ensure_hosts(pool, config, settings.ROOM_HOSTS)
        rooms = RoomClient(membership)
        snapshots = RoomSnapshots(rooms, database_url)
        await snapshots.start()
        services = Services.from_settings(settings)
        platform_bans = PlatformBans(pool, database_url)
        await platform_bans.start()
        connections = PlayerConnectionRecorder(pool)
        connections.start()
        logger.info("runtime started hosts=%s epoch=%s", membership.host_count, membership.epoch)
        return cls(
            settings,
            database_url,
            pool,
            rooms,
            snapshots,
            services,
            platform_bans,
            connections,
            embedded,
            owns_ray,
        )

    def background(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run side work (LiveKit updates, kicks) after the answer; failures are logged."""
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("background work failed error=%r", task.exception())

    async def settle(self) -> None:
        """Wait for the side work started so far (at shutdown, and in tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
        await self.services.events.drain()

    async def stop(self) -> None:
        await self.settle()
        await self.services.close()
        await self.connections.close()
        await self.platform_bans.close()
        await self.snapshots.close()
        await self.pool.close()
        if self.owns_ray:
            ray.shutdown()
        if self.embedded is not None:
            self.embedded.stop()
        logger.info("runtime stopped")
