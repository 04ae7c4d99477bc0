"""Events to the platform's SNS topic (`AWS_SNS_ARN`; `AWS_SNS_ENDPOINT` overrides the endpoint).

Publishing happens after the database commit and never fails the request that caused it: a
failure is retried a few times, then logged and counted, so nothing is lost silently.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from config.settings import Settings

logger = logging.getLogger(__name__)

_ATTEMPTS = 3
_RETRY_DELAY_S = 0.3
_BATCH = 10  # SNS's limit for one PublishBatch


@dataclass
class PublishCounts:
    published: int = 0
    failed: int = 0
    skipped: int = 0


def _attributes(event: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        name: {"DataType": "String", "StringValue": str(event[name])}
        for name in ("type", "subType")
        if event.get(name)
    }


class EventPublisher:
    def __init__(self, settings: Settings) -> None:
        self.topic = settings.AWS_SNS_ARN
        self.counts = PublishCounts()
        self._pending: set[asyncio.Task[None]] = set()
        self._client: Any = None
        if self.topic:
            self._client = boto3.client(
                "sns",
                region_name=settings.AWS_REGION,
                endpoint_url=settings.AWS_SNS_ENDPOINT or None,
                config=Config(
                    connect_timeout=settings.OUTSIDE_REQUEST_TIMEOUT_MS / 1000,
                    read_timeout=settings.OUTSIDE_REQUEST_TIMEOUT_MS / 1000,
                    retries={"max_attempts": 1},
                ),
            )

    async def publish(self, event: dict[str, Any]) -> bool:
        """Publish one event, retrying; True when SNS took it."""
        return await self.publish_many([event])

    async def publish_many(self, events: Sequence[dict[str, Any]]) -> bool:
        if self._client is None:
            self.counts.skipped += len(events)
            logger.debug("sns disabled, events skipped count=%s", len(events))
            return False
        ok = True
        for start in range(0, len(events), _BATCH):
            ok = await self._publish_batch(list(events[start : start + _BATCH])) and ok
        return ok

    def publish_later(self, *events: dict[str, Any]) -> None:
        """Publish in the background; the caller does not wait and is never failed by it."""
        task = asyncio.get_running_loop().create_task(self._quietly(events))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Wait for background publications (at shutdown, and in tests)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def _quietly(self, events: Sequence[dict[str, Any]]) -> None:
        await self.publish_many(events)

    async def _publish_batch(self, events: list[dict[str, Any]]) -> bool:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                await asyncio.to_thread(self._send, events)
            except Exception as error:  # any failure is retried, then counted
                logger.warning(
                    "sns publish failed attempt=%s events=%s subtype=%s error=%s",
                    attempt,
                    len(events),
                    events[0].get("subType"),
                    error,
                )
                if attempt < _ATTEMPTS:
                    await asyncio.sleep(_RETRY_DELAY_S)
                continue
            self.counts.published += len(events)
            return True
        self.counts.failed += len(events)
        logger.error(
            "sns events lost after retries count=%s subtype=%s keys=%s",
            len(events),
            events[0].get("subType"),
            ",".join(str(e.get("key")) for e in events),
        )
        return False

    def _send(self, events: list[dict[str, Any]]) -> None:
        if len(events) == 1:
            self._client.publish(
                TopicArn=self.topic,
                Message=json.dumps(events[0]),
                MessageAttributes=_attributes(events[0]),
            )
            return
        answer = self._client.publish_batch(
            TopicArn=self.topic,
            PublishBatchRequestEntries=[
                {
                    "Id": str(index),
                    "Message": json.dumps(event),
                    "MessageAttributes": _attributes(event),
                }
                for index, event in enumerate(events)
            ],
        )
        if answer.get("Failed"):
            raise RuntimeError(f"{len(answer['Failed'])} entries refused")
