"""How the sandbox's cost grows: with the accounts booking at once, with the bookings an account
holds, with the replicas sharing one Redis, and with the requests the journal keeps.

- Bookings per second and p99 with 1, 100 and 10,000 accounts booking at once (wrk takes the
  next account's token for each request, a wrk script written per count), on SQLite and on Redis, the
  three counts measured in turn (a booking waits on its commit: the disk's moments fall on each).
  Target: a booking costs no more with 10,000 accounts than with one (at least 0.9x its rate).
- Reads per second of one account after 1,000, 10,000 and 100,000 bookings, each mock measured
  in turn with one that booked nothing. Target: at least 0.9x of none at 100,000.
- One, two and three replicas (processes) on one Redis: total reads and bookings per second,
  one wrk per replica at once, the connections split between them. Every replica shares the
  same cores here, so a replica adds no CPU: the target is that sharing the state costs little
  (two and three replicas keep at least 0.8x of one replica's totals), zero errors.
- The journal keeping 10,000 and 1,000,000 requests: the server's memory and a client's read
  of its latest page (the last 100). Target: a read within 1 s and the server within 300 MB at 1,000,000.

What would take too long through HTTP is built through the store's own API, in this process,
on the state file or Redis the mock serves (the created clients and their tokens, the 100,000
bookings, the 1,000,000 journal entries); what is measured goes through HTTP.
"""

from __future__ import annotations

import contextlib
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from benchmarks.harness import (
    ENDPOINTS,
    Bench,
    Load,
    Report,
    Verdict,
    authorization,
    compare,
    memory_mb,
    parse_wrk,
    started,
    table,
    wrk_command,
    wrk_turn_about,
)
from benchmarks.sandbox import redis_server
from mock_server.journal.journal import Entries
from mock_server.ledger.bookings import Transaction, book
from mock_server.settings import Settings
from mock_server.state import open_journal, open_store
from mock_server.state.records import ClientRecord
from mock_server.twin.accounts import Accounts
from mock_server.twin.auth import TokenService
from mock_server.twin.registry import CREATED_PREFIX, ClientRegistry, secret_sha256

ACCOUNTS = (1, 100, 10_000)
BOOKINGS = (1_000, 10_000, 100_000)
REPLICAS = (1, 2, 3)
KEPT = (10_000, 1_000_000)
SECONDS = 3
"""Seconds per run (or --duration if shorter): the section measures many servers."""
SECRET = "bench-secret"
"""The created clients' secret (they live for one run, on loopback)."""
BOOKING = '{"type": "deposit", "currency": "USDTERC20", "amount": "1.000000"}'
JOURNAL_READ_S = 1.0
JOURNAL_MB = 300
ACCOUNTS_SHARE = 0.9
"""Bookings/s with the most accounts booking at once, at least this share of one account's."""
BOOKED_SHARE = 0.9
"""Reads/s after the most bookings, at least this share of reads/s with none."""
REPLICAS_SHARE = 0.8
"""Replicas on the same cores keep at least this share of one replica's total reads and bookings/s."""


def run(bench: Bench, report: Report) -> list[Verdict]:
    seconds = min(SECONDS, bench.duration)
    redis = shutil.which("redis-server")
    verdicts = []
    with tempfile.TemporaryDirectory() as folder:
        bookings = measure_accounts(bench, seconds, Path(folder), redis)
    report.say(f"## Bookings with many accounts at once ({bench.connections} connections, each request the next "
               f"account's, wrk -t1, the counts in turn, median of 3 runs of {seconds} s)", "",
               accounts_table(bookings), "",
               "The clients were created and their tokens issued through the store's API (10,000 through HTTP "
               "would take longer than the measurement).", "")
    if redis is None:
        report.say("redis-server is not installed: the Redis rows, and the replicas below, are left out "
                   "(Debian: apt-get install redis-server).", "")
    for state, loads in bookings.items():
        for count, load in loads.items():
            report.figure(f"bookings: {state}, {count:,} accounts, bookings/s", load.requests_per_second)
            report.figure(f"bookings: {state}, {count:,} accounts, p99 ms", load.p99_ms)
    verdicts += accounts_targets(bookings)

    with tempfile.TemporaryDirectory() as folder:
        reads = measure_booked(bench, seconds, Path(folder))
    report.loads("reads after bookings", reads)
    report.say(f"## Reads after many bookings ({bench.connections} connections, wrk -t1, the mocks in turn, "
               f"median of 3 runs of {seconds} s)", "", booked_table(reads), "",
               "The bookings were made through the store's API (`Accounts.update`, one transaction each) on the "
               "state file the mock serves; the first read after them stacks them once per worker.", "")
    verdicts.append(booked_target(reads))

    if redis is not None:
        replicas = measure_replicas(bench, seconds, redis)
        report.say(f"## Replicas on one Redis (processes; one wrk per replica at once, {bench.connections} "
                   f"connections split between them, median of 3 runs of {seconds} s)", "",
                   replicas_table(replicas), "",
                   "Every replica runs two workers on the same two cores: a replica adds no CPU here, so what the "
                   "table shows is what sharing the state costs, not what a second machine would add.", "")
        for count, (reads_s, bookings_s, _) in replicas.items():
            report.figure(f"replicas: {count}, reads/s", reads_s)
            report.figure(f"replicas: {count}, bookings/s", bookings_s)
        verdicts.append(replicas_target(replicas))

    with tempfile.TemporaryDirectory() as folder:
        journal = measure_journal(bench, Path(folder))
    report.say("## The journal at 10,000 and 1,000,000 kept requests", "", journal_table(journal), "",
               "The requests were written through the journal store's API (`JournalStore.append`, in chunks as "
               "the workers write them); the read is `GET /__sandbox/requests?limit=100&offset=...` of the last 100, "
               "as a client makes it.", "")
    largest = journal[KEPT[-1]]
    for kept, (read_s, mb, file_mb) in journal.items():
        report.figure(f"journal: {kept:,} kept, state file MB", file_mb)
        report.figure(f"journal: {kept:,} kept, read s", read_s)
        report.figure(f"journal: {kept:,} kept, server MB", mb)
    verdicts.append(Verdict(f"journal at {KEPT[-1]:,} kept requests: a page read within {JOURNAL_READ_S:g} s, the "
                            f"server within {JOURNAL_MB} MB", largest[0] <= JOURNAL_READ_S and largest[1] <= JOURNAL_MB,
                            f"{largest[0]:.2f} s, {largest[1]:.0f} MB"))
    return verdicts


# -- many accounts ------------------------------------------------------------------------------

def measure_accounts(bench: Bench, seconds: int, folder: Path, redis: str | None) -> dict[str, dict[int, Load]]:
    """Bookings/s with each number of accounts, on SQLite and (with redis-server) on Redis."""
    results = {}
    with contextlib.ExitStack() as stack:
        states = {"SQLite": f"sqlite:///{folder / 'state.db'}"}
        if redis is not None:
            states["Redis"] = stack.enter_context(redis_server(redis))
        for label, state in states.items():
            with started([*bench.mock_command, "--state", state]) as mock:
                tokens = created_clients(state, bench, ACCOUNTS[-1])
                scripts = {}
                for count in ACCOUNTS:
                    scripts[str(count)] = folder / f"accounts-{label}-{count}.lua"
                    scripts[str(count)].write_text(_rotating_script(tokens[:count],
                                                                    folder / f"tokens-{label}-{count}.txt"))
                # In turn: a booking waits on its commit, so the disk's moments fall on every count alike.
                loads = wrk_turn_about(dict.fromkeys(scripts, f"{mock.url}/__sandbox/transactions"), seconds,
                                       bench.connections, {"Content-Type": "application/json"}, scripts)
                results[label] = {count: loads[str(count)] for count in ACCOUNTS}
    return results


def accounts_targets(results: dict[str, dict[int, Load]]) -> list[Verdict]:
    """Per state: the bookings/s with 100 and with 10,000 accounts booking at once against one
    account's (the worse of the two), and their p99 beside it; zero errors."""
    verdicts = []
    for state, loads in results.items():
        one = loads[ACCOUNTS[0]]
        worst = min(loads[count].requests_per_second for count in ACCOUNTS[1:]) / one.requests_per_second
        errors = sum(load.errors for load in loads.values())
        verdicts.append(Verdict(f"{state}: a booking costs no more with {ACCOUNTS[-1]:,} accounts at once (>= "
                                f"{ACCOUNTS_SHARE}x one account's bookings/s), zero errors",
                                worst >= ACCOUNTS_SHARE and not errors,
                                f"{worst:.2f}x at worst; p99 {one.p99_ms:.2f} ms with one, "
                                f"{loads[ACCOUNTS[-1]].p99_ms:.2f} ms with {ACCOUNTS[-1]:,}; {errors} errors"))
    return verdicts


def created_clients(state: str, bench: Bench, count: int) -> list[str]:
    """``count`` clients created in the state the mock serves, and a token for each, issued as
    the mock issues them (its ``TokenService``, with the run's token secret)."""
    store = open_store(state)
    try:
        secret = bench.mock_command[bench.mock_command.index("--token-secret") + 1]
        digest = secret_sha256(SECRET)
        defaults = Settings()
        ids = [f"{CREATED_PREFIX}{n:012x}" for n in range(count)]  # as the control API names them
        for client_id in ids:
            store.clients.add(ClientRecord(client_id, digest, frozenset({"read", "write"}), defaults.scenario,
                                           defaults.seed))
        tokens = TokenService(ClientRegistry((), store.clients), secret, defaults.token_ttl)
        form = {"grant_type": "client_credentials"}
        return [tokens.token_response({**form, "client_id": client_id, "client_secret": SECRET}, None, ())
                ["access_token"] for client_id in ids]
    finally:
        store.close()


def _rotating_script(tokens: list[str], tokens_file: Path) -> str:
    """A wrk script: each request books a deposit with the next token of ``tokens_file``."""
    tokens_file.write_text("\n".join(tokens) + "\n")
    return (f'local tokens = {{}}\nfor line in io.lines("{tokens_file}") do tokens[#tokens + 1] = line end\n'
            f"local next = 0\nwrk.method = \"POST\"\nwrk.body = '{BOOKING}'\n"
            "function request()\n  next = next % #tokens + 1\n"
            '  wrk.headers["Authorization"] = "Bearer " .. tokens[next]\n  return wrk.format()\nend\n')


def accounts_table(results: dict[str, dict[int, Load]]) -> str:
    rows = []
    for state, loads in results.items():
        one = loads[1].requests_per_second
        rows += [[state, f"{count:,}", *load.cells(), f"{load.requests_per_second / one:.2f}x"]
                 for count, load in loads.items()]
    return table(["state", "accounts", "bookings/s", "p50 ms", "p99 ms", "errors", "vs one account"], rows)


# -- many bookings --------------------------------------------------------------------------------

def measure_booked(bench: Bench, seconds: int, folder: Path) -> dict[tuple[str, str], Load]:
    """A mock per number of bookings on the demo account, and one with none, measured in turn."""
    with contextlib.ExitStack() as stack:
        servers = {"none": stack.enter_context(started(bench.mock_command)).url}
        for count in BOOKINGS:
            state = f"sqlite:///{folder / f'booked-{count}.db'}"
            mock = stack.enter_context(started([*bench.mock_command, "--state", state]))
            book_through_the_store(state, count)
            servers[f"{count:,}"] = mock.url
        auth = authorization(servers["none"])
        for url in servers.values():  # each worker stacks the bookings on its first read, not measured
            for _ in range(8):
                requests.get(url + ENDPOINTS["history"], headers=auth, timeout=60)
        return compare(servers, seconds, bench.connections, auth)


def book_through_the_store(state: str, count: int) -> None:
    """``count`` deposits on the demo account, each its own transaction, as the control API books them."""
    store = open_store(state)
    try:
        accounts = Accounts(Settings(), store)
        decision = book(Transaction("deposit", "USDTERC20", 1_000_000, None), None)
        for _ in range(count):
            accounts.update("demo", decision)
    finally:
        store.close()


def booked_target(loads: dict[tuple[str, str], Load]) -> Verdict:
    """On every endpoint, reads/s after the most bookings against reads/s with none; zero errors."""
    most = f"{BOOKINGS[-1]:,}"
    ratios = {name: loads[(most, name)].requests_per_second / loads[("none", name)].requests_per_second
              for name in ENDPOINTS}
    errors = sum(load.errors for load in loads.values())
    return Verdict(f"reads after {most} bookings: >= {BOOKED_SHARE}x of none, zero errors",
                   min(ratios.values()) >= BOOKED_SHARE and not errors,
                   ", ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios.items()) + f", {errors} errors")


def booked_table(loads: dict[tuple[str, str], Load]) -> str:
    rows = []
    for name, path in ENDPOINTS.items():
        none = loads[("none", name)].requests_per_second
        for label in ("none", *(f"{count:,}" for count in BOOKINGS)):
            load = loads[(label, name)]
            rows.append([path, label, *load.cells(), f"{load.requests_per_second / none:.2f}x"])
    return table(["endpoint", "bookings", "requests/s", "p50 ms", "p99 ms", "errors", "vs none"], rows)


# -- replicas -----------------------------------------------------------------------------------

def measure_replicas(bench: Bench, seconds: int, redis: str) -> dict[int, tuple[float, float, int]]:
    """Total reads/s and bookings/s of 1, 2 and 3 replicas on one Redis, and their errors."""
    results = {}
    with redis_server(redis) as state, tempfile.TemporaryDirectory() as folder:
        for count in REPLICAS:
            with contextlib.ExitStack() as stack:
                urls = [stack.enter_context(started([*bench.mock_command, "--state", state])).url
                        for _ in range(count)]
                auth = authorization(urls[0])
                tokens = created_clients(state, bench, 100)
                script = Path(folder) / f"replicas-{count}.lua"
                script.write_text(_rotating_script(tokens, Path(folder) / f"replicas-{count}.txt"))
                connections = max(1, bench.connections // count)
                reads, read_errors = _together([u + ENDPOINTS["balances"] for u in urls], seconds, connections,
                                               auth, None)
                bookings, booking_errors = _together([f"{u}/__sandbox/transactions" for u in urls], seconds,
                                                     connections, {"Content-Type": "application/json"}, script)
                results[count] = (reads, bookings, read_errors + booking_errors)
    return results


def _together(urls: list[str], seconds: int, connections: int, headers: dict[str, str], script: Path | None
              ) -> tuple[float, int]:
    """One wrk per URL at once, three times (after a warm-up): the median of their summed
    requests/s, and the errors of the three measured runs."""
    command = wrk_command(connections, headers, script)
    totals, errors = [], 0
    for run in range(4):
        running = [subprocess.Popen([*command, f"-d{2 if run == 0 else seconds}s", url], stdout=subprocess.PIPE,
                                    text=True) for url in urls]
        loads = [parse_wrk(process.communicate()[0]) for process in running]
        if run:
            totals.append(sum(load.requests_per_second for load in loads))
            errors += sum(load.errors for load in loads)
    return statistics.median(totals), errors


def replicas_target(results: dict[int, tuple[float, float, int]]) -> Verdict:
    """Replicas sharing one Redis (and, here, the same cores) keep most of one replica's total
    reads and bookings per second, with zero errors."""
    one_reads, one_bookings, _ = results[REPLICAS[0]]
    shares = {count: (reads / one_reads, bookings / one_bookings) for count, (reads, bookings, _) in results.items()
              if count != REPLICAS[0]}
    errors = sum(errors for _, _, errors in results.values())
    worst = min(min(pair) for pair in shares.values())
    return Verdict(f"replicas on one Redis, same cores: {', '.join(map(str, shares))} keep >= {REPLICAS_SHARE}x of "
                   "one replica's total reads/s and bookings/s, zero errors", worst >= REPLICAS_SHARE and not errors,
                   "; ".join(f"{count}: reads {reads:.2f}x, bookings {bookings:.2f}x"
                             for count, (reads, bookings) in shares.items()) + f"; {errors} errors")


def replicas_table(results: dict[int, tuple[float, float, int]]) -> str:
    one_reads, one_bookings, _ = results[REPLICAS[0]]
    return table(["replicas", "reads/s (balances)", "vs one", "bookings/s (100 accounts)", "vs one", "errors"],
                 [[str(count), f"{reads:,.0f}", f"{reads / one_reads:.2f}x", f"{bookings:,.0f}",
                   f"{bookings / one_bookings:.2f}x", str(errors)]
                  for count, (reads, bookings, errors) in results.items()])


# -- the journal ----------------------------------------------------------------------------------

def measure_journal(bench: Bench, folder: Path) -> dict[int, tuple[float, float, float]]:
    """For each size: the median time of a client's read of its latest page (5 reads), the
    server's memory (PSS, all processes) after them, and the state file's size."""
    results = {}
    for kept in KEPT:
        path = folder / f"journal-{kept}.db"
        state = f"sqlite:///{path}"
        with started([*bench.mock_command, "--state", state, "--journal-size", str(kept)]) as mock:
            auth = authorization(mock.url)
            fill_journal(state, kept, "demo")
            times = []
            for _ in range(5):
                began = time.perf_counter()
                page = requests.get(f"{mock.url}/__sandbox/requests", params={"limit": 100, "offset": kept - 100},
                                    headers=auth, timeout=600)
                times.append(time.perf_counter() - began)
                page.raise_for_status()
            _, pss = memory_mb(mock.process.pid)
            results[kept] = (statistics.median(times), pss, path.stat().st_size / 1024 / 1024)
    return results


def fill_journal(state: str, count: int, client: str, chunk: int = 10_000) -> None:
    """``count`` requests of ``client`` in the journal, in chunks as a worker writes them."""
    store = open_store(state)
    try:
        journal = open_journal(store, count)
        entries = Entries()
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/user/balances/history/", "QUERY_STRING": "limit=20",
                   "HTTP_AUTHORIZATION": "Bearer x", "HTTP_USER_AGENT": "bench"}
        kinds = [entries.kind(("GET", "/user/balances/history/", f"limit={n}", *entries.headers(environ), None,
                               200, (("Content-Type", "application/json"),), ())) for n in range(1, 21)]
        arrival = int(time.time() * 1_000_000) - count * 1000
        for start in range(0, count, chunk):
            records = [(client, arrival + n * 1000, 700, kinds[n % len(kinds)])
                       for n in range(start, min(start + chunk, count))]
            journal.append(Entries.chunks(records))
    finally:
        store.close()


def journal_table(results: dict[int, tuple[float, float, float]]) -> str:
    return table(["requests kept", "read of the latest page s", "server PSS MB", "state file MB"],
                 [[f"{kept:,}", f"{read_s:.3f}", f"{mb:.0f}", f"{file_mb:.0f}"]
                  for kept, (read_s, mb, file_mb) in results.items()])

