"""Session-wide parts: one PostgreSQL database and one Ray for the whole run."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from actors.cluster import ensure_hosts
from actors.host import HostConfig
from actors.placement import Membership
from storage.database import create_pool
from storage.migrate import migrate

LOCAL_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

pytest_plugins = ["tests.fixtures"]


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The machine's PostgreSQL where one answers, the embedded one otherwise."""
    from tests.fixtures import server_answers

    if server_answers(LOCAL_SERVER):
        yield LOCAL_SERVER
        return
    from storage.embedded import EmbeddedPostgres

    embedded = EmbeddedPostgres(tmp_path_factory.mktemp("pgdata"))
    yield embedded.start()
    embedded.stop()


@pytest.fixture(scope="session")
async def database_url(postgres_server: str) -> AsyncIterator[str]:
    """A database of its own for this run, migrated, dropped at the end."""
    name = f"gatekeeper_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = postgres_server.rsplit("/", 1)[0] + f"/{name}"
    await migrate(url)
    try:
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    db_pool = await create_pool(database_url, size=4)
    yield db_pool
    await db_pool.close()


@pytest.fixture(scope="session")
def ray_session() -> Iterator[None]:
    """One local Ray for the whole run."""
    import logging

    import ray

    from actors.placement import NAMESPACE

    ray.init(
        num_cpus=2,
        namespace=NAMESPACE,
        include_dashboard=False,
        logging_level=logging.WARNING,
        log_to_driver=False,
    )
    yield
    ray.shutdown()


@pytest.fixture(scope="session")
def host_config(database_url: str) -> HostConfig:
    return HostConfig(database_url, idle_seconds=300.0, pool_size=4)


@pytest.fixture(scope="session")
async def room_hosts(ray_session: None, pool: asyncpg.Pool, host_config: HostConfig) -> Membership:
    """Two room hosts serving the test database."""
    return await ensure_hosts(pool, host_config, 2)
