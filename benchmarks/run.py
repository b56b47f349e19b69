"""The mock against Stoplight Prism and a constant-response ceiling, side by side, what its
access log costs, then its scaling to a million entries. One command, real load, printed figures:

    python benchmarks/run.py                      # about 8 minutes
    python benchmarks/run.py --duration 3 --markdown BENCHMARKS.md
    python benchmarks/run.py --only access-log    # the access log's part alone, about 35 s
    python benchmarks/run.py --only sandbox       # the sandbox's part alone, about 2 minutes
    python benchmarks/run.py --only journal       # the request journal's part alone, under a minute
    python benchmarks/run.py --only proxy         # balances-mock proxy's overhead alone, about 80 s

Every server runs one after another on this machine, driven by the same `wrk` with the same
duration and connections, each URL warmed up for 2 seconds first. Nothing is switched off in
the mock: tokens are verified (signature and expiry), scopes checked, and every request
validated against the spec.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
import requests

if __package__ in (None, ""):
    # Run as ``python benchmarks/run.py``: Python put benchmarks/ first on the path. The
    # project's root instead, so the harness imports as benchmarks.harness whether or not the
    # project is installed editable.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from benchmarks.harness import (  # noqa: E402
    ENDPOINTS,
    HISTORY,
    ROOT,
    Bench,
    Load,
    cpu_seconds,
    memory_mb,
    require_wrk,
    say_targets,
    side_by_side_table,
    started,
    table,
    token,
    write_markdown,
    wrk_turn_about,
)
from mock_server.serving.access_log import INTERVAL as LOG_INTERVAL  # noqa: E402
from mock_server.testing.launcher import free_port, launch  # noqa: E402

SPEC = ROOT / "spec" / "openapi.yaml"
PRISM_HOME = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "balances-mock" / "prism"
PRISM_PACKAGE = "@stoplight/prism-cli@5"


def prism_command() -> list[str] | None:
    """Prism from the cache folder, installed there with npm if missing; None without npm."""
    binary = PRISM_HOME / "node_modules" / ".bin" / "prism"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            print("npm is not installed, so Prism is skipped (Debian: apt-get install nodejs npm).")
            return None
        print(f"installing {PRISM_PACKAGE} into {PRISM_HOME} ...", flush=True)
        PRISM_HOME.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(PRISM_HOME),
                        PRISM_PACKAGE], check=True)
    return [str(binary)]


MOCK = "balances-mock"
CEILING = "ceiling (constant Flask)"
PRISM_MODES = (("dynamic", ["-d"]), ("static", []))
LOGGED = "balances-mock (access log on)"
QUIET = "balances-mock --quiet"
BOOKED = 1_000
DEPOSIT_SCRIPT = ROOT / "benchmarks" / "deposit.lua"
VISIBILITY_TRIALS = 100
READS_PER_BOOKING = 4
ACCESS_LOG_SECONDS = 2
"""Seconds per run of the access-log comparison (or --duration if shorter): it compares two
servers measured in turn, so short runs do, and the part stays well under a minute."""
JOURNAL_ON = "balances-mock (journal on)"
JOURNAL_OFF = "balances-mock --no-journal"
JOURNAL_SECONDS = 3
"""Seconds per run of the journal comparison (or --duration if shorter), as for the access log."""
DIRECT = "balances-mock"
PROXIED = "balances-mock proxy -> balances-mock"
PROXY_SECONDS = 3
"""Seconds per run of the proxy comparison (or --duration if shorter), as for the access log."""
PROXY_ADDED_P50_MS = 2.0
"""The issue's target: the proxy adds at most this much to the median latency."""
PROXY_WORKERS = 2
"""The proxy's workers here, as many as the mock's (its default is one, for a journal in arrival order)."""
PACED_SCRIPT = ROOT / "benchmarks" / "paced.lua"
PACED = "paced"
"""The load shape with every connection pausing 20 ms between requests (benchmarks/paced.lua)."""


@dataclass(frozen=True)
class Scaled:
    """The mock measured with one ledger size."""

    entries: int
    started_in: float
    rss_mb: float
    pss_mb: float
    loads: dict[str, Load]
    last_page_sha256: str


@click.command()
@click.option("--duration", default=5, show_default=True, help="Seconds of load per run (3 runs per figure).")
@click.option("--connections", default=16, show_default=True, help="wrk connections.")
@click.option("--scale", default="1000,100000,1000000", show_default=True, help="Ledger sizes to scale to.")
@click.option("--no-prism", is_flag=True, help="Skip Stoplight Prism.")
@click.option("--markdown", type=click.Path(dir_okay=False, path_type=Path), help="Also write the report here.")
@click.option("--only", type=click.Choice(["access-log", "sandbox", "journal", "proxy"]),
              help="Run only this part, for a quick check of it.")
def main(duration: int, connections: int, scale: str, no_prism: bool, markdown: Path | None,
         only: str | None) -> None:
    require_wrk()
    if only and markdown:
        raise click.UsageError("--markdown writes the whole report; run it without --only")
    secret = secrets.token_urlsafe(32)
    bench = Bench(duration, connections,
                  [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--quiet", "--token-secret", secret])
    report: list[str] = []

    def say(*lines: str) -> None:
        for line in lines:
            print(line, flush=True)
            report.append(line)

    if only is not None:
        parts = {"access-log": access_log_part, "sandbox": sandbox_part, "journal": journal_part,
                 "proxy": proxy_part}
        say_targets(say, parts[only](bench, say))
        return

    # The mock first: the ceiling answers the bodies it sends.
    results, bodies = measure_mock(bench)
    commands = [" ".join(bench.mock_command[:1] + ["-m mock_server serve --quiet --token-secret ..."])]
    prism = None if no_prism else prism_command()
    if prism is not None:
        for mode, flags in PRISM_MODES:
            results.update(measure_prism(bench, prism, mode, flags))
            commands.append(f"prism mock {' '.join(flags)} spec/openapi.yaml".replace("  ", " "))
    results.update(measure_ceiling(bench, bodies))
    commands.append("python benchmarks/ceiling.py BODIES.json")
    say(f"## Throughput and latency ({connections} connections, wrk -t1, median of 3 runs of {duration} s)", "",
        throughput_table(results), "")
    access_log_verdicts = access_log_part(bench, say)
    journal_verdicts = journal_part(bench, say)
    proxy_verdicts = proxy_part(bench, say)
    sandbox_verdicts = sandbox_part(bench, say)

    say(f"## Scaling with the ledger ({connections} connections, median of 3 runs of {duration} s)", "")
    scaled = [measure_size(bench, int(n)) for n in scale.split(",")]
    say(scaling_table(scaled), "")

    largest = scaled[-1]
    reproducible = serves_the_same_bytes(bench, largest)
    say_targets(say, throughput_targets(results) + access_log_verdicts + journal_verdicts + proxy_verdicts
                + sandbox_verdicts + scaling_targets(largest, reproducible))

    if markdown is not None:
        write_markdown(markdown, report, commands, prism)


def access_log_part(bench: Bench, say: Callable[..., None]) -> list[tuple[str, bool, str]]:
    """The mock with its access log against ``--quiet``: the section, and its target."""
    seconds = min(ACCESS_LOG_SECONDS, bench.duration)
    loads, lines = measure_access_log(bench, seconds)
    say(f"## The access log ({bench.connections} connections, wrk -t1, the two servers in turn, median of 3 runs "
        f"of {seconds} s)", "", side_by_side_table(loads, LOGGED, QUIET, "logged / quiet"), "",
        f"The logged mock printed {lines:,} access-log lines, read as they came.", "")
    return access_log_targets(loads)


def journal_part(bench: Bench, say: Callable[..., None]) -> list[tuple[str, bool, str]]:
    """The mock recording every request in its journal (the default) against ``--no-journal``:
    the section, and its target."""
    seconds = min(JOURNAL_SECONDS, bench.duration)
    loads, recorded = measure_journal(bench, seconds)
    say(f"## The request journal ({bench.connections} connections, wrk -t1, the two servers in turn, median of 3 "
        f"runs of {seconds} s)", "", side_by_side_table(loads, JOURNAL_ON, JOURNAL_OFF, "on / off"), "",
        f"The recording mock's journal held {recorded:,} requests at the end (it keeps the last 10,000), read "
        "through GET /__sandbox/requests as a client reads it.", "")
    return journal_targets(loads)


def proxy_part(bench: Bench, say: Callable[..., None]) -> list[tuple[str, bool, str]]:
    """The mock answering directly against the same mock through ``balances-mock proxy`` (its
    defaults but two workers: four threads each, every exchange checked and journaled), under the load of
    every other part and with a single connection: the section, and its target."""
    seconds = min(PROXY_SECONDS, bench.duration)
    loads, seen = measure_proxy(bench, seconds)
    say(f"## Through balances-mock proxy (wrk -t1, the mock directly and through the proxy in turn, median of 3 "
        f"runs of {seconds} s)", "", proxy_table(loads), "",
        f"The proxy passed on {seen['requests']:,} exchanges, {seen['with_violations']} of them breaking the "
        f"contract, using {seen['cpu_ms']:.2f} ms of CPU per exchange (all its processes). It ran with "
        f"--workers {PROXY_WORKERS} --quiet, the mock as everywhere else here. With a fixed number of connections "
        "each waiting for its answer, the median latency is about connections / throughput: at "
        f"{bench.connections} connections, p50 grows with what each exchange costs the machine, the proxy's and "
        "the mock's processes together. Paced, each connection waits 20 ms between requests, below what "
        "either server can take: the median is then what one exchange costs a client in time.", "")
    return [*proxy_targets(loads[bench.connections], f"at {bench.connections} connections, full speed"),
            *proxy_targets(loads[PACED], f"at {bench.connections} connections, paced")]


def sandbox_part(bench: Bench, say: Callable[..., None]) -> list[tuple[str, bool, str]]:
    """Reads with bookings against reads without, how soon every worker sees a booking, and
    bookings per second on each state store: the sections, and their targets."""
    reads, missed, reads_made, lag = measure_booked_reads(bench)
    say(f"## Reads with {BOOKED:,} booked entries ({bench.connections} connections, wrk -t1, the two servers in "
        f"turn, median of 3 runs of {bench.duration} s)", "", booked_reads_table(reads), "",
        f"Visibility: after each of {VISIBILITY_TRIALS} bookings, {READS_PER_BOOKING} reads of the newest entry "
        f"at once, each on a new connection (so any worker may answer): {missed} of {reads_made:,} missed it. "
        f"From the 201 to the first read showing it: median {lag[0]:.2f} ms, at most {lag[1]:.2f} ms (the "
        "read's own round trip: every worker checks the account's version on each read).", "")
    transactions = measure_transactions(bench)
    say(f"## Bookings per second ({bench.connections} connections, all on one account, wrk -t1, median of 3 runs "
        f"of {bench.duration} s)", "", transactions_table(transactions), "")
    return sandbox_targets(reads, missed, transactions)


# -- the measurements ----------------------------------------------------------------------

def measure_mock(bench: Bench) -> tuple[dict[tuple[str, str], Load], dict[str, str]]:
    """The mock on every endpoint, and the bodies it answers there."""
    with started(bench.mock_command) as mock:
        auth = {"Authorization": f"Bearer {token(mock.url)}"}
        bodies = {path.split("?")[0]: requests.get(mock.url + path, headers=auth, timeout=10).text
                  for path in ENDPOINTS.values()}
        return {(MOCK, name): bench.load(mock.url + path, auth) for name, path in ENDPOINTS.items()}, bodies


def measure_access_log(bench: Bench, seconds: int) -> tuple[dict[tuple[str, str], Load], int]:
    """The mock as it starts by default, access log on and its output read line by line as
    it comes (the launcher drains the pipe, as a terminal would), against the same mock with
    ``--quiet``; and how many lines the logged one printed."""
    quiet = bench.mock_command
    logged = [arg for arg in quiet if arg != "--quiet"]
    with started(logged) as loud, started(quiet) as silent:
        auth = {"Authorization": f"Bearer {token(loud.url)}"}
        results = {}
        for name, path in ENDPOINTS.items():
            loads = wrk_turn_about({LOGGED: loud.url + path, QUIET: silent.url + path}, seconds,
                                   bench.connections, auth)
            results.update({(server, name): load for server, load in loads.items()})
        marker, before = "/end-of-the-access-log-benchmark", len(loud.output)
        requests.get(loud.url + marker, timeout=10)
        loud.wait_for_line(marker, start=before)
        time.sleep(2 * LOG_INTERVAL)  # the other worker's last lines: written within one interval
        return results, sum('query="' in line for line in loud.output)


def measure_journal(bench: Bench, seconds: int) -> tuple[dict[tuple[str, str], Load], int]:
    """The mock as it starts by default, journal on (a temporary SQLite state, two workers),
    against the same mock with ``--no-journal``, on both endpoints; and how many requests the
    recording one's journal holds at the end."""
    with started(bench.mock_command) as recording, started([*bench.mock_command, "--no-journal"]) as silent:
        auth = {"Authorization": f"Bearer {token(recording.url)}"}
        results = {}
        for name, path in ENDPOINTS.items():
            loads = wrk_turn_about({JOURNAL_ON: recording.url + path, JOURNAL_OFF: silent.url + path}, seconds,
                                   bench.connections, auth)
            results.update({(server, name): load for server, load in loads.items()})
        page = requests.get(f"{recording.url}/__sandbox/requests", params={"limit": 1}, headers=auth, timeout=30)
        return results, page.json()["total"]


def measure_proxy(bench: Bench, seconds: int
                  ) -> tuple[dict[int | str, dict[tuple[str, str], Load]], dict[str, float]]:
    """One mock, measured directly and through ``balances-mock proxy`` in turn on both endpoints,
    with the benchmark's connections at full speed, with one, and with the benchmark's connections
    paced (each waits 20 ms between requests: below saturation); what the proxy's summary says it
    saw (printed when it stops), and the CPU time its processes took per exchange."""
    with started(bench.mock_command) as mock:
        # Launched, not ``started``: it announces itself once it accepts, and started's probe of
        # ``/`` would be an exchange that breaks the contract.
        proxy = launch([sys.executable, "-m", "mock_server", "proxy", mock.url, "--port", "0", "--quiet",
                        "--workers", str(PROXY_WORKERS)], cwd=ROOT)
        try:
            auth = {"Authorization": f"Bearer {token(mock.url)}"}
            results: dict[int, dict[tuple[str, str], Load]] = {}
            cpu_before = cpu_seconds(proxy.process.pid)
            shapes = {**{c: (c, None) for c in dict.fromkeys([bench.connections, 1])},
                      PACED: (bench.connections, PACED_SCRIPT)}
            for shape, (connections, script) in shapes.items():
                results[shape] = {}
                for name, path in ENDPOINTS.items():
                    loads = wrk_turn_about({DIRECT: mock.url + path, PROXIED: proxy.url + path}, seconds,
                                           connections, auth, script)
                    results[shape].update({(server, name): load for server, load in loads.items()})
            cpu = cpu_seconds(proxy.process.pid) - cpu_before
        finally:
            proxy.stop()
        summary = next(line for line in proxy.output if line.startswith("balances-mock proxy: "))
        requests_seen, broke = map(int, re.match(r"balances-mock proxy: (\d+) requests, (\d+) broke", summary).groups())
    return results, {"requests": requests_seen, "with_violations": broke, "cpu_ms": cpu * 1000 / requests_seen}


def measure_booked_reads(bench: Bench) -> tuple[dict[tuple[str, str], Load], int, int, tuple[float, float]]:
    """Two servers alike, one with BOOKED entries booked through the sandbox, measured in turn;
    then, on the booked one, how soon a new booking is seen."""
    with started(bench.mock_command) as plain, started(bench.mock_command) as booked:
        auth = {"Authorization": f"Bearer {token(plain.url)}"}  # one secret: valid on both
        book_entries(booked.url, auth, BOOKED)
        loads = {}
        for name, path in ENDPOINTS.items():
            measured = wrk_turn_about({"none": plain.url + path, "booked": booked.url + path}, bench.duration,
                                      bench.connections, auth)
            loads.update({(label, name): load for label, load in measured.items()})
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
        urls = {"SQLite (default)": stack.enter_context(started(bench.mock_command)).url}
        redis = shutil.which("redis-server")
        if redis is None:
            print("redis-server is not installed, so the Redis state is skipped (Debian: apt-get install redis-server)")
        else:
            state = stack.enter_context(redis_server(redis))
            urls["Redis"] = stack.enter_context(started([*bench.mock_command, "--state", state])).url
        auth = {"Authorization": f"Bearer {token(urls['SQLite (default)'])}", "Content-Type": "application/json"}
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


def measure_prism(bench: Bench, prism: list[str], mode: str, flags: list[str]) -> dict[tuple[str, str], Load]:
    """Stoplight Prism mocking our own spec; it checks only that a bearer token is present."""
    command = [*prism, "mock", "-h", "127.0.0.1", "-p", str(free_port()), *flags, str(SPEC)]
    with started(command, "Prism is listening") as server:
        return {(f"Prism {mode}", name): bench.load(server.url + path, {"Authorization": "Bearer x"})
                for name, path in ENDPOINTS.items()}


def measure_ceiling(bench: Bench, bodies: dict[str, str]) -> dict[tuple[str, str], Load]:
    """Constant bytes (the mock's own bodies) from Flask under the same server and settings."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(bodies, file)
    try:
        with started([sys.executable, str(ROOT / "benchmarks" / "ceiling.py"), file.name]) as ceiling:
            return {(CEILING, name): bench.load(ceiling.url + path, {}) for name, path in ENDPOINTS.items()}
    finally:
        os.unlink(file.name)


def measure_size(bench: Bench, entries: int) -> Scaled:
    """The mock with ``entries`` history entries: start-up, memory, and pages at both ends and filtered."""
    queries = {
        "offset 0": "?limit=20",
        "near the end": _last_page_query(entries),
        "currency=USDTERC20": "?currency=USDTERC20&limit=20",
        "type=withdrawal": "?type=withdrawal&limit=20",
    }
    begin = time.monotonic()
    with started([*bench.mock_command, "--entries", str(entries)]) as mock:
        started_in = time.monotonic() - begin
        rss, pss = memory_mb(mock.process.pid)
        auth = {"Authorization": f"Bearer {token(mock.url)}"}
        loads = {label: bench.load(f"{mock.url}{HISTORY}{query}", auth) for label, query in queries.items()}
        last_page = _last_page(mock.url, auth, entries)
    return Scaled(entries, started_in, rss, pss, loads, hashlib.sha256(last_page).hexdigest())


def serves_the_same_bytes(bench: Bench, measured: Scaled) -> bool:
    """Determinism: a second process with the same ledger size answers the last page byte for byte."""
    with started([*bench.mock_command, "--entries", str(measured.entries)]) as again:
        repeat = _last_page(again.url, {"Authorization": f"Bearer {token(again.url)}"}, measured.entries)
    return hashlib.sha256(repeat).hexdigest() == measured.last_page_sha256


def _last_page_query(entries: int) -> str:
    return f"?limit=20&offset={max(entries - 20, 0)}"


def _last_page(url: str, auth: dict[str, str], entries: int) -> bytes:
    return requests.get(f"{url}{HISTORY}{_last_page_query(entries)}", headers=auth, timeout=10).content


# -- the report ----------------------------------------------------------------------------

def throughput_table(results: dict[tuple[str, str], Load]) -> str:
    rows = []
    for name in ENDPOINTS:
        mine = results[(MOCK, name)]
        for server in dict.fromkeys(s for s, _ in results):
            load = results[(server, name)]
            ratio = "" if server == MOCK else f"{mine.requests_per_second / load.requests_per_second:.1f}x"
            rows.append([ENDPOINTS[name], server, *load.cells(), ratio])
    return table(["endpoint", "server", "requests/s", "p50 ms", "p99 ms", "errors", "mock / this"], rows)


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


def proxy_table(results: dict[int | str, dict[tuple[str, str], Load]]) -> str:
    """Each endpoint directly and through the proxy, at each number of connections, with the
    proxy's share of the throughput and what it adds to the median latency."""
    rows = []
    for shape, loads in results.items():
        connections = str(shape) if shape != PACED else "16, paced 20 ms"
        for name, path in ENDPOINTS.items():
            direct, proxied = loads[(DIRECT, name)], loads[(PROXIED, name)]
            rows.append([path, connections, DIRECT, *direct.cells(), "", ""])
            rows.append([path, connections, PROXIED, *proxied.cells(),
                         f"{proxied.requests_per_second / direct.requests_per_second:.2f}x",
                         f"{proxied.p50_ms - direct.p50_ms:+.2f}"])
    return table(["endpoint", "connections", "server", "requests/s", "p50 ms", "p99 ms", "errors",
                  "proxied / direct", "p50 added ms"], rows)


def scaling_table(scaled: list[Scaled]) -> str:
    rows = []
    for size in scaled:
        first = size.loads["offset 0"].requests_per_second
        for label, load in size.loads.items():
            rows.append([f"{size.entries:,}", f"{size.started_in:.1f}", f"{size.rss_mb:.0f}", f"{size.pss_mb:.0f}",
                         label, *load.cells(), f"{load.requests_per_second / first:.2f}"])
    return table(["entries", "start-up s", "main RSS MB", "total PSS MB", "query", "requests/s", "p50 ms",
                  "p99 ms", "errors", "vs offset 0"], rows)


def throughput_targets(results: dict[tuple[str, str], Load]) -> list[tuple[str, bool, str]]:
    """Per endpoint: near the ceiling, far above Prism, and fast without errors."""
    verdicts = []
    for name in ENDPOINTS:
        mine = results[(MOCK, name)]
        ceiling = results[(CEILING, name)]
        verdicts.append((f"{name}: >= 0.6x the ceiling",
                         mine.requests_per_second >= 0.6 * ceiling.requests_per_second,
                         f"{mine.requests_per_second / ceiling.requests_per_second:.2f}x"))
        if ("Prism dynamic", name) in results:
            prism = results[("Prism dynamic", name)]
            verdicts.append((f"{name}: >= 10x Prism dynamic",
                             mine.requests_per_second >= 10 * prism.requests_per_second,
                             f"{mine.requests_per_second / prism.requests_per_second:.1f}x"))
        verdicts.append((f"{name}: p99 < 10 ms, zero errors", mine.p99_ms < 10 and mine.errors == 0,
                         f"p99 {mine.p99_ms:.2f} ms, {mine.errors} errors"))
    return verdicts


def access_log_targets(results: dict[tuple[str, str], Load]) -> list[tuple[str, bool, str]]:
    """The access log is on by default, so it must cost little: within 10% of --quiet on every endpoint."""
    ratios = {name: results[(LOGGED, name)].requests_per_second / results[(QUIET, name)].requests_per_second
              for name in ENDPOINTS}
    return [("access log costs at most 10% (default >= 0.9x --quiet)", min(ratios.values()) >= 0.9,
             ", ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios.items()))]


def journal_targets(results: dict[tuple[str, str], Load]) -> list[tuple[str, bool, str]]:
    """The journal is on by default, so it must cost little: within 10% of --no-journal on every endpoint."""
    ratios = {name: results[(JOURNAL_ON, name)].requests_per_second / results[(JOURNAL_OFF, name)].requests_per_second
              for name in ENDPOINTS}
    return [("journal costs at most 10% of reads (default >= 0.9x --no-journal)", min(ratios.values()) >= 0.9,
             ", ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios.items()))]


def proxy_targets(results: dict[tuple[str, str], Load], shape: str) -> list[tuple[str, bool, str]]:
    """The issue's target: the proxy adds at most PROXY_ADDED_P50_MS to the median, on every endpoint."""
    added = {name: results[(PROXIED, name)].p50_ms - results[(DIRECT, name)].p50_ms for name in ENDPOINTS}
    errors = sum(results[(PROXIED, name)].errors for name in ENDPOINTS)
    return [(f"proxy adds at most {PROXY_ADDED_P50_MS:g} ms to p50 {shape}, zero errors",
             max(added.values()) <= PROXY_ADDED_P50_MS and not errors,
             ", ".join(f"{name} +{ms:.2f} ms" for name, ms in added.items()) + f", {errors} errors")]


def sandbox_targets(reads: dict[tuple[str, str], Load], missed: int,
                    transactions: dict[str, Load]) -> list[tuple[str, bool, str]]:
    verdicts = []
    for name in ENDPOINTS:
        ratio = reads[("booked", name)].requests_per_second / reads[("none", name)].requests_per_second
        verdicts.append((f"{name} with {BOOKED:,} booked entries: >= 0.9x nothing booked", ratio >= 0.9,
                         f"{ratio:.2f}x"))
    verdicts.append(("a booking is in every worker's next read", missed == 0, f"{missed} reads missed one"))
    sqlite = transactions["SQLite (default)"]
    verdicts.append(("SQLite: >= 500 bookings/s, zero errors", sqlite.requests_per_second >= 500 and not sqlite.errors,
                     f"{sqlite.requests_per_second:,.0f}/s, p99 {sqlite.p99_ms:.2f} ms, {sqlite.errors} errors"))
    return verdicts


def scaling_targets(largest: Scaled, reproducible: bool) -> list[tuple[str, bool, str]]:
    """The largest ledger: quick to start, small in memory, as fast at the end as at the start, reproducible."""
    entries = largest.entries
    first = largest.loads["offset 0"].requests_per_second
    slowest = min(load.requests_per_second for load in largest.loads.values())
    return [
        (f"{entries:,} entries: start < 10 s", largest.started_in < 10, f"{largest.started_in:.1f} s"),
        (f"{entries:,} entries: < 300 MB resident", largest.pss_mb < 300,
         f"{largest.pss_mb:.0f} MB (PSS, all processes)"),
        (f"{entries:,} entries: near the end and filtered pages within 20% of the first",
         slowest >= 0.8 * first, f"slowest {slowest / first:.2f}x of the first page"),
        (f"{entries:,} entries: a second process serves the same bytes", reproducible,
         "identical" if reproducible else "different"),
    ]


if __name__ == "__main__":
    main()
