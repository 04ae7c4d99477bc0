"""The compose file wires a database, a Ray head and worker, and a front that joins them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from config.settings import Settings

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict)
    return dict(document["services"])


def test_compose_has_the_four_services(services: dict[str, Any]) -> None:
    assert set(services) == {"postgres", "ray-head", "ray-worker", "front"}


def test_every_dependency_names_a_service_and_healthy_waits_have_checks(
    services: dict[str, Any],
) -> None:
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if rule.get("condition") == "service_healthy":
                assert "healthcheck" in services[dependency], dependency


def test_front_joins_the_ray_head_and_uses_the_database_service(
    services: dict[str, Any],
) -> None:
    head_port = services["ray-head"]["command"].split("--port=")[1].split()[0]
    front_env = services["front"]["environment"]
    assert front_env["RAY_ADDRESS"] == f"ray-head:{head_port}"
    assert f"--address=ray-head:{head_port}" in services["ray-worker"]["command"]
    database = front_env["PG_COMPONENT_PSQL_CONNECTION_STRING"]
    assert "@postgres:5432/" in database
    postgres_env = services["postgres"]["environment"]
    assert database.endswith("/" + postgres_env["POSTGRES_DB"])
    assert f"{postgres_env['POSTGRES_USER']}:{postgres_env['POSTGRES_PASSWORD']}@" in database


def test_every_variable_given_to_the_service_is_a_setting(services: dict[str, Any]) -> None:
    known = set(Settings.model_fields)
    for name in ("ray-head", "ray-worker", "front"):
        unknown = set(services[name]["environment"]) - known
        assert not unknown, f"{name} sets unknown variables {unknown}"


def test_front_publishes_the_port_it_serves_on(services: dict[str, Any]) -> None:
    front = services["front"]
    port = front["environment"]["HTTP_SERVER_PORT"]
    assert f"{port}:{port}" in front["ports"]
    assert f"127.0.0.1:{port}/health/ready" in " ".join(front["healthcheck"]["test"])
