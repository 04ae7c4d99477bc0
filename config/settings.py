"""Settings, read once from the environment.

Names and defaults are those of the reference deployment, so an existing environment file works
unchanged. The service's own settings (Ray, room hosts, data folder, outside URLs the reference
hard-codes) come last.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.errors import ConfigurationError

DEV_LIVEKIT_HOST = "ws://127.0.0.1:7880"
DEV_LIVEKIT_KEY = "devkey"
DEV_LIVEKIT_SECRET = "secret"  # noqa: S105 - the well-known key pair of `livekit-server --dev`
DEV_AUTH_TOKEN = "aToken"  # noqa: S105 - the reference's development default

_PG_PARTS = ("USER", "PASSWORD", "HOST", "PORT", "DATABASE")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        case_sensitive=True,
        extra="ignore",
        hide_input_in_errors=True,
        frozen=True,
    )

    ENV: str = "dev"

    HTTP_SERVER_HOST: str = "0.0.0.0"  # noqa: S104 - a service listens on all interfaces
    HTTP_SERVER_PORT: int = Field(default=3000, ge=0, le=65535)
    HTTP_BASE_URL: str = ""
    COMMIT_HASH: str = ""
    CURRENT_VERSION: str = ""
    SERVICE_BASE_URL: str = "https://comms-gatekeeper.decentraland.zone"

    COMMS_GATEKEEPER_AUTH_TOKEN: SecretStr = SecretStr(DEV_AUTH_TOKEN)
    MODERATOR_TOKEN: SecretStr = SecretStr("")
    FF_URL: str = "https://feature-flags.decentraland.org"

    COMMS_ROOM_PREFIX: str = "world-env-"
    WORLD_ROOM_PREFIX: str = ""
    SCENE_ROOM_PREFIX: str = ""
    PRIVATE_MESSAGES_ROOM_ID: str = "private-messages"
    ALLOW_LOCAL_PREVIEW: str = ""
    AUTHORITATIVE_SERVER_ADDRESS: str = ""

    PROD_LIVEKIT_HOST: str = ""
    PROD_LIVEKIT_API_KEY: str = ""
    PROD_LIVEKIT_API_SECRET: SecretStr = SecretStr("")
    PREVIEW_LIVEKIT_HOST: str = ""
    PREVIEW_LIVEKIT_API_KEY: str = ""
    PREVIEW_LIVEKIT_API_SECRET: SecretStr = SecretStr("")

    PLACES_API_URL: str = "https://places.decentraland.org/api"
    WORLD_CONTENT_URL: str = "https://worlds-content-server.decentraland.org"
    LAMBDAS_URL: str = "https://peer.decentraland.zone/lambdas"
    CATALYST_CONTENT_URL: str = "https://peer.decentraland.org/content"
    CONTENT_CLIENT_CACHE_MAX: int = Field(default=1000, ge=1)
    CONTENT_CLIENT_CACHE_TTL: int = Field(default=300_000, ge=0)
    DENYLIST_JSON_URL: str = "https://config.decentraland.org/denylist.json"
    SOCIAL_SERVICE_URL: str = "https://social-service-ea.decentraland.org"
    NOTIFICATION_SERVICE_URL: str = ""
    NOTIFICATION_SERVICE_TOKEN: SecretStr = SecretStr("")
    CAST2_URL: str = "https://decentraland.org/cast"

    AWS_SNS_ARN: str = ""
    AWS_SNS_ENDPOINT: str = ""
    AWS_REGION: str = "us-east-1"
    ANALYTICS_CONTEXT: str = "comms-gatekeeper"
    ANALYTICS_API_URL: str = ""
    ANALYTICS_API_TOKEN: SecretStr = SecretStr("")
    ANALYTICS_REQUEST_TIMEOUT: int = Field(default=10_000, ge=1)

    VOICE_CHAT_CONNECTION_INTERRUPTED_TTL: int = Field(default=300_000, ge=0)
    VOICE_CHAT_INITIAL_CONNECTION_TTL: int = Field(default=300_000, ge=0)
    COMMUNITY_VOICE_CHAT_NO_MODERATOR_TTL: int = Field(default=300_000, ge=0)
    VOICE_CHAT_EXPIRED_BATCH_SIZE: int = Field(default=50, ge=1)

    PG_COMPONENT_PSQL_CONNECTION_STRING: SecretStr = SecretStr("")
    PG_COMPONENT_PSQL_USER: str = "postgres"
    PG_COMPONENT_PSQL_PASSWORD: SecretStr = SecretStr("pass1234")
    PG_COMPONENT_PSQL_HOST: str = "localhost"
    PG_COMPONENT_PSQL_PORT: int = Field(default=5450, ge=1, le=65535)
    PG_COMPONENT_PSQL_DATABASE: str = "comms_gatekeeper"

    # The service's own settings.
    RAY_ADDRESS: str = ""
    WEB_CONCURRENCY: int = Field(default=1, ge=1, le=64)
    OPENTELEMETRY: bool = False
    ROOM_HOSTS: int = Field(default=2, ge=1, le=1024)
    ROOM_IDLE_SECONDS: float = Field(default=300.0, gt=0)
    DATA_DIR: Path = Path(".data")
    DATABASE_POOL_SIZE: int = Field(default=10, ge=1, le=200)
    SIGNED_FETCH_WINDOW_MS: int = Field(default=60_000, ge=0)
    CATALYST_URL: str = "https://peer.decentraland.org"
    LAND_LEASE_AUTHORIZATIONS_URL: str = (
        "https://decentraland.github.io/linker-server-authorizations/authorizations.json"
    )
    OUTSIDE_REQUEST_TIMEOUT_MS: int = Field(default=5_000, ge=1)

    @field_validator("ENV")
    @classmethod
    def _env_is_known(cls, value: str) -> str:
        return value.strip() or "dev"

    @property
    def is_dev(self) -> bool:
        return self.ENV == "dev"

    @property
    def database_configured(self) -> bool:
        """Whether an outside database was named; if not, the embedded one is started."""
        names = {"PG_COMPONENT_PSQL_CONNECTION_STRING"}
        names |= {f"PG_COMPONENT_PSQL_{part}" for part in _PG_PARTS}
        return bool(names & self.model_fields_set)

    def database_url(self) -> str:
        """The configured database as a URL; only meaningful when one is configured."""
        url = self.PG_COMPONENT_PSQL_CONNECTION_STRING.get_secret_value()
        if url:
            return url
        user = quote(self.PG_COMPONENT_PSQL_USER, safe="")
        password = quote(self.PG_COMPONENT_PSQL_PASSWORD.get_secret_value(), safe="")
        return (
            f"postgresql://{user}:{password}@{self.PG_COMPONENT_PSQL_HOST}:"
            f"{self.PG_COMPONENT_PSQL_PORT}/{self.PG_COMPONENT_PSQL_DATABASE}"
        )

    @property
    def livekit_host(self) -> str:
        return self.PROD_LIVEKIT_HOST or (DEV_LIVEKIT_HOST if self.is_dev else "")

    @property
    def livekit_api_key(self) -> str:
        return self.PROD_LIVEKIT_API_KEY or (DEV_LIVEKIT_KEY if self.is_dev else "")

    @property
    def livekit_api_secret(self) -> str:
        secret = self.PROD_LIVEKIT_API_SECRET.get_secret_value()
        return secret or (DEV_LIVEKIT_SECRET if self.is_dev else "")

    @property
    def local_preview_allowed(self) -> bool:
        return self.ALLOW_LOCAL_PREVIEW == "true"

    def check(self) -> None:
        """Refuse settings a production service must not run with."""
        if self.is_dev:
            return
        for name, value in (
            ("PROD_LIVEKIT_HOST", self.livekit_host),
            ("PROD_LIVEKIT_API_KEY", self.livekit_api_key),
            ("PROD_LIVEKIT_API_SECRET", self.livekit_api_secret),
        ):
            if not value:
                raise ConfigurationError(f"{name} is required when ENV is {self.ENV!r}")
        if (self.livekit_api_key, self.livekit_api_secret) == (DEV_LIVEKIT_KEY, DEV_LIVEKIT_SECRET):
            raise ConfigurationError(
                "PROD_LIVEKIT_API_KEY/PROD_LIVEKIT_API_SECRET hold the development key pair, "
                f"which is refused when ENV is {self.ENV!r}"
            )
        token = self.COMMS_GATEKEEPER_AUTH_TOKEN.get_secret_value()
        if not token or token == DEV_AUTH_TOKEN:
            raise ConfigurationError(
                f"COMMS_GATEKEEPER_AUTH_TOKEN must be set to a secret of its own when ENV is "
                f"{self.ENV!r}"
            )


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, or stop with a message that names each bad variable."""
    try:
        settings = Settings(**overrides)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from None
    settings.check()
    return settings
