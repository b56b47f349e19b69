"""The stores of created clients and armed faults keep one promise whichever holds the state: a
client created through one store is known through any other on the same state, and a fault
armed for N requests fires exactly N times, first armed first, however many connections race.

One suite, run against the memory store, a SQLite file and a throw-away redis-server; "another
store on the same state" is a second connection (SQLite) or client (Redis), as another worker
or replica would open it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mock_server.state import Store, open_store
from mock_server.state.records import ArmedFault, ClientRecord, Fault

from ..support.redis import redis_server
from ..support.stores import KINDS, state_url

HISTORY = "/user/balances/history/"
BALANCES = "/user/balances/"
RECORD = ClientRecord("sandbox-0123456789ab", "ab" * 32, frozenset({"read"}), "whale", 2**63 - 1, None)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=KINDS)
def state(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return state_url(request.param, tmp_path, lambda: request.getfixturevalue("redis_url"))


@pytest.fixture
def store(state: str) -> Iterator[Store]:
    opened = open_store(state)
    yield opened
    opened.close()


@pytest.fixture
def elsewhere(state: str, store: Store) -> Iterator[Store]:
    """Another worker's store on the same state; the same one for memory://, which has no other."""
    if state == "memory://":
        yield store
        return
    opened = open_store(state)
    yield opened
    opened.close()


# -- created clients ------------------------------------------------------------------------

def test_a_created_client_is_known_on_the_same_state_and_its_id_is_never_taken_twice(store, elsewhere):
    assert store.clients.get(RECORD.client_id) is None
    assert store.clients.add(RECORD)
    assert elsewhere.clients.get(RECORD.client_id) == RECORD
    impostor = ClientRecord(RECORD.client_id, "cd" * 32, frozenset({"read", "write"}), "default", 1, 5)
    assert not elsewhere.clients.add(impostor)
    assert store.clients.get(RECORD.client_id) == RECORD
    sized = ClientRecord("sandbox-ba9876543210", "ef" * 32, frozenset({"read", "write"}), "paging", 0, 100_000)
    assert elsewhere.clients.add(sized)
    assert store.clients.get(sized.client_id) == sized
    assert store.clients.get("sandbox-ffffffffffff") is None


# -- armed faults -----------------------------------------------------------------------------

def test_faults_are_listed_per_client_in_firing_order_with_increasing_ids(store, elsewhere):
    first = store.faults.arm("demo", Fault(HISTORY, None, 429, 2))
    second = elsewhere.faults.arm("demo", Fault(BALANCES, "GET", 503, 1, 250, retry_after=1))
    third = store.faults.arm("other", Fault(HISTORY, None, 500, 3))
    assert first == ArmedFault(first.id, HISTORY, None, 429, 2, 0, None)
    assert second == ArmedFault(second.id, BALANCES, "GET", 503, 1, 250, 1)
    assert first.id < second.id < third.id
    assert elsewhere.faults.armed("demo") == [first, second]
    assert store.faults.armed("other") == [third]
    assert store.faults.armed("nobody") == []


def test_a_fault_fires_as_many_times_as_armed_first_armed_first(store, elsewhere):
    first = store.faults.arm("demo", Fault(HISTORY, None, 429, 2))
    second = store.faults.arm("demo", Fault(HISTORY, "GET", 503, 1, retry_after=0))
    fired = [elsewhere.faults.take("demo", "GET", HISTORY), store.faults.take("demo", "GET", HISTORY)]
    assert [(f.id, f.status, f.times_left) for f in fired] == [(first.id, 429, 1), (first.id, 429, 0)]
    assert elsewhere.faults.armed("demo") == [second]
    assert store.faults.take("demo", "GET", HISTORY) == ArmedFault(second.id, HISTORY, "GET", 503, 0, 0, 0)
    assert elsewhere.faults.take("demo", "GET", HISTORY) is None
    assert store.faults.armed("demo") == []


def test_a_fault_matches_its_path_exactly_its_method_if_it_has_one_and_its_client_only(store, elsewhere):
    store.faults.arm("demo", Fault(HISTORY, "POST", 429, 1))
    store.faults.arm("demo", Fault(BALANCES, None, 500, 1))
    for client, method, path in (("demo", "GET", HISTORY), ("demo", "GET", HISTORY[:-1]), ("demo", "GET", "/"),
                                 ("demo-read", "GET", BALANCES), ("demo-read", "POST", HISTORY)):
        assert elsewhere.faults.take(client, method, path) is None, (client, method, path)
    assert elsewhere.faults.take("demo", "DELETE", BALANCES).status == 500  # no method: any method
    assert store.faults.take("demo", "POST", HISTORY).status == 429
    assert store.faults.armed("demo") == []


def test_disarm_counts_the_clients_faults_and_leaves_the_others(store, elsewhere):
    store.faults.arm("demo", Fault(HISTORY, None, 429, 5))
    store.faults.arm("demo", Fault(BALANCES, None, 503, 1))
    kept = store.faults.arm("demo-read", Fault(HISTORY, None, 429, 1))
    assert elsewhere.faults.take("demo", "GET", HISTORY) is not None  # the other store has read the faults
    assert store.faults.disarm("demo") == 2
    assert elsewhere.faults.take("demo", "GET", HISTORY) is None
    assert elsewhere.faults.armed("demo") == [] and elsewhere.faults.armed("demo-read") == [kept]
    assert elsewhere.faults.disarm("demo") == 0
    assert store.faults.arm("demo", Fault(HISTORY, None, 429, 1)).id > kept.id  # ids are never reused


def test_racing_takes_fire_a_fault_exactly_as_many_times_as_armed(store, elsewhere):
    """Threads over two stores on one state (two connections, two Redis clients): 5 of 40 fire."""
    store.faults.arm("demo", Fault(HISTORY, None, 503, 5))
    threads = 8
    start = threading.Barrier(threads)

    def run(index: int) -> int:
        mine = (store, elsewhere)[index % 2]
        start.wait()
        return sum(mine.faults.take("demo", "GET", HISTORY) is not None for _ in range(5))

    with ThreadPoolExecutor(threads) as pool:
        assert sum(pool.map(run, range(threads))) == 5
    assert store.faults.armed("demo") == []


def test_a_sqlite_request_with_no_fault_for_it_reads_no_table(tmp_path):
    """The hot path: no statement while nothing was committed (the WAL index's header has not
    moved); after a commit, one ``PRAGMA data_version``, and tables read only if it moved."""
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    store.faults.take("demo", "GET", HISTORY)  # opens this thread's connection
    statements: list[str] = []
    store._connection().set_trace_callback(statements.append)  # type: ignore[attr-defined]
    for _ in range(3):
        assert store.faults.take("demo", "GET", HISTORY) is None
    assert statements == ["PRAGMA data_version"]  # the header it saw is kept from then on
    other = sqlite3.connect(tmp_path / "state.db")
    with other:
        other.execute("INSERT INTO faults (client, path, method, status, times_left, delay_ms) "
                      "VALUES ('demo-read', ?, NULL, 429, 1, 0)", (HISTORY,))
    other.close()
    statements.clear()
    for _ in range(2):
        assert store.faults.take("demo", "GET", HISTORY) is None  # another client's fault
    assert statements == ["PRAGMA data_version", "SELECT DISTINCT client, path FROM faults"]
    assert store.faults.take("demo-read", "GET", HISTORY) is not None
    store.close()
