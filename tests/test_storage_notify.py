"""Room-change announcements: delivered on commit only, and parsed back."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from storage.notify import ROOM_CHANNEL, announce_room_change, parse_room_change


def test_announcement_payload_parses_back_to_key_and_version() -> None:
    assert parse_room_change("42:place:abc:def") == ("place:abc:def", 42)


@pytest.mark.parametrize("payload", ["", "place:abc", "12", "12:", "x:place:1"])
def test_malformed_announcement_is_refused(payload: str) -> None:
    with pytest.raises(ValueError, match=r"room change|invalid literal"):
        parse_room_change(payload)


async def test_announcement_arrives_only_when_the_write_commits(database_url: str) -> None:
    listener = await asyncpg.connect(database_url)
    writer = await asyncpg.connect(database_url)
    heard: asyncio.Queue[str] = asyncio.Queue()

    def on_notice(_conn: object, _pid: int, _channel: str, payload: object) -> None:
        heard.put_nowait(str(payload))

    await listener.add_listener(ROOM_CHANNEL, on_notice)
    try:
        rolled_back = writer.transaction()
        await rolled_back.start()
        await announce_room_change(writer, "place:rolled-back", 1)
        await rolled_back.rollback()

        async with writer.transaction():
            await announce_room_change(writer, "place:committed", 2)

        # Notices arrive in commit order, so the first one heard settles the question.
        first = await asyncio.wait_for(heard.get(), timeout=10)
        assert parse_room_change(first) == ("place:committed", 2)
        assert heard.empty()
    finally:
        await listener.remove_listener(ROOM_CHANNEL, on_notice)
        await listener.close()
        await writer.close()
