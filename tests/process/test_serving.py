"""The server as a process: start-up banner, access log, replicas, command-line options."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import requests
from click.testing import CliRunner

from mock_server.commands.main import main

from ..support import BALANCES, DEMO, HISTORY, TOKEN
from ..support.mock import CLI, start_server

ACCESS_LINE = re.compile(r'^\S+ "(\w+) (\S+)" query="([^"]*)" (\d{3}) [\d.]+ms$')
"""An access-log line: method, path, query and status."""
PATHS = [BALANCES, HISTORY, f"{HISTORY}?limit=100&offset=50", f"{HISTORY}?currency=ETH&type=deposit"]


def test_banner_names_url_and_demo_clients(server):
    server.wait_for_line("stop with Ctrl-C")  # the banner's last line: the URL line comes first
    banner = "".join(server.output)
    assert server.url.startswith("http://127.0.0.1:")
    assert "demo / demo-secret: read write" in banner
    assert "demo-read / demo-secret: read" in banner


def test_access_log_has_one_line_per_request_and_no_token_or_secret():
    mock = start_server()
    token = mock.token()
    secrets = ["wrong-secret-123", token, token[:-3] + "abc"]
    mock.get(f"{HISTORY}?limit=3&offset=17", token)
    mock.post_token({"grant_type": "client_credentials"}, ("demo", "wrong-secret-123"))
    mock.post_token({"grant_type": "client_credentials", "client_id": "demo", "client_secret": "wrong-secret-123"})
    mock.get(BALANCES, token[:-3] + "abc")
    mock.get(f"{HISTORY}?limit=abc", token)
    mock.stop()
    log = "".join(mock.output)
    logged = Counter(ACCESS_LINE.match(line).groups() for line in mock.output if ' query="' in line)
    assert logged == Counter({("POST", TOKEN, "", "200"): 1, ("GET", HISTORY, "limit=3&offset=17", "200"): 1,
                              ("POST", TOKEN, "", "401"): 2, ("GET", BALANCES, "", "401"): 1,
                              ("GET", HISTORY, "limit=abc", "400"): 1}), log
    for secret in secrets:
        assert secret not in log
    assert "demo-secret\n" not in log.replace("demo / demo-secret", "")


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
        body = other.get(HISTORY, other.token()).json()
        assert body["total"] == 50
        assert other.get(BALANCES, other.token()).content != server.get(BALANCES, token).content
    finally:
        other.stop()


def test_random_secret_warns_and_replicas_reject_each_other():
    a = start_server("--token-secret", "")
    b = start_server("--token-secret", "")
    try:
        assert any("random" in line for line in a.output)
        assert b.get(BALANCES, a.token()).status_code == 401
    finally:
        a.stop()
        b.stop()


def test_help_lists_every_option():
    result = subprocess.run([*CLI, "serve", "--help"], capture_output=True, text=True, timeout=60)
    for option in ("--host", "--port", "--workers", "--seed", "--entries", "--clients",
                   "--token-secret", "--token-ttl", "--quiet", "BALANCES_MOCK_TOKEN_SECRET"):
        assert option in result.stdout


def test_quiet_turns_the_access_log_off_and_token_ttl_sets_expires_in():
    mock = start_server("--quiet", "--token-ttl", "120")
    try:
        response = requests.post(f"{mock.url}{TOKEN}", data={"grant_type": "client_credentials"}, auth=DEMO,
                                 timeout=10)
        assert response.json()["expires_in"] == 120
        mock.get(f"{HISTORY}?limit=2&offset=9", response.json()["access_token"])
    finally:
        mock.stop()
    assert not any("offset=9" in line for line in mock.output)


def test_console_script_runs():
    script = Path(sys.executable).with_name("balances-mock")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "serve" in result.stdout


def test_a_history_the_scenario_cannot_have_is_a_usage_error():
    result = CliRunner().invoke(main, ["serve", "--scenario", "empty", "--entries", "5"])
    assert result.exit_code == 2 and result.exception is not None and "Traceback" not in result.output
    assert "Invalid value for '--entries': the empty scenario has no currencies" in result.output
