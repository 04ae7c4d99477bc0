"""What the authentication dependencies need, built once and kept on `app.state.auth`."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from fastapi import FastAPI, Request

from config.settings import Settings
from integrations.feature_flags import ModeratorAllowList
from integrations.signed_fetch import CatalystSignatureChecker, SignedFetchVerifier


@dataclass(frozen=True)
class AuthServices:
    verifier: SignedFetchVerifier
    moderators: ModeratorAllowList
    service_token: str
    moderator_token: str

    @classmethod
    def from_settings(cls, settings: Settings, client: httpx.AsyncClient) -> AuthServices:
        """Everything wired from the settings; `client` is the process's shared HTTP client."""
        timeout_ms = settings.OUTSIDE_REQUEST_TIMEOUT_MS
        catalyst = CatalystSignatureChecker(client, settings.CATALYST_URL, timeout_ms)
        window_ms = settings.SIGNED_FETCH_WINDOW_MS
        return cls(
            verifier=SignedFetchVerifier(window_ms=window_ms, catalyst=catalyst),
            moderators=ModeratorAllowList(client, settings.FF_URL, timeout_ms),
            service_token=settings.COMMS_GATEKEEPER_AUTH_TOKEN.get_secret_value(),
            moderator_token=settings.MODERATOR_TOKEN.get_secret_value(),
        )


def install_auth(app: FastAPI, services: AuthServices) -> None:
    app.state.auth = services


def auth_services(request: Request) -> AuthServices:
    services: AuthServices = request.app.state.auth
    return services
