"""The FastAPI application: its parts are started by the lifespan and stopped in reverse."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.auth import AuthServices, install_auth
from api.errors import install_error_handlers
from api.routes import health, moderation
from api.runtime import Runtime
from config.settings import Settings, load_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await Runtime.start(settings)
        app.state.runtime = runtime
        install_auth(app, AuthServices.from_settings(settings, runtime.services.http))
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="comms-gatekeeper",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(moderation.router)
    return app


def create_app_from_environment() -> FastAPI:
    """The factory each front worker process calls: settings from its environment."""
    from api.cli import configure_logging

    configure_logging(os.environ.get("LOG_LEVEL", "info"))
    return create_app(load_settings())
