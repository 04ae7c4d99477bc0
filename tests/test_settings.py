"""Settings: reference names and defaults, refusals that name the variable, no leaked secrets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config.errors import ConfigurationError
from config.settings import Settings, load_settings


def test_defaults_are_the_reference_ones_and_a_local_dev_livekit() -> None:
    settings = load_settings()
    assert settings.COMMS_ROOM_PREFIX == "world-env-"
    assert settings.SCENE_ROOM_PREFIX == ""
    assert settings.PRIVATE_MESSAGES_ROOM_ID == "private-messages"
    assert settings.PLACES_API_URL == "https://places.decentraland.org/api"
    assert settings.VOICE_CHAT_EXPIRED_BATCH_SIZE == 50
    assert (settings.livekit_host, settings.livekit_api_key) == ("ws://127.0.0.1:7880", "devkey")
    assert settings.livekit_api_secret == "secret"
    assert not settings.database_configured


def test_database_url_is_built_from_the_reference_parts() -> None:
    settings = load_settings(PG_COMPONENT_PSQL_HOST="db", PG_COMPONENT_PSQL_PASSWORD="p@ss")
    assert settings.database_configured
    assert settings.database_url() == "postgresql://postgres:p%40ss@db:5450/comms_gatekeeper"
    whole = load_settings(PG_COMPONENT_PSQL_CONNECTION_STRING="postgresql://u@h/d")
    assert whole.database_url() == "postgresql://u@h/d"


def test_malformed_setting_is_refused_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="ROOM_HOSTS"):
        load_settings(ROOM_HOSTS="many")
    with pytest.raises(ConfigurationError, match="HTTP_SERVER_PORT"):
        load_settings(HTTP_SERVER_PORT=70000)


def test_outside_dev_the_livekit_settings_are_required() -> None:
    with pytest.raises(ConfigurationError, match="PROD_LIVEKIT_HOST"):
        load_settings(ENV="prd", COMMS_GATEKEEPER_AUTH_TOKEN="t" * 32)


def test_outside_dev_the_dev_key_pair_and_default_token_are_refused() -> None:
    livekit = {
        "PROD_LIVEKIT_HOST": "wss://livekit.example",
        "PROD_LIVEKIT_API_KEY": "devkey",
        "PROD_LIVEKIT_API_SECRET": "secret",
    }
    with pytest.raises(ConfigurationError, match="development key pair"):
        load_settings(ENV="prd", COMMS_GATEKEEPER_AUTH_TOKEN="t" * 32, **livekit)
    livekit["PROD_LIVEKIT_API_SECRET"] = "a-real-secret-of-enough-length-000000"
    with pytest.raises(ConfigurationError, match="COMMS_GATEKEEPER_AUTH_TOKEN"):
        load_settings(ENV="prd", **livekit)
    accepted = load_settings(ENV="prd", COMMS_GATEKEEPER_AUTH_TOKEN="t" * 32, **livekit)
    assert accepted.livekit_api_key == "devkey"


def test_secrets_never_appear_in_the_representation() -> None:
    settings = Settings(
        PROD_LIVEKIT_API_SECRET="livekit-secret-value",
        COMMS_GATEKEEPER_AUTH_TOKEN="service-token-value",
        PG_COMPONENT_PSQL_CONNECTION_STRING="postgresql://u:db-password@h/d",
        PG_COMPONENT_PSQL_PASSWORD="db-password",
    )
    shown = repr(settings) + str(settings) + str(settings.model_dump())
    for secret in ("livekit-secret-value", "service-token-value", "db-password"):
        assert secret not in shown


def test_malformed_settings_stop_the_command_with_the_variable_named(tmp_path: Path) -> None:
    command = Path(sys.executable).with_name("comms-gatekeeper")
    done = subprocess.run(  # noqa: S603 - our own command
        [str(command), "serve"],
        env={"PATH": "/usr/bin:/bin", "ROOM_HOSTS": "zero", "DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "ROOM_HOSTS" in done.stderr
