"""The front's side of the room hosts: route a message to its room, batched per host.

A Ray call has a fixed cost of about a millisecond of CPU, so everything queued for one host in
one event-loop turn leaves as a single call. Replies that say the membership changed, or that a
key is moving, or that the host died, are retried here; the caller sees the room's answer or one
of our errors, never a Ray exception.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import pickle
import time
from typing import Any

import ray
from ray.actor import ActorHandle
from ray.exceptions import RayActorError, RayError

from actors.placement import NAMESPACE, Membership, host_name
from actors.replies import ERROR, MOVING, NOT_MINE, OK, Message, Reply
from config.errors import ServiceUnavailableError

logger = logging.getLogger(__name__)

_HOST_LOST = -1  # a local status: the host died or could not be reached; retry

# Calls in flight to one host at a time. Messages that arrive meanwhile wait and leave together
# in the next call, so batches stay large under load; with nothing queued a message leaves at
# once, so a lone request pays no wait.
_CALLS_PER_HOST = 2

_Batch = list[tuple[Message, "asyncio.Future[Reply]"]]


class RoomClient:
    """Sends messages to rooms. One per front process; safe to share between requests."""

    def __init__(self, membership: Membership, *, timeout: float = 10.0) -> None:
        self.membership = membership
        self.timeout = timeout
        self._handles: dict[int, ActorHandle[Any]] = {}
        self._queues: dict[int, list[tuple[Message, asyncio.Future[Reply]]]] = {}
        self._in_flight: dict[int, int] = {}
        self._lookups: set[asyncio.Future[None]] = set()
        self._flush_scheduled = False

    async def call(self, key: str, name: str, *args: Any, **kwargs: Any) -> Any:
        """Deliver one message to the room `key` and return its answer."""
        deadline = time.monotonic() + self.timeout
        attempt = 0
        while True:
            status, payload = await self._send((key, name, args, kwargs))
            if status == OK:
                return payload
            if status == ERROR:
                raise payload
            if status == NOT_MINE:
                self.adopt(Membership(*payload))
            elif status == _HOST_LOST:
                await self._refresh_membership()
            if time.monotonic() >= deadline:
                raise ServiceUnavailableError("Room hosts unavailable")
            if status in (MOVING, _HOST_LOST) or attempt > 0:
                await asyncio.sleep(min(0.002 * 2**attempt, 0.25))
            attempt += 1

    def adopt(self, membership: Membership) -> None:
        if membership.epoch > self.membership.epoch:
            logger.info(
                "front adopts membership epoch=%s hosts=%s",
                membership.epoch,
                membership.host_count,
            )
            self.membership = membership

    async def _refresh_membership(self) -> None:
        """After a host was lost, learn the membership from host 0, which always exists."""
        try:
            host = await self.host(0)
            async with asyncio.timeout(self.timeout):
                _, epoch, host_count = await host.ping.remote()
        except (TimeoutError, RayError, ValueError):
            self._handles.pop(0, None)
            return
        self.adopt(Membership(epoch, host_count))

    def owner(self, key: str) -> int:
        return self.membership.owner(key)

    async def host(self, index: int) -> ActorHandle[Any]:
        handle = self._handles.get(index)
        if handle is None:
            handle = await asyncio.to_thread(ray.get_actor, host_name(index), NAMESPACE)
            self._handles[index] = handle
        return handle

    async def ping_all(self, within: float = 5.0) -> list[tuple[int, int, int]]:
        """Ask every host of the membership to answer; raises if one does not in time."""
        hosts = [await self.host(i) for i in range(self.membership.host_count)]
        refs = [h.ping.remote() for h in hosts]
        try:
            async with asyncio.timeout(within):
                return list(await asyncio.gather(*refs))
        except (TimeoutError, RayError) as error:
            raise ServiceUnavailableError("Room hosts unavailable") from error

    def _send(self, message: Message) -> asyncio.Future[Reply]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Reply] = loop.create_future()
        index = self.membership.owner(message[0])
        queue = self._queues.get(index)
        if queue is None and self._in_flight.get(index, 0) == 0 and index in self._handles:
            # Nothing waits for this host: leave now rather than a loop turn later.
            self._dispatch(loop, index, [(message, future)])
            return future
        self._queues.setdefault(index, []).append((message, future))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        self._flush_scheduled = False
        loop = asyncio.get_running_loop()
        for index in list(self._queues):
            self._flush_host(loop, index)

    def _flush_host(self, loop: asyncio.AbstractEventLoop, index: int) -> None:
        if self._in_flight.get(index, 0) >= _CALLS_PER_HOST:
            return
        batch = self._queues.pop(index, None)
        if not batch:
            return
        if index in self._handles:
            self._dispatch(loop, index, batch)
        else:
            self._in_flight[index] = self._in_flight.get(index, 0) + 1
            lookup = asyncio.ensure_future(self._dispatch_after_lookup(loop, index, batch))
            self._lookups.add(lookup)
            lookup.add_done_callback(self._lookups.discard)

    async def _dispatch_after_lookup(
        self, loop: asyncio.AbstractEventLoop, index: int, batch: _Batch
    ) -> None:
        try:
            await self.host(index)
        except (ValueError, RayError) as error:
            logger.warning("room host not found host=%s error=%s", index, type(error).__name__)
            self._settle(loop, index, batch, None, None)
            return
        self._in_flight[index] -= 1
        self._dispatch(loop, index, batch)

    def _dispatch(self, loop: asyncio.AbstractEventLoop, index: int, batch: _Batch) -> None:
        """One Ray call for the batch; its answer is settled on this loop, without a task."""
        self._in_flight[index] = self._in_flight.get(index, 0) + 1
        packed = pickle.dumps([message for message, _ in batch], protocol=5)
        try:
            reference: Any = self._handles[index].handle_packed.remote(
                self.membership.epoch, packed
            )
        except RayError:
            self._settle(loop, index, batch, None, None)
            return
        answer = reference.future()
        timer = loop.call_later(self.timeout, self._expire, batch)
        answer.add_done_callback(
            lambda done: loop.call_soon_threadsafe(self._settle, loop, index, batch, done, timer)
        )

    def _expire(self, batch: _Batch) -> None:
        unavailable: Reply = (ERROR, ServiceUnavailableError("Room hosts unavailable"))
        for _, future in batch:
            if not future.done():
                future.set_result(unavailable)

    def _settle(
        self,
        loop: asyncio.AbstractEventLoop,
        index: int,
        batch: _Batch,
        answer: concurrent.futures.Future[bytes] | None,
        timer: asyncio.TimerHandle | None,
    ) -> None:
        self._in_flight[index] -= 1
        if timer is not None:
            timer.cancel()
        replies: list[Reply]
        try:
            if answer is None:
                raise ValueError("no call was made")
            replies = pickle.loads(answer.result())  # noqa: S301 - our own hosts' replies
        except (RayActorError, ValueError) as error:
            # ValueError: the named host does not exist (yet); RayActorError: it died.
            logger.warning("room host unreachable host=%s error=%s", index, type(error).__name__)
            self._handles.pop(index, None)
            replies = [(_HOST_LOST, None)] * len(batch)
        except RayError as error:
            logger.warning("room host call failed host=%s error=%s", index, error)
            replies = [(_HOST_LOST, None)] * len(batch)
        for (_, future), reply in zip(batch, replies, strict=True):
            if not future.done():
                future.set_result(reply)
        self._flush_host(loop, index)
