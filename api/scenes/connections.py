"""Recording where players connect from, off the token path.

A token request only notes (address, IP, device id) in memory; a background writer stores
what accumulated in one statement per round. Notes for one address merge (a newer non-empty
value wins), and the backlog is bounded: beyond it, new addresses are dropped and counted
rather than letting memory grow while the database is away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import asyncpg

from storage.player_connections import upsert_connections

logger = logging.getLogger(__name__)

DEFAULT_MAX_PENDING = 50_000
DEFAULT_FLUSH_SECONDS = 0.25
_WRITE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


class PlayerConnectionRecorder:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        max_pending: int = DEFAULT_MAX_PENDING,
        flush_seconds: float = DEFAULT_FLUSH_SECONDS,
    ) -> None:
        self._pool = pool
        self._max_pending = max_pending
        self._flush_seconds = flush_seconds
        self._pending: dict[str, tuple[str | None, str | None]] = {}
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._writing: asyncio.Lock = asyncio.Lock()
        self.dropped = 0
        self.failed = 0

    def start(self) -> None:
        self._writer = asyncio.create_task(self._run())

    async def close(self) -> None:
        """Stop the writer and store what is still pending."""
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        await self.flush()

    def record(self, address: str, ip: str | None, device_id: str | None) -> None:
        """Note a connection; returns at once, the write happens in the background."""
        ip = ip or None
        device_id = device_id or None
        known = self._pending.get(address)
        if known is not None:
            ip = ip or known[0]
            device_id = device_id or known[1]
        elif len(self._pending) >= self._max_pending:
            self.dropped += 1
            if self.dropped % 1000 == 1:
                logger.warning("player connections dropped, backlog full dropped=%s", self.dropped)
            return
        self._pending[address] = (ip, device_id)
        self._wake.set()

    async def flush(self) -> None:
        """Store everything noted so far (tests and shutdown wait on this)."""
        async with self._writing:
            if not self._pending:
                return
            batch, self._pending = self._pending, {}
            rows = [(address, ip, device) for address, (ip, device) in batch.items()]
            try:
                async with self._pool.acquire() as connection:
                    await upsert_connections(connection, rows, time.time_ns() // 1_000_000)
            except _WRITE_ERRORS as error:
                self.failed += len(rows)
                logger.warning("player connections not stored count=%s error=%s", len(rows), error)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            # Let a round's worth of requests accumulate: one statement for all of them.
            await asyncio.sleep(self._flush_seconds)
            await self.flush()
