"""The Dockerfile, deploy/compose.yaml and deploy/haproxy.cfg agree with the package and with
each other: what a reader would otherwise have to keep in step by hand."""

from __future__ import annotations

import re
import tomllib

from mock_server.serving.ports import Ports

from ..support import ROOT, read_yaml

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = read_yaml(ROOT / "deploy" / "compose.yaml")
HAPROXY = (ROOT / "deploy" / "haproxy.cfg").read_text(encoding="utf-8")


def test_the_image_label_gives_the_version_pyproject_gives_the_package():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert f'org.opencontainers.image.version="{version}"' in DOCKERFILE


def test_the_base_is_a_build_argument_defaulting_to_the_official_python_image_one_arg_a_line():
    arguments = [line for line in DOCKERFILE.splitlines() if line.startswith("ARG ")]
    assert arguments[0] == "ARG BASE=python:3.12-slim"
    assert all(len(line.split()) == 2 for line in arguments), arguments
    assert 'ENTRYPOINT ["balances-mock"]' in DOCKERFILE and 'CMD ["serve", "--host", "0.0.0.0"]' in DOCKERFILE


def test_every_image_of_the_deployment_is_a_variable_with_a_default():
    images = {name: service["image"] for name, service in COMPOSE["services"].items()}
    assert images == {"redis": "${REDIS_IMAGE:-redis:7}", "mock": "${BALANCES_MOCK_IMAGE:-balances-mock:latest}",
                      "lb": "${LB_IMAGE:-haproxy:2.8}"}


def test_the_token_secret_comes_from_the_environment_and_is_in_no_file():
    environment = COMPOSE["services"]["mock"]["environment"]
    assert "BALANCES_MOCK_TOKEN_SECRET" in environment and environment["BALANCES_MOCK_TOKEN_SECRET"] is None


def test_the_load_balancer_knows_every_port_a_replica_may_take():
    ports = Ports.parse(COMPOSE["services"]["mock"]["environment"]["BALANCES_MOCK_PORT"])
    servers = re.findall(r"^\s*server replica(\d+) 127\.0\.0\.1:(\d+)$", HAPROXY, re.MULTILINE)
    assert [(int(n), int(port)) for n, port in servers] == [
        (port - ports.first + 1, port) for port in range(ports.first, ports.last + 1)]
