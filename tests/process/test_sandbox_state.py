"""The sandbox's state in real processes: workers and replicas share it without losing or
doubling a booking or overdrawing, it survives ``kill -9`` and restarts, it belongs to the
base it was booked on, and the same calls give the same bytes on any fresh server."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import random
import signal
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from ..support import ACCOUNT, BALANCES, CLOCK, HISTORY, RESET
from ..support.assertions import assert_envelope
from ..support.contract import CREDENTIALS, SMALL_WINDOW, WITHOUT_SCHEMA, run_contract
from ..support.mock import MockServer, start_server
from ..support.redis import redis_server
from ..support.sandbox import Entry, Sandbox, check_books, check_chain, units

CURRENCIES = ("USDTERC20", "ETH", "SANDBOXUSD")
"""Two of the base account's currencies (ETH at zero in seed 1) and a new one."""


@pytest.fixture(scope="module")
def workers_server() -> Iterator[MockServer]:
    """Two worker processes sharing the default state (a temporary SQLite file)."""
    mock = start_server("--quiet")
    yield mock
    mock.stop()


# -- many clients at once ------------------------------------------------------------------

@dataclass
class Load:
    """What a concurrent run was answered."""

    booked: list[Entry] = field(default_factory=list)
    """The body of every fresh 201 (a booking), in no particular order."""
    by_key: dict[str, Entry] = field(default_factory=dict)
    replays: list[tuple[str, Entry]] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, response: requests.Response, key: str | None = None) -> Entry | None:
        """Counts the answer; the booked entry of a 201, None for a 409 (which must be one we expect)."""
        with self.lock:
            self.statuses[response.status_code] += 1
        if response.status_code == 409:
            assert response.json()["error"]["code"] in ("insufficient_funds", "idempotency_key_reused"), response.text
            return None
        assert response.status_code == 201, response.text
        entry = response.json()
        with self.lock:
            if response.headers.get("Idempotent-Replayed") == "true":
                self.replays.append((key or "", entry))
            else:
                self.booked.append(entry)
                if key:
                    assert key not in self.by_key, f"{key} booked twice"
                    self.by_key[key] = entry
        return entry


def run_load(urls: Sequence[str], threads: int = 8, operations: int = 100) -> Load:
    """``threads`` clients (spread over ``urls``), each with ``operations`` mixed calls on the demo
    account: deposits, withdrawals of which some overdraw, keyed bookings sent twice, keys
    every thread sends with the same transaction, a key reused for another one, and reads that
    must already show the thread's own newest booking."""
    load = Load()
    start = threading.Barrier(threads)

    def client(index: int) -> None:
        rng = random.Random(index)
        try:
            sandbox = Sandbox(urls[index % len(urls)])
        except BaseException:
            start.abort()  # the others stop waiting for a client that will never come
            raise
        newest_seen = ""
        start.wait()
        for n in range(operations):
            draw, currency = rng.random(), rng.choice(CURRENCIES)
            if n % 10 == 5:  # every thread, the same key and transaction: one booking in all
                shared = f"shared-{n // 10}"
                entry = load.record(sandbox.book("deposit", "SANDBOXUSD", f"{n // 10 + 1}.5", shared), shared)
            elif draw < 0.40:
                entry = load.record(sandbox.book("deposit", currency, units(rng.randint(1, 50_000_000))))
            elif draw < 0.75:
                entry = load.record(sandbox.book("withdrawal", currency, units(rng.randint(1, 80_000_000))))
            elif draw < 0.90:
                key, kind = f"thread-{index}-{n}", rng.choice(("deposit", "withdrawal"))
                amount = units(rng.randint(1, 20_000_000))
                entry = load.record(sandbox.book(kind, currency, amount, key), key)
                again = load.record(sandbox.book(kind, currency, amount, key), key)
                if entry is not None:
                    assert again == entry
                    reused = sandbox.book(kind, currency, units(rng.randint(20_000_001, 30_000_000)), key)
                    assert_envelope(reused, 409, "idempotency_key_reused")
                    load.record(reused)
            else:  # a read, from whichever worker or replica answers it
                page = sandbox.get(HISTORY, {"limit": 1})
                assert page.status_code == 200, page.text
                assert page.json()["history"][0]["timestamp"] >= newest_seen, "a read missed this client's booking"
                entry = None
            if entry is not None:
                newest_seen = max(newest_seen, entry["timestamp"])
        sandbox.close()

    with ThreadPoolExecutor(threads) as pool:
        clients = [pool.submit(client, i) for i in range(threads)]
    failed = [error for error in (done.exception() for done in clients) if error is not None]
    if failed:  # what went wrong first, rather than the broken barrier it left the others
        raise next((error for error in failed if not isinstance(error, threading.BrokenBarrierError)), failed[0])
    return load


def check_load(sandbox: Sandbox, before: list[Entry], load: Load) -> list[Entry]:
    """The account after ``load``: every booking exactly once, on top of the untouched history
    ``before``, newest first; the books add up; every replay is the booking of its key."""
    history = sandbox.history()
    fresh = len(load.booked)
    assert len(history) == len(before) + fresh
    assert history[fresh:] == before
    assert Counter(map(json.dumps, history[:fresh])) == Counter(map(json.dumps, load.booked))
    stamps = [entry["timestamp"] for entry in history[:fresh]]
    assert stamps == sorted(set(stamps), reverse=True), "booked entries are strictly ordered by time"
    check_books(history, sandbox.balances())
    for key, replay in load.replays:
        assert replay == load.by_key[key]
    assert {f"shared-{k}" for k in range(10)} <= load.by_key.keys()
    assert sandbox.account()["booked_entries"] >= fresh
    assert set(load.statuses) <= {201, 409}, load.statuses
    return history


def test_workers_share_the_state_without_losing_or_doubling_a_booking(workers_server):
    sandbox = Sandbox(workers_server.url)
    before = sandbox.history()
    booked_before = sandbox.account()["booked_entries"]
    load = run_load([workers_server.url])
    check_load(sandbox, before, load)
    assert sandbox.account()["booked_entries"] == booked_before + len(load.booked)
    assert load.statuses[409] > 50 and len(load.booked) > 300 and len(load.replays) > 70


def test_withdrawals_that_together_overdraw_book_only_what_fits(workers_server):
    sandbox = Sandbox(workers_server.url)
    assert sandbox.book("deposit", "DOUBLESPEND", "30").status_code == 201
    clients = [Sandbox(workers_server.url) for _ in range(10)]
    start = threading.Barrier(len(clients))

    def withdraw(client: Sandbox) -> requests.Response:
        start.wait()
        return client.book("withdrawal", "DOUBLESPEND", "10")

    with ThreadPoolExecutor(len(clients)) as pool:
        answers = list(pool.map(withdraw, clients))
    assert sorted(answer.status_code for answer in answers) == [201] * 3 + [409] * 7
    for answer in answers:
        if answer.status_code == 409:
            assert_envelope(answer, 409, "insufficient_funds")
    assert sorted(answer.json()["balance_after"] for answer in answers if answer.status_code == 201) == [
        "0.000000", "10.000000", "20.000000"]
    assert sandbox.balances()["account"]["DOUBLESPEND"] == "0.000000"


def test_a_reset_on_one_worker_is_seen_by_every_worker(workers_server):
    sandbox = Sandbox(workers_server.url)
    for amount in ("1", "2", "3"):
        assert sandbox.book("deposit", "USDTERC20", amount).status_code == 201
    readers = [Sandbox(workers_server.url) for _ in range(8)]  # connections spread over both workers,
    for reader in readers:  # each of which now holds the account with its bookings
        assert reader.get(HISTORY, {"limit": 1}).status_code == 200
    assert sandbox.post(RESET).json()["booked_entries"] == 0
    base_newest = sandbox.get(HISTORY, {"limit": 1}).json()["history"][0]
    booked = sandbox.book("deposit", "ETH", "0.5")
    assert booked.json()["timestamp"] == "2025-01-15T09:30:00Z"  # the clock is back at the base's
    for reader in readers:
        page = reader.get(HISTORY, {"limit": 2}).json()
        assert page["history"] == [booked.json(), base_newest]
        assert page["total"] == sandbox.account()["base_entries"] + 1


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    with redis_server(tmp_path) as url:
        yield url


def test_replicas_share_the_state_through_redis(redis_url):
    state = f"{redis_url}/0"
    first, second = start_server("--quiet", "--state", state), start_server("--quiet", "--state", state)
    try:
        first.wait_for_line("stop with Ctrl-C")
        assert f"  sandbox: {first.url}/__sandbox/ (state: {state});" in "".join(first.output)
        one, other = Sandbox(first.url), Sandbox(second.url)
        for sandbox, elsewhere in ((one, other), (other, one)) * 3:  # answered on one, read on the other
            booked = sandbox.book("deposit", "USDTERC20", "1.25")
            assert booked.status_code == 201
            assert elsewhere.get(HISTORY, {"limit": 1}).json()["history"] == [booked.json()]
            assert elsewhere.balances()["account"]["USDTERC20"] == booked.json()["balance_after"]
        before = one.history()
        load = run_load([first.url, second.url])
        check_load(one, before, load)
        for path in (BALANCES, f"{HISTORY}?limit=100", f"{HISTORY}?currency=SANDBOXUSD&limit=7&offset=3", ACCOUNT):
            assert one.get(path).content == other.get(path).content, path
    finally:
        first.stop()
        second.stop()


# -- what survives ---------------------------------------------------------------------------

def test_every_answered_booking_survives_kill_9(tmp_path):
    state = f"sqlite:///{tmp_path / 'state.db'}"  # the absolute form: sqlite:////tmp/...
    server = start_server("--quiet", "--state", state)
    group = server.process.process.pid
    assert os.getpgid(group) == group
    answered: list[Entry] = []
    refused: list[str] = []
    mid_burst = threading.Event()

    def burst(index: int) -> None:
        sandbox = Sandbox(server.url)
        for n in range(10_000):
            try:
                response = sandbox.book("deposit", CURRENCIES[index], units(1_000_000 + n))
            except requests.RequestException:  # the server is gone
                return
            if response.status_code == 201:
                answered.append(response.json())
                if len(answered) >= 60:
                    mid_burst.set()
            else:
                refused.append(response.text)

    bursts = [threading.Thread(target=burst, args=(i,)) for i in range(2)]
    try:
        for thread in bursts:
            thread.start()
        mid_burst.wait(timeout=20)
    finally:
        server.process.kill()  # the server and its workers, mid-burst
    for thread in bursts:
        thread.join(timeout=20)
    assert server.process.process.wait(timeout=10) == -signal.SIGKILL
    assert len(answered) >= 60 and not refused, refused

    restarted = start_server("--quiet", "--state", state)
    try:
        sandbox = Sandbox(restarted.url)
        history = sandbox.history()
        booked = sandbox.account()["booked_entries"]
        assert booked >= len(answered)  # a booking may commit and die before its answer
        assert all(entry in history[:booked] for entry in answered)
        check_books(history, sandbox.balances())
    finally:
        restarted.stop()


def test_workers_left_by_a_killed_main_process_still_book_durably(tmp_path):
    """``kill -9`` of the main process alone leaves granian's workers serving. Each holds its
    own SQLite locks, so a program that opens and closes the state meanwhile (``sqlite3
    state.db``) knows it is not the last one and leaves the write-ahead log in place."""
    path = tmp_path / "state.db"
    server = start_server("--quiet", "--state", f"sqlite:///{path}")
    group = server.process.process.pid
    try:
        sandbox = Sandbox(server.url)
        answered = [sandbox.book("deposit", "USDTERC20", "1").json() for _ in range(3)]
        os.kill(group, signal.SIGKILL)
        server.process.process.wait(timeout=10)
        look = sqlite3.connect(path)
        assert look.execute("SELECT count(*) FROM entries").fetchone() == (3,)
        look.close()
        for _ in range(3):
            booked = sandbox.book("deposit", "USDTERC20", "2")  # answered by a worker left behind
            assert booked.status_code == 201
            answered.append(booked.json())
    finally:
        with contextlib.suppress(ProcessLookupError):
            server.process.kill()  # the workers too: they kept the group
    restarted = start_server("--quiet", "--state", f"sqlite:///{path}")
    try:
        history = Sandbox(restarted.url).history()
        assert [entry for entry in answered if entry not in history] == []
    finally:
        restarted.stop()


def test_a_sqlite_state_survives_a_restart_and_belongs_to_its_base(tmp_path):
    state = "sqlite:///state.db"  # relative to the server's folder
    first = start_server("--quiet", "--state", state, cwd=tmp_path)
    try:
        sandbox = Sandbox(first.url)
        kept = sandbox.book("deposit", "USDTERC20", "70", "kept-key")
        assert kept.status_code == 201
        assert sandbox.post(CLOCK, {"advance": 3600}).status_code == 200
        assert sandbox.book("withdrawal", "USDTERC20", "20.5").status_code == 201
        seen = [sandbox.get(path).content for path in (HISTORY, BALANCES, CLOCK, ACCOUNT)]
    finally:
        stopped = first.stop()
    assert stopped == 0 and (tmp_path / "state.db").is_file()

    # The same base and another one (seed 2) on the same state file, at once.
    with ThreadPoolExecutor(2) as pool:
        same, other = pool.map(lambda seed: start_server("--quiet", "--state", state, *seed, cwd=tmp_path),
                               ((), ("--seed", "2")))
    try:
        again = Sandbox(same.url)
        assert [again.get(path).content for path in (HISTORY, BALANCES, CLOCK, ACCOUNT)] == seen
        replayed = again.book("deposit", "USDTERC20", "70.000000", "kept-key")  # keys are kept too
        assert replayed.headers.get("Idempotent-Replayed") == "true" and replayed.content == kept.content

        elsewhere = Sandbox(other.url)
        account = elsewhere.account()
        assert (account["seed"], account["booked_entries"], account["clock"]) == (2, 0, "2025-01-15T09:30:00Z")
        assert elsewhere.get(HISTORY, {"limit": 1}).json()["total"] == account["base_entries"]
        fresh = elsewhere.book("deposit", "USDTERC20", "70.000000", "kept-key")  # not this base's key
        assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh.headers
    finally:
        same.stop()
        other.stop()


# -- same calls, same bytes --------------------------------------------------------------------

def script(sandbox: Sandbox) -> list[tuple[int, str | None, bytes]]:
    """A fixed sequence of sandbox calls and reads: every answer's status, replay header and bytes."""
    calls = [
        lambda: sandbox.book("deposit", "USDTERC20", "100"),
        lambda: sandbox.book("withdrawal", "ETH", "1"),  # 409: ETH is at zero
        lambda: sandbox.book("deposit", "ETH", "2.5", "order-1"),
        lambda: sandbox.book("deposit", "ETH", "2.500000", "order-1"),  # replayed
        lambda: sandbox.post(CLOCK, {"advance": 86_400}),
        lambda: sandbox.book("deposit", "NEWCOIN", "0.000001", timestamp="2025-03-01T00:00:00Z"),
        lambda: sandbox.post(CLOCK, {"set": "2025-04-01T00:00:00Z"}),
        lambda: sandbox.book("withdrawal", "USDTERC20", "50"),
        lambda: sandbox.get(CLOCK),
        lambda: sandbox.get(ACCOUNT),
        *(functools.partial(sandbox.get, HISTORY, {"limit": 100, "offset": offset}) for offset in (0, 100, 200, 300)),
        lambda: sandbox.get(HISTORY, {"currency": "ETH", "limit": 5}),
        lambda: sandbox.get(HISTORY, {"type": "withdrawal", "limit": 7, "offset": 2}),
        lambda: sandbox.get(BALANCES),
        lambda: sandbox.post(RESET),
        lambda: sandbox.get(HISTORY, {"limit": 3}),
        lambda: sandbox.get(BALANCES),
    ]
    answers = [call() for call in calls]
    return [(answer.status_code, answer.headers.get("Idempotent-Replayed"), answer.content) for answer in answers]


def test_the_same_calls_give_the_same_bytes_on_fresh_servers():
    """Two servers, one with the default state (SQLite) and one in memory: the store changes nothing."""
    with ThreadPoolExecutor(2) as pool:
        servers = list(pool.map(lambda state: start_server("--quiet", *state), ((), ("--state", "memory://"))))
    try:
        first, second = (script(Sandbox(server.url)) for server in servers)
    finally:
        for server in servers:
            server.stop()
    assert first == second
    assert [status for status, _, _ in first][:8] == [201, 409, 201, 201, 200, 201, 200, 201]
    assert first[3][1] == "true"


# -- switches and refusals ---------------------------------------------------------------------

def test_the_default_state_is_a_temporary_file_removed_at_exit(tmp_path):
    mock = start_server("--quiet", env={"TMPDIR": str(tmp_path)})
    try:
        mock.wait_for_line("stop with Ctrl-C")
        assert any("(state: a temporary SQLite file, removed at exit)" in line for line in mock.output)
        assert Sandbox(mock.url).book("deposit", "USDTERC20", "1").status_code == 201
        assert [path.name for path in tmp_path.glob("balances-mock-*/state.db")] == ["state.db"]
    finally:
        assert mock.stop() == 0
    assert list(tmp_path.iterdir()) == []


def test_memory_state_runs_one_worker():
    mock = start_server("--quiet", "--state", "memory://")  # start_server asks for two workers
    try:
        assert any("--state memory:// keeps the sandbox inside one process, so the mock runs one worker" in line
                   for line in mock.output)
        sandbox = Sandbox(mock.url)
        assert sandbox.book("deposit", "USDTERC20", "1").status_code == 201
        readers = [Sandbox(mock.url) for _ in range(12)]  # new connections: any worker could answer
        assert [reader.account()["booked_entries"] for reader in readers] == [1] * 12
    finally:
        mock.stop()


# -- the contract, after the sandbox -------------------------------------------------------------

@pytest.mark.slow
def test_the_contract_suite_passes_after_the_sandbox(workers_server, capsys, monkeypatch, tmp_path):
    sandbox = Sandbox(workers_server.url)
    calls = [
        sandbox.book("deposit", "USDTERC20", "250"),
        sandbox.book("withdrawal", "USDTERC20", "99.999999"),
        sandbox.post(CLOCK, {"advance": 7200}),
        sandbox.book("deposit", "CONTRACTCOIN", "5", timestamp="2025-06-01T12:00:00Z"),
        sandbox.book("withdrawal", "CONTRACTCOIN", "4.5"),
        sandbox.post(CLOCK, {"set": "2025-07-01T00:00:00Z"}),
        sandbox.book("deposit", "ETH", "0.75"),
    ]
    assert [call.status_code for call in calls] == [201, 201, 200, 201, 201, 200, 201]
    check_chain(sandbox.history())
    monkeypatch.chdir(tmp_path)
    run = run_contract(capsys, workers_server.url, *CREDENTIALS, *WITHOUT_SCHEMA, *SMALL_WINDOW)
    assert run.returncode == 0 and not run.failed, run.output
    assert not run.skipped, run.skipped
    assert run.passed >= 35
