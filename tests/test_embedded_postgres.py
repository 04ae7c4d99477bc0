"""The embedded PostgreSQL: a usable database that keeps its data across stop and start."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from storage.embedded import EmbeddedPostgres


async def test_embedded_database_keeps_data_across_restart(tmp_path: Path) -> None:
    embedded = EmbeddedPostgres(tmp_path / "data")
    url = embedded.start()
    try:
        conn = await asyncpg.connect(url, timeout=10)
        try:
            assert await conn.fetchval("SELECT current_database()") == "comms_gatekeeper"
            await conn.execute("CREATE TABLE kept (value text)")
            await conn.execute("INSERT INTO kept VALUES ('survives')")
        finally:
            await conn.close()
    finally:
        embedded.stop()

    restarted = EmbeddedPostgres(tmp_path / "data")
    url_again = restarted.start()
    try:
        conn = await asyncpg.connect(url_again, timeout=10)
        try:
            assert await conn.fetchval("SELECT value FROM kept") == "survives"
        finally:
            await conn.close()
    finally:
        restarted.stop()

    assert url_again == url
