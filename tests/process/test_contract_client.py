"""The contract suite's HTTP client against a real server: tokens renewed in time, secrets
redacted, and the environment's proxy settings honoured."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from contract_tests.client import REFRESH_MARGIN, ContractClient, Credentials, TokenSource
from contract_tests.reproduce import curl

from ..support import BALANCES, TOKEN


def test_tokens_are_renewed_before_they_expire(server):
    client = ContractClient(server.url, max_requests=10)
    now = [0.0]
    source = TokenSource(client, Credentials("demo", "demo-secret"), clock=lambda: now[0])
    first = source.token()
    assert source.token() == first and client.sent == 1
    now[0] = 3600 - REFRESH_MARGIN - 1
    assert source.token() == first and client.sent == 1
    now[0] = 3600 - REFRESH_MARGIN + 1
    second = source.token()
    assert second != first and client.sent == 2
    assert client.get(BALANCES, second).status_code == 200


def test_curl_redacts_credentials(server):
    client = ContractClient(server.url, max_requests=10)
    response = client.request("POST", TOKEN, data={"grant_type": "client_credentials", "client_id": "demo",
                                                        "client_secret": "demo-secret"})
    command = curl(response)
    assert "demo-secret" not in command and "client_secret=[REDACTED]" in command
    token = response.json()["access_token"]
    command = curl(client.get(BALANCES, token))
    assert token not in command and "Authorization: Bearer [REDACTED]" in command


@pytest.fixture
def forward_proxy() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server that answers every request with ``{}`` and keeps each request's target:
    an absolute URL when a client sends it as to a proxy, a path when it is the server asked."""
    targets: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            targets.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", targets
    server.shutdown()
    server.server_close()


def test_every_request_goes_through_the_environments_proxy_unless_no_proxy_names_the_host(forward_proxy,
                                                                                          monkeypatch):
    """A user behind a company proxy sets ``HTTP_PROXY``; the client reads it once per origin, and
    every request of the run still goes through it."""
    proxy, targets = forward_proxy
    for name in ("http_proxy", "NO_PROXY", "no_proxy"):  # the lower-case form would win over ours
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    client = ContractClient("http://api.example.invalid", max_requests=10)
    for _ in range(2):
        assert client.get(BALANCES, judged=False).status_code == 200
    assert targets == [f"http://api.example.invalid{BALANCES}"] * 2
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    direct = ContractClient(proxy, max_requests=10)  # the same server, now asked as the implementation
    assert direct.get(BALANCES, judged=False).status_code == 200
    assert targets[-1] == BALANCES
