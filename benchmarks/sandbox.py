"""The sandbox: what booked entries cost reads, how soon every worker sees a booking, and how
many bookings per second a state store takes.

Bookings change an account, which the mock otherwise serves from remembered pages, so three
questions: are reads of an account with 1,000 booked entries as fast as of one with none
(at least 0.9x), does any read right after a booking miss it (none may, whichever worker
answers), and how fast do bookings go from every connection on one account, the stores'
worst case (at least 500/s on SQLite; Redis too when redis-server is installed).
"""

from __future__ import annotations

import contextlib
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from benchmarks.harness import (
    ENDPOINTS,
    HISTORY,
    ROOT,
    Bench,
    Load,
    Report,
    Verdict,
    authorization,
    compare,
    started,
    table,
    wrk_turn_about,
)
from mock_server.serving.ports import free_port
from mock_server.testing.launcher import launch

BOOKED = 1_000
DEPOSIT_SCRIPT = ROOT / "benchmarks" / "deposit.lua"
VISIBILITY_TRIALS = 100
READS_PER_BOOKING = 4
SQLITE = "SQLite (default)"


def run(bench: Bench, report: Report) -> list[Verdict]:
    """Reads with bookings against reads without, how soon every worker sees a booking, and
    bookings per second on each state store: the sections, and their targets."""
    reads, missed, reads_made, lag = measure_booked_reads(bench)
    report.loads("booked reads", reads)
    report.say(
        f"## Reads with {BOOKED:,} booked entries ({bench.connections} connections, wrk -t1, the two servers in "
        f"turn, median of 3 runs of {bench.duration} s)", "", booked_reads_table(reads), "",
        f"Visibility: after each of {VISIBILITY_TRIALS} bookings, {READS_PER_BOOKING} reads of the newest entry "
        f"at once, each on a new connection (so any worker may answer): {missed} of {reads_made:,} missed it. "
        f"From the 201 to the first read showing it: median {lag[0]:.2f} ms, at most {lag[1]:.2f} ms (the "
        "read's own round trip: every worker checks the account's version on each read).", "")
    transactions = measure_transactions(bench)
    for state, load in transactions.items():
        report.figure(f"bookings, one account: {state}, bookings/s", load.requests_per_second)
    report.say(f"## Bookings per second ({bench.connections} connections, all on one account, wrk -t1, median of 3 "
               f"runs of {bench.duration} s)", "", transactions_table(transactions), "")
    return sandbox_targets(reads, missed, transactions)


# -- the measurements -----------------------------------------------------------------------

def measure_booked_reads(bench: Bench) -> tuple[dict[tuple[str, str], Load], int, int, tuple[float, float]]:
    """Two servers alike, one with BOOKED entries booked through the sandbox, measured in turn;
    then, on the booked one, how soon a new booking is seen."""
    with started(bench.mock_command) as plain, started(bench.mock_command) as booked:
        auth = authorization(plain.url)  # one secret: valid on both
        book_entries(booked.url, auth, BOOKED)
        loads = compare({"none": plain.url, "booked": booked.url}, bench.duration, bench.connections, auth)
        missed, reads, lag = visibility(booked.url, auth)
    return loads, missed, reads, lag


def book_entries(url: str, auth: dict[str, str], count: int) -> None:
    """``count`` deposits and withdrawals on the demo account, over three currencies (one new)."""
    with requests.Session() as session:
        for i in range(count):
            body = {"type": "withdrawal" if i % 4 == 3 else "deposit",
                    "currency": ("USDTERC20", "ETH", "SOL")[i % 3], "amount": "0.5"}
            session.post(f"{url}/__sandbox/transactions", json=body, headers=auth, timeout=10).raise_for_status()


def visibility(url: str, auth: dict[str, str]) -> tuple[int, int, tuple[float, float]]:
    """Book, then read the newest entry at once on fresh connections: how many reads missed the
    booking, and the time from its 201 to the first read that showed it."""
    missed, reads, lags = 0, 0, []
    with requests.Session() as booker:
        for _ in range(VISIBILITY_TRIALS):
            entry = booker.post(f"{url}/__sandbox/transactions", headers=auth, timeout=10,
                                json={"type": "deposit", "currency": "USDTERC20", "amount": "1"}).json()
            answered, seen = time.perf_counter(), None
            for _ in range(READS_PER_BOOKING):
                newest = requests.get(f"{url}{HISTORY}?limit=1", headers=auth, timeout=10).json()["history"][0]
                reads += 1
                if newest != entry:
                    missed += 1
                elif seen is None:
                    seen = time.perf_counter()
            lags.append(((seen or time.perf_counter()) - answered) * 1000)
    return missed, reads, (statistics.median(lags), max(lags))


def measure_transactions(bench: Bench) -> dict[str, Load]:
    """Deposits from every connection on one account (the stores' worst case: one writer at a
    time), on SQLite and, if redis-server is installed, on Redis, measured in turn."""
    with contextlib.ExitStack() as stack:
        urls = {SQLITE: stack.enter_context(started(bench.mock_command)).url}
        redis = shutil.which("redis-server")
        if redis is None:
            print("redis-server is not installed, so the Redis state is skipped (Debian: apt-get install redis-server)")
        else:
            state = stack.enter_context(redis_server(redis))
            urls["Redis"] = stack.enter_context(started([*bench.mock_command, "--state", state])).url
        auth = {**authorization(urls[SQLITE]), "Content-Type": "application/json"}
        return wrk_turn_about({label: f"{url}/__sandbox/transactions" for label, url in urls.items()},
                              bench.duration, bench.connections, auth, DEPOSIT_SCRIPT)


@contextmanager
def redis_server(binary: str) -> Iterator[str]:
    """A throw-away redis-server on a free port, without persistence."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with tempfile.TemporaryDirectory() as folder:
        server = launch([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                         "--dir", folder], ready="Ready to accept connections", url=url)
        try:
            yield url
        finally:
            server.stop()


# -- the sections ---------------------------------------------------------------------------

def booked_reads_table(loads: dict[tuple[str, str], Load]) -> str:
    rows = []
    for name in ENDPOINTS:
        none = loads[("none", name)].requests_per_second
        for label, title in (("none", "nothing booked"), ("booked", f"{BOOKED:,} booked")):
            load = loads[(label, name)]
            rows.append([ENDPOINTS[name], title, *load.cells(), f"{load.requests_per_second / none:.2f}"])
    return table(["endpoint", "account", "requests/s", "p50 ms", "p99 ms", "errors", "vs nothing booked"], rows)


def transactions_table(loads: dict[str, Load]) -> str:
    return table(["state", "bookings/s", "p50 ms", "p99 ms", "errors"], [[label, *load.cells()]
                                                                       for label, load in loads.items()])


def sandbox_targets(reads: dict[tuple[str, str], Load], missed: int,
                    transactions: dict[str, Load]) -> list[Verdict]:
    verdicts = []
    for name in ENDPOINTS:
        ratio = reads[("booked", name)].requests_per_second / reads[("none", name)].requests_per_second
        verdicts.append(Verdict(f"{name} with {BOOKED:,} booked entries: >= 0.9x nothing booked", ratio >= 0.9,
                                f"{ratio:.2f}x"))
    verdicts.append(Verdict("a booking is in every worker's next read", missed == 0, f"{missed} reads missed one"))
    sqlite = transactions[SQLITE]
    verdicts.append(Verdict("SQLite: >= 500 bookings/s, zero errors",
                            sqlite.requests_per_second >= 500 and not sqlite.errors,
                            f"{sqlite.requests_per_second:,.0f}/s, p99 {sqlite.p99_ms:.2f} ms, {sqlite.errors} errors"))
    return verdicts
