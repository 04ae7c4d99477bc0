"""Ingress webhooks: a place's stream key starts or stops streaming, through the place's room."""

from __future__ import annotations

import logging

from actors.keys import place_key
from api.webhooks.front import VoiceFront
from storage import stream_ingress

logger = logging.getLogger(__name__)


async def ingress_changed(front: VoiceFront, ingress_id: str, started: bool) -> None:
    if not ingress_id:
        return
    async with front.runtime.pool.acquire() as connection:
        place_id = await stream_ingress.place_of_ingress(connection, ingress_id)
    if place_id is None:
        logger.info("ingress without an active stream key ingress=%s", ingress_id)
        return
    key = place_key(place_id)
    if started:
        changed = await front.runtime.rooms.call(key, "ingress_started", ingress_id, front.clock())
    else:
        changed = await front.runtime.rooms.call(key, "ingress_ended", ingress_id)
    logger.info(
        "stream state changed place=%s ingress=%s streaming=%s changed=%s",
        place_id,
        ingress_id,
        started,
        changed,
    )
