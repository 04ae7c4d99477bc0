"""`comms-gatekeeper serve` and `comms-gatekeeper migrate`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

import uvicorn

from config.errors import ConfigurationError
from config.settings import Settings, load_settings
from storage.embedded import EmbeddedPostgres
from storage.migrate import migrate

logger = logging.getLogger("comms_gatekeeper")


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s level=%(levelname)s component=%(name)s %(message)s",
        stream=sys.stderr,
    )


def _serve(settings: Settings) -> None:
    from api.app import create_app

    if settings.WEB_CONCURRENCY > 1:
        _serve_workers(settings)
        return
    uvicorn.run(
        create_app(settings),
        host=settings.HTTP_SERVER_HOST,
        port=settings.HTTP_SERVER_PORT,
        log_level="warning",
        access_log=False,
    )


def _serve_workers(settings: Settings) -> None:
    """Several front processes on one port, sharing one Ray cluster and one database.

    This process sets up what the workers share (a local Ray when RAY_ADDRESS is unset, the
    embedded database when none is configured, the migrations) and hands it to them through
    their environment; each worker is a front of its own.
    """
    import ray

    from actors.cluster import connect

    embedded: EmbeddedPostgres | None = None
    if settings.database_configured:
        database_url = settings.database_url()
    else:
        embedded = EmbeddedPostgres(settings.DATA_DIR)
        database_url = embedded.start()
    try:
        asyncio.run(migrate(database_url))
        os.environ["PG_COMPONENT_PSQL_CONNECTION_STRING"] = database_url
        if not settings.RAY_ADDRESS:
            connect("")
            os.environ["RAY_ADDRESS"] = ray.get_runtime_context().gcs_address
        logger.info("starting front workers count=%s", settings.WEB_CONCURRENCY)
        uvicorn.run(
            "api.app:create_app_from_environment",
            factory=True,
            workers=settings.WEB_CONCURRENCY,
            host=settings.HTTP_SERVER_HOST,
            port=settings.HTTP_SERVER_PORT,
            log_level="warning",
            access_log=False,
        )
    finally:
        if ray.is_initialized():
            ray.shutdown()
        if embedded is not None:
            embedded.stop()


async def _migrate(settings: Settings) -> list[str]:
    if settings.database_configured:
        return await migrate(settings.database_url())
    embedded = EmbeddedPostgres(settings.DATA_DIR)
    try:
        return await migrate(embedded.start())
    finally:
        embedded.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="comms-gatekeeper")
    parser.add_argument("--log-level", default="info")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve HTTP (port HTTP_SERVER_PORT, default 3000)")
    commands.add_parser("migrate", help="apply the database migrations and exit")
    arguments = parser.parse_args(argv)
    configure_logging(arguments.log_level)
    os.environ["LOG_LEVEL"] = arguments.log_level

    try:
        settings = load_settings()
    except ConfigurationError as error:
        print(f"comms-gatekeeper: {error.message}", file=sys.stderr)
        return 2

    if arguments.command == "migrate":
        applied = asyncio.run(_migrate(settings))
        print(f"migrations applied: {len(applied)}")
        return 0
    _serve(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
