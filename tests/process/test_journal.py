"""The request journal in real processes: a read on any worker sees every request answered
before it, whichever worker answered it; stopping loses none; replicas sharing Redis share one
journal."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from ..support import BALANCES, HISTORY
from ..support.mock import MockServer, start_server
from ..support.redis import redis_server

REQUESTS = "/__sandbox/requests"


def read(url: str, token: str, **params: Any) -> dict[str, Any]:
    """The journal, read on a new connection (so any worker may answer)."""
    answer = requests.get(f"{url}{REQUESTS}", params={"limit": 1000, **params},
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def burst(urls: list[str], token: str, count: int) -> list[str]:
    """``count`` reads from 8 threads, each on a new connection, spread over ``urls``; the queries sent."""
    queries = [f"limit={1 + n % 100}&offset={n}" for n in range(count)]

    def get(n: int) -> int:
        answer = requests.get(f"{urls[n % len(urls)]}{HISTORY}?{queries[n]}", timeout=10,
                              headers={"Authorization": f"Bearer {token}"})
        return answer.status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(get, range(count))) == {200}
    return queries


def test_a_read_on_any_worker_sees_every_request_answered_before_it(tmp_path: Path):
    state = f"sqlite:///{tmp_path / 'state.db'}"
    server = start_server("--quiet", "--state", state)  # two workers
    try:
        token = server.token()
        for _ in range(3):
            latest = read(server.url, token, limit=1)["latest"]
            sent = burst([server.url], token, 60)
            page = read(server.url, token, since=latest)  # at once: no polling
            assert page["total"] == 60
            assert sorted(entry["query"] for entry in page["requests"]) == sorted(sent)
            numbers = [entry["seq"] for entry in page["requests"]]
            assert numbers == sorted(set(numbers)) and numbers[0] > latest
        unread = burst([server.url], token, 20)
    finally:
        assert server.stop() == 0  # at once, the last requests perhaps not written yet
    again = start_server("--quiet", "--state", state)
    try:
        tail = read(again.url, again.token())["requests"][-21:-1]  # before the new token request
        assert sorted(entry["query"] for entry in tail) == sorted(unread)
    finally:
        again.stop()


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[tuple[MockServer, MockServer]]:
    with redis_server(tmp_path) as url, ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: start_server("--quiet", "--state", f"{url}/0"), range(2))
        try:
            yield first, second
        finally:
            first.stop()
            second.stop()


def test_replicas_sharing_redis_share_one_journal(replicas):
    first, second = replicas
    first.wait_for_line("stop with Ctrl-C")
    assert f"  journal: the last 10,000 requests, each client's at {first.url}/__sandbox/requests;" in "".join(
        first.output)
    token = first.token()  # one secret: valid on both
    latest = read(first.url, token, limit=1)["latest"]
    sent = burst([first.url, second.url], token, 40)
    requests.get(f"{second.url}{BALANCES}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    deadline = time.monotonic() + 2  # the other replica's requests: within a fifth of a second
    while True:
        pages = [read(server.url, token, since=latest) for server in replicas]
        if all(page["total"] == 41 for page in pages) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert pages[0] == pages[1] and pages[0]["total"] == 41
    assert sorted(entry["query"] for entry in pages[0]["requests"] if entry["path"] == HISTORY) == sorted(sent)
    numbers = [entry["seq"] for entry in pages[0]["requests"]]
    assert numbers == sorted(set(numbers))
    cleared = requests.delete(f"{second.url}{REQUESTS}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert cleared.json() == {"cleared": 42}  # the token request too
    assert read(first.url, token)["total"] == 0
