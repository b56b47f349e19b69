"""What ``balances-mock proxy`` adds: one mock measured directly and through the proxy in
turn, every exchange checked against the contract and journaled on the way.

Three load shapes: the benchmark's connections at full speed, a single connection, and the
benchmark's connections each pausing 20 ms between requests (benchmarks/paced.lua). At full
speed the median grows with what each exchange costs the machine; paced, below saturation,
it is what one exchange costs a client in time. The targets (issue 26): at full speed, the
proxy passes at least 40% of what the mock answers directly and spends at most 0.25 ms of CPU
per exchange (all its processes); paced, it adds at most 0.5 ms to the median; zero errors.
"""

from __future__ import annotations

import re
import sys

from benchmarks.harness import (
    ENDPOINTS,
    ROOT,
    Bench,
    Load,
    Report,
    Verdict,
    authorization,
    compare,
    cpu_seconds,
    started,
    table,
)
from mock_server.testing.launcher import launch

DIRECT = "balances-mock"
PROXIED = "balances-mock proxy -> balances-mock"
SECONDS = 3
"""Seconds per run (or --duration if shorter): two servers measured in turn, as for the access log."""
SHARE = 0.4
"""At full speed, the proxy passes at least this share of the mock's direct throughput."""
CPU_MS = 0.25
"""At most this much CPU per exchange, the proxy's processes together."""
ADDED_P50_MS = 0.5
"""Paced, the proxy adds at most this much to the median latency."""
WORKERS = 2
"""The proxy's workers here, as many as the mock's (its default is one, for a journal in arrival order)."""
PACED_SCRIPT = ROOT / "benchmarks" / "paced.lua"
PACED = "paced"
"""The load shape with every connection pausing 20 ms between requests (benchmarks/paced.lua)."""


def run(bench: Bench, report: Report) -> list[Verdict]:
    """The mock answering directly against the same mock through ``balances-mock proxy`` (its
    defaults but two workers: four threads each, every exchange checked and journaled), under the load of
    every other part and with a single connection: the section, and its target."""
    seconds = min(SECONDS, bench.duration)
    loads, seen = measure_proxy(bench, seconds)
    for shape, results in loads.items():
        report.loads(f"proxy, {shape if shape != PACED else 'paced'} connections", results)
    report.figure("proxy: CPU ms per exchange", seen["cpu_ms"])
    report.say(
        f"## Through balances-mock proxy (wrk -t1, the mock directly and through the proxy in turn, median of 3 "
        f"runs of {seconds} s)", "", proxy_table(loads), "",
        f"The proxy passed on {seen['requests']:,} exchanges, {seen['with_violations']} of them breaking the "
        f"contract, using {seen['cpu_ms']:.2f} ms of CPU per exchange (all its processes). It ran with "
        f"--workers {WORKERS} --quiet, the mock as everywhere else here. With a fixed number of connections "
        "each waiting for its answer, the median latency is about connections / throughput: at "
        f"{bench.connections} connections, p50 grows with what each exchange costs the machine, the proxy's and "
        "the mock's processes together. Paced, each connection waits 20 ms between requests, below what "
        "either server can take: the median is then what one exchange costs a client in time.", "")
    return proxy_targets(loads[bench.connections], loads[PACED], seen["cpu_ms"], bench.connections)


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
                        "--workers", str(WORKERS)], cwd=ROOT)
        try:
            auth = authorization(mock.url)
            cpu_before = cpu_seconds(proxy.process.pid)
            shapes = {**{c: (c, None) for c in dict.fromkeys([bench.connections, 1])},
                      PACED: (bench.connections, PACED_SCRIPT)}
            results = {shape: compare({DIRECT: mock.url, PROXIED: proxy.url}, seconds, connections, auth, script)
                       for shape, (connections, script) in shapes.items()}
            cpu = cpu_seconds(proxy.process.pid) - cpu_before
        finally:
            proxy.stop()
        summary = next(line for line in proxy.output if line.startswith("balances-mock proxy: "))
        requests_seen, broke = map(int, re.match(r"balances-mock proxy: (\d+) requests, (\d+) broke", summary).groups())
    return results, {"requests": requests_seen, "with_violations": broke, "cpu_ms": cpu * 1000 / requests_seen}


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


def proxy_targets(full: dict[tuple[str, str], Load], paced: dict[tuple[str, str], Load], cpu_ms: float,
                  connections: int) -> list[Verdict]:
    """At full speed, a share of the direct throughput and the CPU per exchange; paced, the
    latency added to the median; zero errors throughout."""
    shares = {name: full[(PROXIED, name)].requests_per_second / full[(DIRECT, name)].requests_per_second
              for name in ENDPOINTS}
    added = {name: paced[(PROXIED, name)].p50_ms - paced[(DIRECT, name)].p50_ms for name in ENDPOINTS}
    full_errors = sum(full[(PROXIED, name)].errors for name in ENDPOINTS)
    paced_errors = sum(paced[(PROXIED, name)].errors for name in ENDPOINTS)
    return [
        Verdict(f"proxy at {connections} connections, full speed: >= {SHARE:.0%} of the direct throughput, "
                "zero errors", min(shares.values()) >= SHARE and not full_errors,
                ", ".join(f"{name} {share:.2f}x" for name, share in shares.items()) + f", {full_errors} errors"),
        Verdict(f"proxy: at most {CPU_MS:g} ms of CPU per exchange", cpu_ms <= CPU_MS, f"{cpu_ms:.3f} ms"),
        Verdict(f"proxy at {connections} connections, paced: adds at most {ADDED_P50_MS:g} ms to p50, zero errors",
                max(added.values()) <= ADDED_P50_MS and not paced_errors,
                ", ".join(f"{name} {ms:+.2f} ms" for name, ms in added.items()) + f", {paced_errors} errors"),
    ]
