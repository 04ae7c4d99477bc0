"""`comms-gatekeeper serve` and `comms-gatekeeper migrate`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

import uvicorn

from config.errors import ConfigurationError
from config.settings import Settings, load_settings
from storage.embedded import EmbeddedPostgres
from storage.migrate import migrate

logger = logging.getLogger("comms_gatekeeper")


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s level=%(levelname)s component=%(name)s %(message)s",
        stream=sys.stderr,
    )


def _serve(settings: Settings) -> None:
    from api.app import create_app

    uvicorn.run(
        create_app(settings),
        host=settings.HTTP_SERVER_HOST,
        port=settings.HTTP_SERVER_PORT,
        log_level="warning",
        access_log=False,
    )


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
    _configure_logging(arguments.log_level)

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
