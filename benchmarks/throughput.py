"""Throughput and latency: the mock against Stoplight Prism and a constant-response ceiling.

Prism (dynamic and static, mocking our own spec) is what a team would otherwise reach for;
the ceiling (benchmarks/ceiling.py) answers the mock's own bodies as constant bytes under the
same server, so it is the most the mock could ever reach. The mock must stay near the
ceiling, far above Prism, and fast without errors, with nothing switched off to win.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import requests

from benchmarks.harness import ENDPOINTS, ROOT, Bench, Load, Report, Verdict, authorization, compare, started, table
from mock_server.serving.ports import free_port
from mock_server.testing.launcher import ServerProcess

SPEC = ROOT / "spec" / "openapi.yaml"
PRISM_HOME = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "balances-mock" / "prism"
PRISM_PACKAGE = "@stoplight/prism-cli@5"
PRISM_MODES = (("dynamic", ["-d"]), ("static", []))
MOCK = "balances-mock"
CEILING = "ceiling (constant Flask)"
CEILING_SHARE = 0.8
"""The mock with everything on keeps at least this share of the ceiling's throughput (issue 26)."""


def run(bench: Bench, report: Report, prism: list[str] | None) -> list[Verdict]:
    """The mock as it starts by default (sandbox, journal and access log on, its log read as it
    comes), Prism in both modes (``prism``: its command, None to skip it) and the ceiling, all
    started together and measured in turn on every endpoint: the section, and its targets."""
    with contextlib.ExitStack() as stack:
        mock = stack.enter_context(started(default_command(bench)))
        auth = authorization(mock.url)
        # The mock first: the ceiling answers the bodies it sends.
        bodies = {path.split("?")[0]: requests.get(mock.url + path, headers=auth, timeout=10).text
                  for path in ENDPOINTS.values()}
        servers = {MOCK: mock.url, CEILING: stack.enter_context(ceiling(bodies)).url}
        if prism is not None:
            for mode, flags in PRISM_MODES:
                command = [*prism, "mock", "-h", "127.0.0.1", "-p", str(free_port()), *flags, str(SPEC)]
                servers[f"Prism {mode}"] = stack.enter_context(started(command, "Prism is listening")).url
        # Prism checks only that a bearer token is there; the ceiling checks nothing: one header for all.
        results = compare(servers, bench.duration, bench.connections, auth)
    report.loads("throughput", results)
    report.say(f"## Throughput and latency ({bench.connections} connections, wrk -t1, every server measured in "
               f"turn, median of 3 runs of {bench.duration} s)", "",
               "The mock as `serve` starts it: sandbox, request journal and access log on (its lines read as they "
               "come, as a terminal would).", "", throughput_table(results), "")
    return throughput_targets(results)


def default_command(bench: Bench) -> list[str]:
    """``serve`` as a user starts it: the benchmark's command without ``--quiet``."""
    return [arg for arg in bench.mock_command if arg != "--quiet"]


def commands(bench: Bench, prism: list[str] | None) -> list[str]:
    """The servers ``run`` starts, as BENCHMARKS.md lists them (the token secret left out)."""
    shown = ["python -m mock_server serve --token-secret ... (and with --quiet, --no-journal, --state, --workers, "
             "--entries where a section says so)", "python -m mock_server proxy URL --workers 2 --quiet"]
    if prism is not None:
        shown += [f"prism mock {' '.join(flags)} spec/openapi.yaml".replace("  ", " ") for _, flags in PRISM_MODES]
    return [*shown, "python benchmarks/ceiling.py BODIES.json"]


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


# -- the ceiling ----------------------------------------------------------------------------

@contextlib.contextmanager
def ceiling(bodies: dict[str, str]) -> Iterator[ServerProcess]:
    """Constant bytes (the mock's own bodies) from Flask under the same server and settings."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(bodies, file)
    try:
        with started([sys.executable, str(ROOT / "benchmarks" / "ceiling.py"), file.name]) as server:
            yield server
    finally:
        os.unlink(file.name)


# -- the section ----------------------------------------------------------------------------

def throughput_table(results: dict[tuple[str, str], Load]) -> str:
    rows = []
    for name in ENDPOINTS:
        mine = results[(MOCK, name)]
        for server in dict.fromkeys(s for s, _ in results):
            load = results[(server, name)]
            ratio = "" if server == MOCK else f"{mine.requests_per_second / load.requests_per_second:.1f}x"
            rows.append([ENDPOINTS[name], server, *load.cells(), ratio])
    return table(["endpoint", "server", "requests/s", "p50 ms", "p99 ms", "errors", "mock / this"], rows)


def throughput_targets(results: dict[tuple[str, str], Load]) -> list[Verdict]:
    """Per endpoint: near the ceiling, far above Prism, and fast without errors."""
    verdicts = []
    for name in ENDPOINTS:
        mine = results[(MOCK, name)]
        ceiling = results[(CEILING, name)]
        verdicts.append(Verdict(f"{name}: everything on, >= {CEILING_SHARE}x the ceiling",
                                mine.requests_per_second >= CEILING_SHARE * ceiling.requests_per_second,
                                f"{mine.requests_per_second / ceiling.requests_per_second:.2f}x"))
        if ("Prism dynamic", name) in results:
            prism = results[("Prism dynamic", name)]
            verdicts.append(Verdict(f"{name}: >= 10x Prism dynamic",
                                    mine.requests_per_second >= 10 * prism.requests_per_second,
                                    f"{mine.requests_per_second / prism.requests_per_second:.1f}x"))
        verdicts.append(Verdict(f"{name}: p99 < 10 ms, zero errors", mine.p99_ms < 10 and mine.errors == 0,
                                f"p99 {mine.p99_ms:.2f} ms, {mine.errors} errors"))
    return verdicts
