"""Bounded TTL caches for answers of outside services.

Only one load per key runs at a time: callers that arrive while it runs await the same
task. A failed load is never stored, so the next caller tries again. With `keep_stale`, the
last good value of a key outlives its TTL and is served when a refresh fails.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from cachetools import LRUCache, TTLCache

logger = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

Clock = Callable[[], float]

DEFAULT_TTL_SECONDS = 300.0


def _retrieve_outcome(task: asyncio.Task[Any]) -> None:
    # Every waiter may have given up; reading the outcome keeps asyncio from reporting it.
    if not task.cancelled():
        task.exception()


class AsyncTTLCache(Generic[K, V]):
    """`get(key, load)`: the cached value, or the result of one shared `load()`."""

    def __init__(
        self,
        *,
        maxsize: int,
        ttl: float = DEFAULT_TTL_SECONDS,
        clock: Clock = time.monotonic,
        keep_stale: bool = False,
        name: str = "cache",
    ) -> None:
        self._fresh: TTLCache[K, V] = TTLCache(maxsize=maxsize, ttl=ttl, timer=clock)
        self._stale: LRUCache[K, V] | None = LRUCache(maxsize=maxsize) if keep_stale else None
        self._loading: dict[K, asyncio.Task[V]] = {}
        self._name = name

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        try:
            return self._fresh[key]
        except KeyError:
            pass

        task = self._loading.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load(key, load))
            task.add_done_callback(_retrieve_outcome)
            self._loading[key] = task
        # One caller giving up must not cancel the load the others are waiting for.
        return await asyncio.shield(task)

    async def _load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        try:
            value = await load()
        except Exception:
            if self._stale is not None and key in self._stale:
                logger.warning("refresh failed, serving stale copy cache=%s", self._name)
                return self._stale[key]
            raise
        else:
            self._fresh[key] = value
            if self._stale is not None:
                self._stale[key] = value
            return value
        finally:
            self._loading.pop(key, None)

    def peek(self, key: K) -> V | None:
        """The fresh value of `key` if one is held, without loading."""
        return self._fresh.get(key)

    def invalidate(self, key: K) -> None:
        self._fresh.pop(key, None)

    def clear(self) -> None:
        self._fresh.clear()
        if self._stale is not None:
            self._stale.clear()


class AsyncBatchTTLCache(Generic[K, V]):
    """Per-key TTL cache filled by batch loads, with absent keys cached as `None` too.

    `get_many(keys, load_many)` loads, in one call, only the keys neither cached nor already
    being loaded by another caller; `load_many` answers a mapping where a missing key means
    "no value" (stored as such, so it is not asked again before its TTL runs out).
    """

    def __init__(
        self,
        *,
        maxsize: int,
        ttl: float = DEFAULT_TTL_SECONDS,
        clock: Clock = time.monotonic,
    ) -> None:
        self._fresh: TTLCache[K, V | None] = TTLCache(maxsize=maxsize, ttl=ttl, timer=clock)
        self._loading: dict[K, asyncio.Future[V | None]] = {}

    async def get_many(
        self,
        keys: Iterable[K],
        load_many: Callable[[list[K]], Awaitable[Mapping[K, V]]],
    ) -> dict[K, V]:
        wanted = list(dict.fromkeys(keys))
        found: dict[K, V] = {}
        waiting: dict[K, asyncio.Future[V | None]] = {}
        missing: list[K] = []
        for key in wanted:
            if key in self._fresh:
                value = self._fresh[key]
                if value is not None:
                    found[key] = value
            elif key in self._loading:
                waiting[key] = self._loading[key]
            else:
                missing.append(key)

        if missing:
            loop = asyncio.get_running_loop()
            futures = {key: loop.create_future() for key in missing}
            self._loading.update(futures)
            waiting.update(futures)
            task = asyncio.ensure_future(self._load(missing, futures, load_many))
            await asyncio.shield(task)

        for key, future in waiting.items():
            value = await asyncio.shield(future)
            if value is not None:
                found[key] = value
        return found

    async def _load(
        self,
        keys: list[K],
        futures: dict[K, asyncio.Future[V | None]],
        load_many: Callable[[list[K]], Awaitable[Mapping[K, V]]],
    ) -> None:
        try:
            loaded = await load_many(keys)
        except asyncio.CancelledError:
            for key, future in futures.items():
                self._loading.pop(key, None)
                future.cancel()
            raise
        except Exception as error:
            for key, future in futures.items():
                self._loading.pop(key, None)
                if not future.done():
                    future.set_exception(error)
            # Every waiter reads the error from its future; the task itself ends quietly.
            return
        for key, future in futures.items():
            value = loaded.get(key)
            self._fresh[key] = value
            self._loading.pop(key, None)
            if not future.done():
                future.set_result(value)

    def clear(self) -> None:
        self._fresh.clear()
