"""Helpers shared by the tests: server probes, row helpers, clean tables."""

from __future__ import annotations

import asyncio

import asyncpg

APP_TABLES = (
    "scene_admin",
    "scene_bans",
    "scene_stream_access",
    "player_connection_info",
    "user_bans",
    "user_warnings",
    "voice_chat_users",
    "community_voice_chat_users",
)


def server_answers(url: str) -> bool:
    async def probe() -> bool:
        try:
            connection = await asyncpg.connect(url, timeout=3)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        await connection.close()
        return True

    return asyncio.run(probe())


async def truncate_app_tables(pool: asyncpg.Pool) -> None:
    await pool.execute(f"TRUNCATE {', '.join(APP_TABLES)}")
