"""Rate limiting like the real API: per client, 429 in the envelope with Retry-After, and
counts shared between replicas through Redis."""

from __future__ import annotations

import pytest

from ..support import DEMO_READ, HISTORY
from ..support.mock import start_server
from ..support.redis import redis_server
from ..support.tokens import signed


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
        token = signed()
        assert [mock.get(HISTORY, token).status_code for _ in range(5)] == [200] * 5
        assert_limited(mock.get(HISTORY, token))
        assert_limited(mock.get("/user/balances/", token))  # one count per client, every path
        other = mock.token(DEMO_READ)
        assert mock.get(HISTORY, other).status_code == 200
    finally:
        mock.stop()


@pytest.fixture
def redis_url(tmp_path):
    with redis_server(tmp_path) as url:
        yield url


def test_two_servers_share_one_limit_through_redis(redis_url):
    first = start_server("--rate-limit", "5/minute", "--rate-limit-storage", redis_url)
    second = start_server("--rate-limit", "5/minute", "--rate-limit-storage", redis_url)
    try:
        assert not any("runs one worker" in line for line in first.output)
        token = signed()
        codes = [server.get(HISTORY, token).status_code for server in (first, second, first, second, first)]
        assert codes == [200] * 5
        assert_limited(second.get(HISTORY, token))
        assert_limited(first.get(HISTORY, token))
    finally:
        first.stop()
        second.stop()
