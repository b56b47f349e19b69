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
    printed: threading.Condition = field(default_factory=threading.Condition)

    def wait_for_line(self, text: str, start: int = 0, timeout: float = 10) -> None:
        """Block until the server has printed a line containing ``text``."""
        with self.printed:
            found = self.printed.wait_for(lambda: any(text in line for line in self.output[start:]), timeout)
        assert found, f"the server never printed {text!r}"

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
    """Start ``balances-mock serve`` on port 0 and wait until it prints its URL (no port races)."""
    command = command or [sys.executable, "-m", "mock_server"]
    return launch([*command, "serve", "--port", "0", "--workers", "2", "--token-secret", SECRET, *args],
                  env=env, cwd=cwd)


def launch(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> MockServer:
    """Run a server command and wait for its ``... at http://host:port`` line."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}, cwd=cwd)
    output: list[str] = []
    printed = threading.Condition()
    found = threading.Event()
    url: list[str] = []

    def pump() -> None:
        for line in process.stdout:  # keeps draining, so the server never blocks on a full pipe
            with printed:
                output.append(line)
                printed.notify_all()
            if not found.is_set() and " at http://" in line:
                url.append(line.split(" at ", 1)[1].split()[0].strip())
                found.set()
        found.set()

    threading.Thread(target=pump, daemon=True).start()
    if not found.wait(START_TIMEOUT) or not url:
        process.kill()
        raise RuntimeError(f"{command} did not start:\n" + "".join(output))
    return MockServer(process, url[0], output, printed)


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
