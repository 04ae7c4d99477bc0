"""`comms-gatekeeper migrate` applies the migrations to the configured database, once."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from storage.migrate import migration_files


def run_command(*arguments: str, database: str) -> subprocess.CompletedProcess[str]:
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("PG_COMPONENT")
    }
    environment["PG_COMPONENT_PSQL_CONNECTION_STRING"] = database
    return subprocess.run(  # noqa: S603 - our own command
        [str(Path(sys.executable).with_name("comms-gatekeeper")), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
async def empty_database(postgres_server: str) -> AsyncIterator[str]:
    name = f"gatekeeper_cli_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(postgres_server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_migrate_applies_every_migration_then_nothing(empty_database: str) -> None:
    first = run_command("migrate", database=empty_database)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"migrations applied: {len(migration_files())}"

    connection = await asyncpg.connect(empty_database)
    try:
        tables = {
            row["tablename"] for row in await connection.fetch("SELECT tablename FROM pg_tables")
        }
    finally:
        await connection.close()
    assert {"scene_admin", "scene_bans", "user_bans", "community_voice_chat_users"} <= tables

    again = run_command("migrate", database=empty_database)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "migrations applied: 0"
