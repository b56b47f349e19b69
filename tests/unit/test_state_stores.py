"""The state stores keep one promise, whichever holds the state: a decision runs atomically on
the account's tail, the version moves exactly when something changed, and a reader asking
what is new since its last look gets exactly that, or everything after a reset.

One suite, run against the memory store, a SQLite file and a throw-away redis-server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from mock_server.errors import ApiError
from mock_server.ledger.bookings import MAX_MICRO, Booked, Outcome, Tail, Transaction, book, move_clock
from mock_server.ledger.ledger import REFERENCE_TIME, Entry
from mock_server.state import StateUrlError, Store, open_store

from ..support.redis import redis_server
from ..support.stores import KINDS, open_fresh

ACCOUNT = "demo@0123456789abcdef"
OTHER = "qa@fedcba9876543210"
INITIAL = Tail(clock=REFERENCE_TIME, newest=REFERENCE_TIME, balances={"USDTERC20": 500_000_000})
"""500 USDTERC20 and a clock at the reference time, as a base ledger would give."""


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=KINDS)
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Store]:
    opened = open_fresh(request.param, tmp_path, lambda: request.getfixturevalue("redis_url"))
    yield opened
    opened.close()


def deposit(amount: int, currency: str = "USDTERC20", timestamp: int | None = None) -> Transaction:
    return Transaction("deposit", currency, amount, timestamp)


def withdrawal(amount: int, currency: str = "USDTERC20") -> Transaction:
    return Transaction("withdrawal", currency, amount)


def booked(store: Store, transaction: Transaction, key: str | None = None, account: str = ACCOUNT) -> Booked:
    result = store.update(account, INITIAL, book(transaction, key), key)
    assert isinstance(result, Booked)
    return result


def test_version_moves_on_every_change_and_only_then(store):
    assert store.version(ACCOUNT) == 0
    assert store.read(ACCOUNT, 0, 0).version == 0
    booked(store, deposit(1_000_000))
    assert store.version(ACCOUNT) == 1
    store.update(ACCOUNT, INITIAL, move_clock({"advance": 0}))  # the clock does not move
    with pytest.raises(ApiError):
        booked(store, withdrawal(10**12))
    assert store.version(ACCOUNT) == 1
    store.update(ACCOUNT, INITIAL, move_clock({"advance": 60}))
    assert store.version(ACCOUNT) == 2
    booked(store, deposit(1))
    assert store.version(ACCOUNT) == 3
    store.reset(ACCOUNT)
    assert store.version(ACCOUNT) == 4
    assert store.version(OTHER) == 0
    assert store.read(ACCOUNT, 0, 0).version == store.version(ACCOUNT)



def test_look_gives_the_version_and_whether_the_client_has_a_fault_in_one_call(store, tmp_path):
    """What every read asks first. On SQLite a second connection (another worker) changes both,
    and the first one's cached answer follows."""
    from mock_server.state.records import Fault

    assert store.look(ACCOUNT, "demo") == (0, False)
    booked(store, deposit(1_000_000))
    fault = store.faults.arm("demo", Fault("/user/balances/", None, 503, 1))
    assert store.look(ACCOUNT, "demo") == (1, True)
    assert store.look(ACCOUNT, "qa") == (1, False) and store.look(OTHER, "demo") == (0, True)
    assert store.faults.take("demo", "GET", "/user/balances/").id == fault.id  # its last time
    assert store.look(ACCOUNT, "demo") == (1, False)
    if store.url.startswith("sqlite"):
        other = open_store(store.url)
        try:
            other.faults.arm("qa", Fault("/user/balances/", None, 503, 1))
            other.update(ACCOUNT, INITIAL, book(deposit(1), None))
        finally:
            other.close()
        assert store.look(ACCOUNT, "qa") == (2, True)

def test_read_since_returns_only_the_new_rows(store):
    first = [booked(store, deposit(n * 1_000_000)).entry for n in (1, 2, 3)]
    snapshot = store.read(ACCOUNT, 0, 0)
    assert (snapshot.epoch, snapshot.since, snapshot.rows) == (0, 0, first)
    assert snapshot.tail is not None and snapshot.tail.booked == 3
    assert store.read(ACCOUNT, 0, 2).rows == first[2:]
    assert store.read(ACCOUNT, 0, 3).rows == []
    fourth = booked(store, withdrawal(4_000_000)).entry
    newer = store.read(ACCOUNT, 0, 3)
    assert (newer.since, newer.rows, newer.version) == (3, [fourth], 4)


def test_read_after_a_reset_returns_everything_from_the_start(store):
    for n in range(3):
        booked(store, deposit(1_000_000 + n))
    before = store.read(ACCOUNT, 0, 0)
    store.reset(ACCOUNT)
    after_reset = store.read(ACCOUNT, before.epoch, 3)
    assert (after_reset.epoch, after_reset.since, after_reset.rows, after_reset.tail) == (before.epoch + 1, 0, [], None)
    again = [booked(store, deposit(7_000_000 + n)).entry for n in range(2)]
    # A reader still at the old epoch with 1 row read: the new epoch has 2 rows, both new to it.
    snapshot = store.read(ACCOUNT, before.epoch, 1)
    assert (snapshot.epoch, snapshot.since, snapshot.rows) == (before.epoch + 1, 0, again)
    assert store.read(ACCOUNT, snapshot.epoch, 1).rows == again[1:]


def test_update_decides_on_the_initial_tail_then_on_the_stored_one(store):
    first = booked(store, deposit(1_000_000)).entry
    assert first == Entry(REFERENCE_TIME, "USDTERC20", "deposit", 1_000_000, 501_000_000)
    elsewhere = Tail(clock=0, newest=None, balances={"USDTERC20": 0})
    result = store.update(ACCOUNT, elsewhere, book(deposit(2_000_000)))  # the stored tail wins
    assert isinstance(result, Booked)
    assert result.entry == Entry(REFERENCE_TIME + 1, "USDTERC20", "deposit", 2_000_000, 503_000_000)
    tail = store.read(ACCOUNT, 0, 0).tail
    assert tail == Tail(clock=REFERENCE_TIME + 2, newest=REFERENCE_TIME + 1, balances={"USDTERC20": 503_000_000},
                        booked=2)
    assert booked(store, deposit(5, "SOL"), account=OTHER).entry.balance_after == 5  # its own initial tail


def test_a_decision_that_raises_writes_nothing(store):
    booked(store, deposit(1_000_000))
    before = store.read(ACCOUNT, 0, 0)

    def half_done(tail: Tail, remembered: object) -> Outcome:
        raise RuntimeError("the decision failed")

    with pytest.raises(RuntimeError):
        store.update(ACCOUNT, INITIAL, half_done, "key-1")
    with pytest.raises(ApiError) as refused:
        booked(store, withdrawal(10**12), "key-2")
    assert refused.value.code == "insufficient_funds"
    assert store.read(ACCOUNT, 0, 0) == before
    # A refused request is not remembered: the same key books another transaction.
    assert not booked(store, deposit(3), "key-2").replayed


def test_idempotency_keys_are_remembered_until_reset(store):
    first = booked(store, deposit(1_500_000), "order-1")
    assert not first.replayed
    version = store.version(ACCOUNT)
    again = booked(store, deposit(1_500_000), "order-1")
    assert again == Booked(first.entry, replayed=True)
    assert store.version(ACCOUNT) == version and len(store.read(ACCOUNT, 0, 0).rows) == 1
    with pytest.raises(ApiError) as reused:
        booked(store, deposit(2_000_000), "order-1")
    assert (reused.value.status, reused.value.code) == (409, "idempotency_key_reused")
    assert booked(store, deposit(1_500_000), "order-1", account=OTHER).replayed is False  # keys are per account
    store.reset(ACCOUNT)
    fresh = booked(store, deposit(2_000_000), "order-1")
    assert not fresh.replayed and fresh.entry.amount == 2_000_000


def test_reset_bumps_version_and_epoch_and_forgets_the_account(store):
    booked(store, deposit(1_000_000))
    store.update(ACCOUNT, INITIAL, move_clock({"advance": 3600}))
    store.reset(ACCOUNT)
    snapshot = store.read(ACCOUNT, 0, 0)
    assert (snapshot.version, snapshot.epoch, snapshot.tail, snapshot.rows) == (3, 1, None, [])
    store.reset(OTHER)  # never touched: a reset still counts
    assert (store.version(OTHER), store.read(OTHER, 0, 0).epoch) == (1, 1)
    store.reset(ACCOUNT)
    assert (store.version(ACCOUNT), store.read(ACCOUNT, 1, 0).epoch) == (4, 2)
    assert booked(store, deposit(1)).entry.balance_after == 500_000_001  # from the initial tail again


def test_64_bit_balances_survive_the_store(store):
    top = booked(store, deposit(MAX_MICRO, "WHALE")).entry
    assert top.balance_after == MAX_MICRO
    snapshot = store.read(ACCOUNT, 0, 0)
    assert snapshot.rows == [top] and snapshot.tail is not None and snapshot.tail.balances["WHALE"] == MAX_MICRO


def test_concurrent_updates_lose_nothing_and_never_overdraw(store):
    """Threads of one process, each with its own connection (SQLite) or pipeline (Redis)."""
    threads, each = 8, 20
    start = threading.Barrier(threads)

    def run(_: int) -> int:
        refused = 0
        start.wait()
        for _ in range(each):
            booked(store, deposit(1_000_000))
            try:
                booked(store, withdrawal(100_000_000))  # some fit, most do not
            except ApiError as error:
                assert error.code == "insufficient_funds"
                refused += 1
        return refused

    with ThreadPoolExecutor(threads) as pool:
        refused = sum(pool.map(run, range(threads)))
    rows = store.read(ACCOUNT, 0, 0).rows
    assert len(rows) == 2 * threads * each - refused
    assert store.version(ACCOUNT) == len(rows)
    balance = INITIAL.balances["USDTERC20"]
    for row in rows:
        balance += row.amount if row.type == "deposit" else -row.amount
        assert row.balance_after == balance >= 0
    assert [row.timestamp for row in rows] == list(range(REFERENCE_TIME, REFERENCE_TIME + len(rows)))


@pytest.mark.parametrize(("url", "says"), [
    ("ftp://x", "unknown state store 'ftp://x': use sqlite:///path/state.db, redis://host:port/N or memory://"),
    ("sqlite:///no/such/dir/x.db", "the folder no/such/dir does not exist"),
    ("sqlite:///", "a SQLite state is sqlite:///relative/path.db or sqlite:////absolute/path.db"),
    ("sqlite:///:memory:", "use memory://"),
    ("redis://127.0.0.1:1/0", "cannot use the Redis state at redis://127.0.0.1:1/0: "),
    ("redis://:hunter2@127.0.0.1:1/0", "cannot use the Redis state at redis://***@127.0.0.1:1/0: "),
])
def test_unusable_urls_are_refused_with_what_to_write(url, says):
    with pytest.raises(StateUrlError) as refused:
        open_store(url)
    message = str(refused.value)
    assert says in message and "\n" not in message
    assert "hunter2" not in message


def test_a_folder_is_no_sqlite_database(tmp_path):
    with pytest.raises(StateUrlError, match="cannot use .* as a SQLite database"):
        open_store(f"sqlite:///{tmp_path}")


def test_sqlite_reads_skip_the_data_version_pragma_only_while_nothing_was_committed(tmp_path):
    """A SQLite reader asks ``PRAGMA data_version`` only when the WAL index's header moved: every
    commit of another connection (another worker's, another process's, after a checkpoint that
    restarts the WAL too) is still seen by the next read, and a read with nothing committed
    since asks no statement at all."""
    import subprocess
    import sys
    from pathlib import Path

    from mock_server.state.records import Fault
    from mock_server.state.sqlite import SqliteStore

    reader, writer = SqliteStore(tmp_path / "state.db"), SqliteStore(tmp_path / "state.db")
    statements: list[str] = []
    assert reader.look(ACCOUNT, "demo") == (0, False)
    reader._connection().set_trace_callback(statements.append)
    for _ in range(3):
        assert reader.look(ACCOUNT, "demo") == (0, False)
    statements.clear()
    assert reader.look(ACCOUNT, "demo") == (0, False)
    assert statements == []  # nothing committed: no pragma, no query

    for expected in range(1, 4):  # another connection's commits, each seen by the next read
        booked(writer, deposit(1_000_000))
        assert reader.look(ACCOUNT, "demo") == (expected, False)
        assert reader.version(ACCOUNT) == expected
    writer.faults.arm("demo", Fault("/user/balances/", None, 503, 1))
    assert reader.look(ACCOUNT, "demo") == (3, True)
    writer.faults.disarm("demo")
    assert reader.look(ACCOUNT, "demo") == (3, False)

    # A checkpoint that truncates the WAL, then a commit that restarts it from its first frame.
    writer._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    booked(writer, deposit(1_000_000))
    assert reader.look(ACCOUNT, "demo") == (4, False)

    # Another process's commit.
    code = (f"from mock_server.state.sqlite import SqliteStore\n"
            f"from tests.unit.test_state_stores import booked, deposit\n"
            f"booked(SqliteStore({str(tmp_path / 'state.db')!r}), deposit(1_000_000))\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
    assert reader.look(ACCOUNT, "demo") == (5, False)

    # The reader's own commit moves the header, not its data_version: its caches stay right.
    booked(reader, deposit(1_000_000))
    assert reader.look(ACCOUNT, "demo") == (6, False)
    assert writer.look(ACCOUNT, "demo") == (6, False)
    reader.close()
    writer.close()
