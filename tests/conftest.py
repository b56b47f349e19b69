"""Shared fixtures: real mock server processes, tokens, and the spec."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import yaml
from openapi_core import OpenAPI

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "spec" / "openapi.yaml"
SECRET = "test-secret-that-is-long-enough-for-hs256"
START_TIMEOUT = 60


@dataclass
class MockServer:
    """A ``balances-mock serve`` process on a free port."""

    process: subprocess.Popen
    url: str
    output: list[str] = field(default_factory=list)

    def token(self, client_id: str = "demo", secret: str = "demo-secret", scope: str | None = None) -> str:
        data = {"grant_type": "client_credentials"}
        if scope is not None:
            data["scope"] = scope
        response = requests.post(f"{self.url}/o/token/", data=data, auth=(client_id, secret), timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def get(self, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.get(f"{self.url}{path}", headers=headers, timeout=10, **kwargs)

    def stop(self) -> int:
        self.process.terminate()
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def start_server(*args: str, command: list[str] | None = None, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> MockServer:
    """Start a server and wait until it prints its URL (it binds port 0, so no races)."""
    command = command or [sys.executable, "-m", "mock_server"]
    full = [*command, "serve", "--port", "0", "--workers", "2", "--token-secret", SECRET, *args]
    process = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}, cwd=cwd)
    output: list[str] = []
    found = threading.Event()
    url: list[str] = []

    def pump() -> None:
        for line in process.stdout:  # keeps draining, so the server never blocks on a full pipe
            output.append(line)
            if not found.is_set() and " at http://" in line:
                url.append(line.split(" at ", 1)[1].strip())
                found.set()
        found.set()

    threading.Thread(target=pump, daemon=True).start()
    if not found.wait(START_TIMEOUT) or not url:
        process.kill()
        raise RuntimeError("mock server did not start:\n" + "".join(output))
    return MockServer(process, url[0], output)


@pytest.fixture(scope="session")
def server() -> Iterator[MockServer]:
    mock = start_server()
    yield mock
    mock.stop()


@pytest.fixture(scope="session")
def token(server: MockServer) -> str:
    return server.token()


@pytest.fixture(scope="session")
def read_token(server: MockServer) -> str:
    return server.token("demo-read")


@pytest.fixture(scope="session")
def spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text())


@pytest.fixture(scope="session")
def openapi_for(spec):
    """openapi-core bound to a server URL, to validate real responses against the spec."""

    def bind(url: str) -> OpenAPI:
        bound = copy.deepcopy(spec)
        bound["servers"] = [{"url": url}]
        return OpenAPI.from_dict(bound)

    return bind
