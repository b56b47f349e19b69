"""Rate limiting like the real API: per client, 429 in the envelope with Retry-After, and
counts shared between replicas through Redis."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys

import pytest

from .conftest import start_server
from .test_faults import signed_token

HISTORY = "/user/balances/history/"


def assert_limited(response) -> None:
    assert response.status_code == 429
    assert response.headers["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "rate_limit_exceeded" and "5 per 1 minute" in error["message"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert int(error["details"]["retry_after"]) == int(response.headers["Retry-After"])


def test_limit_per_client_in_one_server():
    mock = start_server("--rate-limit", "5/minute")
    try:
        assert any("runs one worker" in line for line in mock.output)
        token = signed_token()
        assert [mock.get(HISTORY, token).status_code for _ in range(5)] == [200] * 5
        assert_limited(mock.get(HISTORY, token))
        assert_limited(mock.get("/user/balances/", token))  # one count per client, every path
        other = mock.token("demo-read")
        assert mock.get(HISTORY, other).status_code == 200
    finally:
        mock.stop()


def test_bad_limits_are_a_usage_error():
    result = subprocess.run([sys.executable, "-m", "mock_server", "serve", "--rate-limit", "lots"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--rate-limit" not in result.stdout and "Traceback" not in result.stderr


@pytest.fixture
def redis_url(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        if "Ready to accept connections" in line:
            break
    yield f"redis://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


def test_two_servers_share_one_limit_through_redis(redis_url):
    first = start_server("--rate-limit", "5/minute", "--rate-limit-storage", redis_url)
    second = start_server("--rate-limit", "5/minute", "--rate-limit-storage", redis_url)
    try:
        assert not any("runs one worker" in line for line in first.output)
        token = signed_token()
        codes = [server.get(HISTORY, token).status_code for server in (first, second, first, second, first)]
        assert codes == [200] * 5
        assert_limited(second.get(HISTORY, token))
        assert_limited(first.get(HISTORY, token))
    finally:
        first.stop()
        second.stop()
