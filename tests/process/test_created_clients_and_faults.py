"""Created clients and armed faults in real processes: two granian workers on the default
SQLite state know a client created through either, and a fault armed for 5 requests fails
exactly 5 of 20 that race on fresh connections, whichever worker answers each."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from ..support import HISTORY
from ..support.mock import MockServer, start_server
from ..support.sandbox import Sandbox

CONNECTIONS = 20


@pytest.fixture(scope="module")
def workers_server() -> Iterator[MockServer]:
    mock = start_server("--quiet")  # two workers, a temporary SQLite state
    yield mock
    mock.stop()


@pytest.fixture(scope="module")
def created(workers_server: MockServer) -> tuple[str, str]:
    answer = Sandbox(workers_server.url).post("/__sandbox/clients", {"scenario": "paging", "seed": 9})
    assert answer.status_code == 201, answer.text
    return answer.json()["client_id"], answer.json()["client_secret"]


def test_a_created_client_works_on_every_connection(workers_server, created):
    """Each Sandbox is a new connection with a token of its own: over both workers, surely."""
    sessions = [Sandbox(workers_server.url, created) for _ in range(CONNECTIONS)]
    for session in sessions:
        account = session.account()
        assert (account["account"], account["scenario"], account["seed"]) == (created[0], "paging", 9)
        session.close()


def test_a_fault_armed_for_5_requests_fails_exactly_5_of_20_racing(workers_server, created):
    owner = Sandbox(workers_server.url, created)
    assert owner.post("/__sandbox/faults", {"path": HISTORY, "status": 503, "times": 5}).status_code == 201
    sessions = [Sandbox(workers_server.url, created) for _ in range(CONNECTIONS)]
    start = threading.Barrier(CONNECTIONS)

    def read(session: Sandbox) -> requests.Response:
        start.wait()
        return session.get(HISTORY, {"limit": 1})

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        answers = list(pool.map(read, sessions))
    assert Counter(answer.status_code for answer in answers) == {503: 5, 200: 15}
    assert all(answer.headers["Retry-After"] == "30" for answer in answers if answer.status_code == 503)
    assert owner.get("/__sandbox/faults").json() == {"faults": []}
    assert Sandbox(workers_server.url).get(HISTORY).status_code == 200  # demo never met the fault
