"""The server as a process: start-up banner, logs, replicas, clients file, clean stop."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from .conftest import start_server

PATHS = ["/user/balances/", "/user/balances/history/", "/user/balances/history/?limit=100&offset=50",
         "/user/balances/history/?currency=ETH&type=deposit"]


def test_banner_names_url_and_demo_clients(server):
    banner = "".join(server.output)
    assert server.url.startswith("http://127.0.0.1:")
    assert "demo / demo-secret: read write" in banner
    assert "demo-read / demo-secret: read" in banner


def test_access_log_has_one_line_per_request_without_secrets(server, token):
    server.get("/user/balances/history/?limit=3&offset=17", token)
    marker = 'query="limit=3&offset=17"'
    requests.post(f"{server.url}/o/token/", data={"grant_type": "client_credentials"},
                  auth=("demo", "demo-secret"), timeout=10)
    server.wait_for_line(marker)
    server.wait_for_line('"POST /o/token/')
    log = "".join(server.output)
    assert sum(marker in line for line in server.output) == 1
    assert token not in log and "demo-secret\n" not in log.replace("demo / demo-secret", "")


def test_two_replicas_answer_identically_and_share_tokens():
    first, second = start_server("--seed", "42"), start_server("--seed", "42")
    try:
        first_token, second_token = first.token(), second.token()
        for path in PATHS:
            a, b = first.get(path, second_token), second.get(path, first_token)
            assert a.status_code == b.status_code == 200
            assert a.content == b.content, path
    finally:
        first.stop()
        second.stop()


def test_seed_and_entries_change_the_data(server, token):
    other = start_server("--seed", "2", "--entries", "50")
    try:
        body = other.get("/user/balances/history/", other.token()).json()
        assert body["total"] == 50
        assert other.get("/user/balances/", other.token()).content != server.get("/user/balances/", token).content
    finally:
        other.stop()


def test_random_secret_warns_and_replicas_reject_each_other():
    a = start_server("--token-secret", "")
    b = start_server("--token-secret", "")
    try:
        assert any("random" in line for line in a.output)
        assert b.get("/user/balances/", a.token()).status_code == 401
    finally:
        a.stop()
        b.stop()


def test_clients_file_adds_clients(tmp_path):
    clients = tmp_path / "clients.yaml"
    clients.write_text("clients:\n  - client_id: ci-bot\n    client_secret: s3cret-value\n    scopes: read\n")
    mock = start_server("--clients", str(clients))
    try:
        assert "s3cret-value" not in "".join(mock.output)
        token = mock.token("ci-bot", "s3cret-value")
        assert mock.get("/user/balances/history/", token).status_code == 200
        assert mock.get("/user/balances/", token).status_code == 403
        assert mock.token("demo", "demo-secret")
    finally:
        mock.stop()


@pytest.mark.parametrize(("content", "message"), [
    ("clients: nope", "expected a top-level 'clients:' list"),
    ("clients:\n  - client_id: x\n", "clients[0].client_secret: required"),
    ("clients:\n  - {client_id: x, client_secret: y, scopes: [admin]}\n", "unknown scope admin"),
    ("clients: [\n", "not valid YAML"),
    ("clients:\n  - {client_id: x, client_secret: y, colour: blue}\n", "clients[0]: unknown key colour"),
    ("clients:\n  - {client_id: x, client_secret: y, scenario: huge}\n", "unknown scenario 'huge'"),
    ("clients:\n  - {client_id: x, client_secret: y, seed: many}\n", "clients[0].seed: expected an integer"),
])
def test_bad_clients_file_is_a_clear_error(tmp_path, content, message):
    clients = tmp_path / "clients.yaml"
    clients.write_text(content)
    result = subprocess.run([sys.executable, "-m", "mock_server", "serve", "--clients", str(clients)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_missing_clients_file_is_a_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mock_server", "serve", "--clients", str(tmp_path / "no.yaml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "cannot read" in result.stderr and "Traceback" not in result.stderr


def test_sigterm_stops_cleanly():
    mock = start_server()
    mock.get("/user/balances/", mock.token())
    mock.process.send_signal(signal.SIGTERM)
    assert mock.process.wait(timeout=15) == 0


def test_help_lists_every_option():
    result = subprocess.run([sys.executable, "-m", "mock_server", "serve", "--help"],
                            capture_output=True, text=True, timeout=60)
    for option in ("--host", "--port", "--workers", "--seed", "--entries", "--clients",
                   "--token-secret", "--token-ttl", "--quiet", "BALANCES_MOCK_TOKEN_SECRET"):
        assert option in result.stdout


def test_quiet_turns_the_access_log_off_and_token_ttl_sets_expires_in():
    mock = start_server("--quiet", "--token-ttl", "120")
    try:
        response = requests.post(f"{mock.url}/o/token/", data={"grant_type": "client_credentials"},
                                 auth=("demo", "demo-secret"), timeout=10)
        assert response.json()["expires_in"] == 120
        mock.get("/user/balances/history/?limit=2&offset=9", response.json()["access_token"])
    finally:
        mock.stop()
    assert not any("offset=9" in line for line in mock.output)


def test_ctrl_c_stops_cleanly():
    mock = start_server()
    mock.process.send_signal(signal.SIGINT)
    assert mock.process.wait(timeout=15) == 0


def test_console_script_runs():
    script = Path(sys.executable).with_name("balances-mock")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "serve" in result.stdout
