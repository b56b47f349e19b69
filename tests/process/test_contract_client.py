"""The contract suite's HTTP client on its own: tokens renewed in time, deterministic runs."""

from __future__ import annotations

import subprocess
import sys

import requests

from contract_tests.client import REFRESH_MARGIN, ContractClient, Credentials, TokenSource, curl

from .conftest import ROOT, start_server


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
    assert client.get("/user/balances/", second).status_code == 200


def test_curl_redacts_credentials(server):
    client = ContractClient(server.url, max_requests=10)
    response = client.request("POST", "/o/token/", data={"grant_type": "client_credentials", "client_id": "demo",
                                                        "client_secret": "demo-secret"})
    command = curl(response)
    assert "demo-secret" not in command and "client_secret=[REDACTED]" in command
    token = response.json()["access_token"]
    command = curl(client.get("/user/balances/", token))
    assert token not in command and "Authorization: Bearer [REDACTED]" in command


def test_generated_requests_are_the_same_on_every_run(tmp_path):
    """The default run is deterministic: two runs send the same requests (read from the access
    log, sorted, since log lines of concurrent threads may interleave)."""
    mock = start_server()
    try:
        def requests_sent(run: int) -> list[str]:
            before = len(mock.output)
            result = subprocess.run(
                [sys.executable, "-m", "pytest", str(ROOT / "contract_tests"), "-q", "-k", "test_schema",
                 "--base-url", mock.url, "--client-id", "demo", "--client-secret", "demo-secret"],
                capture_output=True, text=True, timeout=300, cwd=ROOT)
            assert result.returncode == 0, result.stdout
            marker = f"/end-of-run-{run}"
            requests.get(mock.url + marker, timeout=10)
            mock.wait_for_line(marker, start=before)
            lines = [line for line in mock.output[before:] if 'query="' in line and marker not in line]
            return sorted(line.split('" ', 1)[0] + line.split('query="', 1)[1].split('"')[0]
                          for line in lines if "/o/token/" not in line)

        first, second = requests_sent(1), requests_sent(2)
        assert len(first) > 50 and first == second
    finally:
        mock.stop()

