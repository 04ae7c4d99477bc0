"""Session-wide parts: one PostgreSQL database and one Ray for the whole run."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from moto.server import ThreadedMotoServer

from actors.cluster import ensure_hosts
from actors.host import HostConfig
from actors.placement import Membership
from api.app import create_app
from config.settings import Settings
from storage.database import create_pool
from storage.migrate import migrate

LOCAL_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

pytest_plugins = ["tests.fixtures", "tests.fixtures_upstreams"]

from tests.fakes.livekit import FakeLiveKit  # noqa: E402
from tests.fakes.sns import SnsQueue  # noqa: E402
from tests.fakes.upstreams import FakeUpstreams  # noqa: E402


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


LIVEKIT_KEY = "test-livekit-key"
LIVEKIT_SECRET = "test-livekit-secret-long-enough-for-hs256-000"
SERVICE_TOKEN = "test-service-token"


@pytest.fixture(scope="session")
def fake_livekit() -> Iterator[FakeLiveKit]:
    with FakeLiveKit(api_key=LIVEKIT_KEY, api_secret=LIVEKIT_SECRET) as livekit:
        yield livekit


@pytest.fixture(scope="session")
def fake_upstreams() -> Iterator[FakeUpstreams]:
    with FakeUpstreams() as upstreams:
        yield upstreams


@pytest.fixture(scope="session")
def sns() -> Iterator[SnsQueue]:
    """moto's server, with the topic read back through a subscribed SQS queue."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    queue = SnsQueue(f"http://{host}:{port}")
    yield queue
    server.stop()


@pytest.fixture(scope="session")
def app_settings(
    database_url: str,
    fake_livekit: FakeLiveKit,
    fake_upstreams: FakeUpstreams,
    sns: SnsQueue,
    room_hosts: Membership,
) -> Settings:
    return Settings(
        ENV="test",
        PG_COMPONENT_PSQL_CONNECTION_STRING=database_url,
        PROD_LIVEKIT_HOST=fake_livekit.url,
        PROD_LIVEKIT_API_KEY=LIVEKIT_KEY,
        PROD_LIVEKIT_API_SECRET=LIVEKIT_SECRET,
        COMMS_GATEKEEPER_AUTH_TOKEN=SERVICE_TOKEN,
        AWS_SNS_ARN=sns.topic_arn,
        AWS_SNS_ENDPOINT=sns.endpoint,
        ROOM_HOSTS=2,
        DATABASE_POOL_SIZE=4,
        SCENE_ROOM_PREFIX="scene-",
        WORLD_ROOM_PREFIX="world-prod-scene-room-",
        COMMS_ROOM_PREFIX="world-env-",
        **fake_upstreams.settings_overrides(),
    )


@pytest.fixture(scope="session")
async def app(app_settings: Settings) -> AsyncIterator[FastAPI]:
    """The application with its lifespan run, once for the whole session."""
    # boto3 reads credentials from the environment; moto accepts any.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    application = create_app(app_settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def http(
    app: FastAPI, fake_upstreams: FakeUpstreams, fake_livekit: FakeLiveKit
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app; the fakes start each test empty."""
    fake_upstreams.reset()
    fake_livekit.reset()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gatekeeper.test") as client:
        yield client
