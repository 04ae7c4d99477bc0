"""Migrations on empty databases, twice, concurrently, and over the reference's own database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from storage.migrate import migrate, migration_files

REFERENCE_SCHEMA = Path(__file__).parent / "data" / "reference_schema.sql"

# table -> column -> (type, nullable, default); the schema of the reference after its migrations.
EXPECTED_COLUMNS: dict[str, dict[str, tuple[str, bool, str | None]]] = {
    "voice_chat_users": {
        "address": ("character varying(42)", False, None),
        "room_name": ("character varying", False, None),
        "status": ("character varying", False, None),
        "joined_at": ("bigint", False, None),
        "status_updated_at": ("bigint", False, None),
    },
    "community_voice_chat_users": {
        "address": ("text", False, None),
        "room_name": ("text", False, None),
        "is_moderator": ("boolean", False, "false"),
        "status": ("text", False, None),
        "joined_at": ("bigint", False, None),
        "status_updated_at": ("bigint", False, None),
        "created_at": ("timestamp with time zone", False, "now()"),
        "sid": ("text", True, None),
    },
    "user_bans": {
        "id": ("uuid", False, "gen_random_uuid()"),
        "banned_address": ("character varying", False, None),
        "banned_by": ("character varying", False, None),
        "reason": ("text", False, None),
        "custom_message": ("text", True, None),
        "banned_at": ("timestamp without time zone", False, "now()"),
        "expires_at": ("timestamp without time zone", True, None),
        "lifted_at": ("timestamp without time zone", True, None),
        "lifted_by": ("character varying", True, None),
        "created_at": ("timestamp without time zone", False, "now()"),
        "banned_device_id": ("text", True, None),
    },
    "user_warnings": {
        "id": ("uuid", False, "gen_random_uuid()"),
        "warned_address": ("character varying", False, None),
        "warned_by": ("character varying", False, None),
        "reason": ("text", False, None),
        "warned_at": ("timestamp without time zone", False, "now()"),
        "created_at": ("timestamp without time zone", False, "now()"),
    },
    "player_connection_info": {
        "address": ("character varying(42)", False, None),
        "ip_address": ("character varying(45)", True, None),
        "device_id": ("text", True, None),
        "created_at": ("bigint", False, None),
        "updated_at": ("bigint", False, None),
    },
    "scene_stream_access": {
        "id": ("uuid", False, None),
        "place_id": ("text", False, None),
        "streaming_url": ("text", False, None),
        "streaming_key": ("text", False, None),
        "ingress_id": ("text", False, None),
        "created_at": ("bigint", False, None),
        "active": ("boolean", False, "true"),
        "streaming": ("boolean", False, "false"),
        "streaming_start_time": ("bigint", True, None),
        "expiration_time": ("bigint", True, None),
        "room_id": ("text", True, None),
        "generated_by": ("text", True, None),
    },
    "scene_admin": {
        "id": ("uuid", False, None),
        "place_id": ("text", False, None),
        "admin": ("text", False, None),
        "added_by": ("text", False, None),
        "created_at": ("bigint", False, None),
        "active": ("boolean", False, "true"),
    },
    "scene_bans": {
        "id": ("uuid", False, None),
        "place_id": ("text", False, None),
        "banned_address": ("text", False, None),
        "banned_by": ("text", False, None),
        "banned_at": ("bigint", False, None),
    },
    "room_host_membership": {
        "id": ("smallint", False, None),
        "epoch": ("bigint", False, None),
        "host_count": ("integer", False, None),
        "updated_at": ("timestamp with time zone", False, "now()"),
    },
}

# table -> constraint -> (kind, definition as pg_get_constraintdef prints it)
EXPECTED_CONSTRAINTS = {
    "voice_chat_users": {"pk_voice_chat_users": ("p", "PRIMARY KEY (address, room_name)")},
    "community_voice_chat_users": {
        "community_voice_chat_users_pkey": ("p", "PRIMARY KEY (address, room_name)"),
        "community_voice_chat_users_status_check": (
            "c",
            "CHECK ((status = ANY (ARRAY['connected'::text, 'connection_interrupted'::text, "
            "'disconnected'::text, 'not_connected'::text])))",
        ),
    },
    "user_bans": {"user_bans_pkey": ("p", "PRIMARY KEY (id)")},
    "user_warnings": {"user_warnings_pkey": ("p", "PRIMARY KEY (id)")},
    "player_connection_info": {"pk_player_connection_info": ("p", "PRIMARY KEY (address)")},
    "scene_stream_access": {"scene_stream_access_pkey": ("p", "PRIMARY KEY (id)")},
    "scene_admin": {"scene_admin_pkey": ("p", "PRIMARY KEY (id)")},
    "scene_bans": {"scene_bans_pkey": ("p", "PRIMARY KEY (id)")},
    "room_host_membership": {
        "room_host_membership_pkey": ("p", "PRIMARY KEY (id)"),
        "room_host_membership_id_check": ("c", "CHECK ((id = 1))"),
    },
}

# index -> (table, the part of its definition after "USING btree ")
EXPECTED_INDEXES = {
    "voice_chat_users_room_name_index": ("voice_chat_users", "(room_name)"),
    "idx_voice_chat_users_status_joined_at_status_updated_at": (
        "voice_chat_users",
        "(status, joined_at, status_updated_at)",
    ),
    "community_voice_chat_users_room_name_index": ("community_voice_chat_users", "(room_name)"),
    "community_voice_chat_users_room_name_is_moderator_index": (
        "community_voice_chat_users",
        "(room_name, is_moderator)",
    ),
    "community_voice_chat_users_status_status_updated_at_index": (
        "community_voice_chat_users",
        "(status, status_updated_at)",
    ),
    "idx_user_bans_banned_address": ("user_bans", "(banned_address)"),
    "idx_user_bans_banned_device_id_active": (
        "user_bans",
        "(banned_device_id) WHERE ((lifted_at IS NULL) AND (banned_device_id IS NOT NULL))",
    ),
    "idx_user_warnings_warned_address": ("user_warnings", "(warned_address)"),
    "unique_active_scene_stream_access_place_id": (
        "scene_stream_access",
        "(place_id, active) WHERE (active = true)",
    ),
    "idx_scene_stream_access_expiration_time": ("scene_stream_access", "(expiration_time)"),
    "idx_scene_stream_access_streaming_key": ("scene_stream_access", "(streaming_key)"),
    "idx_scene_stream_access_room_id": ("scene_stream_access", "(room_id)"),
    "idx_scene_stream_access_generated_by": ("scene_stream_access", "(generated_by)"),
    "unique_active_scene_admin_place_id_admin": (
        "scene_admin",
        "(place_id, admin) WHERE (active = true)",
    ),
    "unique_scene_bans_place_id_banned_address": ("scene_bans", "(place_id, banned_address)"),
}
UNIQUE_INDEXES = {
    "unique_active_scene_stream_access_place_id",
    "unique_active_scene_admin_place_id_admin",
    "unique_scene_bans_place_id_banned_address",
}
DROPPED_INDEX = "unique_active_scene_stream_access_ingress_id"

ROW_COUNTS_IN_REFERENCE = {
    "scene_admin": 3,
    "scene_bans": 2,
    "scene_stream_access": 3,
    "voice_chat_users": 2,
    "community_voice_chat_users": 2,
    "user_bans": 1,
    "user_warnings": 1,
    "player_connection_info": 1,
    "pgmigrations": 16,
}


@pytest.fixture
async def scratch_url(postgres_server: str) -> AsyncIterator[str]:
    """An empty database of its own, dropped afterwards."""
    name = f"gatekeeper_migration_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def schema_of(url: str) -> dict[str, object]:
    """Columns, constraints and indexes of the public schema, shaped like the expectations."""
    conn = await asyncpg.connect(url)
    try:
        columns: dict[str, dict[str, tuple[str, bool, str | None]]] = {}
        for row in await conn.fetch(
            """
            SELECT c.relname AS table_name, a.attname AS column_name,
                   format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
                   pg_get_expr(d.adbin, d.adrelid) AS default_value
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
            """
        ):
            columns.setdefault(row["table_name"], {})[row["column_name"]] = (
                row["type"],
                row["nullable"],
                row["default_value"],
            )
        constraints: dict[str, dict[str, tuple[str, str]]] = {}
        for row in await conn.fetch(
            """
            SELECT conrelid::regclass::text AS table_name, conname,
                   contype::text AS kind, pg_get_constraintdef(oid) AS definition
            FROM pg_constraint
            WHERE connamespace = 'public'::regnamespace AND contype IN ('p', 'c', 'u')
            """
        ):
            constraints.setdefault(row["table_name"], {})[row["conname"]] = (
                row["kind"],
                row["definition"],
            )
        indexes = {
            row["indexname"]: (row["tablename"], row["indexdef"])
            for row in await conn.fetch(
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            )
        }
    finally:
        await conn.close()
    return {"columns": columns, "constraints": constraints, "indexes": indexes}


async def assert_schema_complete(url: str) -> None:
    schema = await schema_of(url)

    columns = schema["columns"]
    assert isinstance(columns, dict)
    for table, expected in EXPECTED_COLUMNS.items():
        assert columns.get(table) == expected, table

    constraints = schema["constraints"]
    assert isinstance(constraints, dict)
    for table, expected_constraints in EXPECTED_CONSTRAINTS.items():
        assert constraints.get(table) == expected_constraints, table

    indexes = schema["indexes"]
    assert isinstance(indexes, dict)
    for name, (table, shape) in EXPECTED_INDEXES.items():
        assert name in indexes, name
        index_table, definition = indexes[name]
        unique = "UNIQUE " if name in UNIQUE_INDEXES else ""
        assert index_table == table
        assert definition == f"CREATE {unique}INDEX {name} ON public.{table} USING btree {shape}"
    assert DROPPED_INDEX not in indexes


async def row_counts(url: str, tables: list[str]) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        return {
            table: await conn.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608
            for table in tables
        }
    finally:
        await conn.close()


async def load_reference(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(REFERENCE_SCHEMA.read_text(encoding="utf-8"))
    finally:
        await conn.close()


async def test_empty_database_gets_the_whole_schema(scratch_url: str) -> None:
    applied = await migrate(scratch_url)

    assert applied == [path.name for path in migration_files()]
    await assert_schema_complete(scratch_url)


async def test_migrating_twice_applies_nothing_the_second_time(scratch_url: str) -> None:
    await migrate(scratch_url)
    before = await schema_of(scratch_url)

    assert await migrate(scratch_url) == []
    assert await schema_of(scratch_url) == before


async def test_concurrent_migrations_apply_each_file_once(scratch_url: str) -> None:
    results = await asyncio.gather(*(migrate(scratch_url) for _ in range(3)))

    applied = sorted(name for result in results for name in result)
    assert applied == sorted(path.name for path in migration_files())
    await assert_schema_complete(scratch_url)
    conn = await asyncpg.connect(scratch_url)
    try:
        ledger = await conn.fetchval("SELECT count(*) FROM gatekeeper_migrations")
    finally:
        await conn.close()
    assert ledger == len(migration_files())


async def test_reference_database_is_adopted_with_its_rows(scratch_url: str) -> None:
    await load_reference(scratch_url)
    tables = list(ROW_COUNTS_IN_REFERENCE)
    before = await row_counts(scratch_url, tables)
    assert before == ROW_COUNTS_IN_REFERENCE

    await migrate(scratch_url)

    assert await row_counts(scratch_url, tables) == ROW_COUNTS_IN_REFERENCE
    await assert_schema_complete(scratch_url)
    conn = await asyncpg.connect(scratch_url)
    try:
        sid = await conn.fetchval(
            "SELECT sid FROM community_voice_chat_users WHERE is_moderator = true"
        )
        admin = await conn.fetchval(
            "SELECT admin FROM scene_admin WHERE id = '6f1c1f2e-0000-4000-8000-000000000003'"
        )
    finally:
        await conn.close()
    assert sid == "PA_one"
    assert admin == "0xaaa1"


async def test_older_reference_database_gets_missing_columns_and_loses_ingress_index(
    scratch_url: str,
) -> None:
    await load_reference(scratch_url)
    conn = await asyncpg.connect(scratch_url)
    try:
        # As the reference stood before its later migrations: no session id, no device ban,
        # and the unique active-ingress index still in place.
        await conn.execute(
            """
            ALTER TABLE community_voice_chat_users DROP COLUMN sid;
            DROP INDEX idx_user_bans_banned_device_id_active;
            ALTER TABLE user_bans DROP COLUMN banned_device_id;
            UPDATE scene_stream_access SET ingress_id = 'IN_2'
                WHERE id = '8b3e0000-0000-4000-8000-000000000002';
            UPDATE scene_stream_access SET ingress_id = 'IN_3'
                WHERE id = '8b3e0000-0000-4000-8000-000000000003';
            CREATE UNIQUE INDEX unique_active_scene_stream_access_ingress_id
                ON scene_stream_access (ingress_id, active) WHERE active = true;
            """
        )
    finally:
        await conn.close()

    await migrate(scratch_url)

    await assert_schema_complete(scratch_url)
    counts = await row_counts(scratch_url, ["community_voice_chat_users", "user_bans"])
    assert counts == {"community_voice_chat_users": 2, "user_bans": 1}


def test_misnamed_migration_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_good.sql").write_text("SELECT 1;")
    (tmp_path / "second.sql").write_text("SELECT 1;")

    with pytest.raises(ValueError, match=r"second\.sql"):
        migration_files(tmp_path)


def test_migration_files_come_in_name_order(tmp_path: Path) -> None:
    for name in ("0010_later.sql", "0002_early.sql", "0003_middle.sql"):
        (tmp_path / name).write_text("SELECT 1;")

    assert [path.name for path in migration_files(tmp_path)] == [
        "0002_early.sql",
        "0003_middle.sql",
        "0010_later.sql",
    ]
