"""The FastAPI application: its parts are started by the lifespan and stopped in reverse."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from api.auth import AuthServices, install_auth
from api.errors import install_error_handlers
from api.routes import health, moderation
from api.routes import private_messages as private_messages_routes
from api.routes import scenes as scene_routes
from api.routes import voice as voice_routes
from api.routes import webhook as webhook_routes
from api.runtime import Runtime
from api.webhooks.front import VoiceFront
from config.settings import Settings, load_settings

_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await Runtime.start(settings)
        app.state.runtime = runtime
        install_auth(app, AuthServices.from_settings(settings, runtime.services.http))
        app.state.voice = VoiceFront(runtime)
        await app.state.voice.start()
        try:
            yield
        finally:
            await app.state.voice.stop()
            await runtime.stop()

    app = FastAPI(
        title="comms-gatekeeper",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # FastAPI's native OpenTelemetry looks providers up on every request (about 80 µs);
        # it runs only when an operator asks for it.
        telemetry=None if settings.OPENTELEMETRY else _NO_TELEMETRY,
    )
    app.state.settings = settings
    install_error_handlers(app)
    # LiveKit's webhooks are the busiest path: matched first.
    app.router.routes.insert(0, webhook_routes.route)
    app.include_router(scene_routes.router)
    app.include_router(private_messages_routes.router)
    app.include_router(health.router)
    app.include_router(moderation.router)
    app.include_router(voice_routes.router)
    return app


def create_app_from_environment() -> FastAPI:
    """The factory each front worker process calls: settings from its environment."""
    from api.cli import configure_logging

    configure_logging(os.environ.get("LOG_LEVEL", "info"))
    return create_app(load_settings())
