"""The mock as tests reach it: in-process through Flask's test client, or as a real
``balances-mock serve`` process. Both offer the same small surface (``token``, ``get``,
``post_token``), so a test reads the same at either level."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from werkzeug.test import TestResponse

from mock_server import Settings, create_app
from mock_server.testing.launcher import ServerProcess, launch

from . import DEMO, SECRET, TOKEN, forkserver

CLI = forkserver.MODULE


def grant(scope: str | None = None) -> dict[str, str]:
    """The form of a client-credentials token request, for ``scope`` or every scope."""
    return {"grant_type": "client_credentials", **({"scope": scope} if scope is not None else {})}


class InProcessMock:
    """An app from ``create_app(settings)`` behind Flask's test client: no sockets, no processes."""

    def __init__(self, settings: Settings | None = None, app: Flask | None = None) -> None:
        self.app = app or create_app(settings or Settings(token_secret=SECRET))
        self.client = self.app.test_client()

    def post_token(self, data: Any = None, auth: tuple[str, str] | None = None,
                   headers: dict[str, str] | None = None) -> TestResponse:
        return self.client.post(TOKEN, data=data, auth=auth, headers=headers or {})

    def token(self, client: tuple[str, str] = DEMO, scope: str | None = None) -> str:
        response = self.post_token(grant(scope), client)
        assert response.status_code == 200, response.text
        return response.json["access_token"]

    def get(self, path: str, token: str | None = None, params: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> TestResponse:
        return self.request("GET", path, token, params, headers)

    def post(self, path: str, token: str | None = None, json: Any = None, headers: dict[str, str] | None = None,
             **kwargs: Any) -> TestResponse:
        return self.request("POST", path, token, headers=headers, json=json, **kwargs)

    def request(self, method: str, path: str, token: str | None = None, params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None, **kwargs: Any) -> TestResponse:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        return self.client.open(path, method=method, query_string=params, headers=sent, **kwargs)


@dataclass
class MockServer:
    """A ``balances-mock serve`` process on a free port, with the helpers tests need."""

    process: ServerProcess

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def output(self) -> list[str]:
        return self.process.output

    def wait_for_line(self, text: str, start: int = 0, timeout: float = 10) -> None:
        assert self.process.wait_for_line(text, start, timeout), f"the server never printed {text!r}"

    def post_token(self, data: Any = None, auth: tuple[str, str] | None = None,
                   headers: dict[str, str] | None = None) -> requests.Response:
        return requests.post(f"{self.url}{TOKEN}", data=data, auth=auth, headers=headers, timeout=10)

    def token(self, client: tuple[str, str] = DEMO, scope: str | None = None) -> str:
        response = self.post_token(grant(scope), client)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.get(f"{self.url}{path}", headers=headers, timeout=10, **kwargs)

    def stop(self) -> int:
        return self.process.stop()


def start_server(*args: str, command: list[str] | None = None, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> MockServer:
    """``balances-mock serve`` on port 0 with two workers and the tests' secret, once it listens."""
    command = command or CLI
    return MockServer(launch_cli([*command, "serve", "--port", "0", "--workers", "2", "--token-secret", SECRET, *args],
                                 env=env, cwd=cwd))


def launch_cli(command: list[str], **kwargs: Any) -> ServerProcess:
    """``launch`` for the tests: ``python -m mock_server ...`` forked from the test process's fork
    server (``forkserver``), a command of any other form (the wheel's) as a real process."""
    return launch(command, popen=forkserver.popen, **kwargs)
