"""Throughput and latency: the mock against Stoplight Prism and a constant-response ceiling.

Prism (dynamic and static, mocking our own spec) is what a team would otherwise reach for;
the ceiling (benchmarks/ceiling.py) answers the mock's own bodies as constant bytes under the
same server, so it is the most the mock could ever reach. The mock must stay near the
ceiling, far above Prism, and fast without errors, with nothing switched off to win.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

from benchmarks.harness import ENDPOINTS, ROOT, Bench, Load, Report, Verdict, authorization, started, table
from mock_server.serving.ports import free_port

SPEC = ROOT / "spec" / "openapi.yaml"
PRISM_HOME = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "balances-mock" / "prism"
PRISM_PACKAGE = "@stoplight/prism-cli@5"
PRISM_MODES = (("dynamic", ["-d"]), ("static", []))
MOCK = "balances-mock"
CEILING = "ceiling (constant Flask)"


def run(bench: Bench, report: Report, prism: list[str] | None) -> list[Verdict]:
    """The mock, Prism in both modes (``prism``: its command, None to skip it) and the
    ceiling on every endpoint: the section, and its targets."""
    # The mock first: the ceiling answers the bodies it sends.
    results, bodies = measure_mock(bench)
    if prism is not None:
        for mode, flags in PRISM_MODES:
            results.update(measure_prism(bench, prism, mode, flags))
    results.update(measure_ceiling(bench, bodies))
    report.say(f"## Throughput and latency ({bench.connections} connections, wrk -t1, median of 3 runs of "
               f"{bench.duration} s)", "", throughput_table(results), "")
    return throughput_targets(results)


def commands(bench: Bench, prism: list[str] | None) -> list[str]:
    """The servers ``run`` starts, as BENCHMARKS.md lists them (the token secret left out)."""
    shown = [" ".join(bench.mock_command[:1] + ["-m mock_server serve --quiet --token-secret ..."])]
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


# -- the measurements -----------------------------------------------------------------------

def measure_mock(bench: Bench) -> tuple[dict[tuple[str, str], Load], dict[str, str]]:
    """The mock on every endpoint, and the bodies it answers there."""
    with started(bench.mock_command) as mock:
        auth = authorization(mock.url)
        bodies = {path.split("?")[0]: requests.get(mock.url + path, headers=auth, timeout=10).text
                  for path in ENDPOINTS.values()}
        return _each_endpoint(bench, MOCK, mock.url, auth), bodies


def measure_prism(bench: Bench, prism: list[str], mode: str, flags: list[str]) -> dict[tuple[str, str], Load]:
    """Stoplight Prism mocking our own spec; it checks only that a bearer token is present."""
    command = [*prism, "mock", "-h", "127.0.0.1", "-p", str(free_port()), *flags, str(SPEC)]
    with started(command, "Prism is listening") as server:
        return _each_endpoint(bench, f"Prism {mode}", server.url, {"Authorization": "Bearer x"})


def measure_ceiling(bench: Bench, bodies: dict[str, str]) -> dict[tuple[str, str], Load]:
    """Constant bytes (the mock's own bodies) from Flask under the same server and settings."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(bodies, file)
    try:
        with started([sys.executable, str(ROOT / "benchmarks" / "ceiling.py"), file.name]) as ceiling:
            return _each_endpoint(bench, CEILING, ceiling.url, {})
    finally:
        os.unlink(file.name)


def _each_endpoint(bench: Bench, server: str, url: str, headers: dict[str, str]) -> dict[tuple[str, str], Load]:
    """One server on every endpoint, one after the other: keyed by (server, endpoint name)."""
    return {(server, name): bench.load(url + path, headers) for name, path in ENDPOINTS.items()}


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
        verdicts.append(Verdict(f"{name}: >= 0.6x the ceiling",
                                mine.requests_per_second >= 0.6 * ceiling.requests_per_second,
                                f"{mine.requests_per_second / ceiling.requests_per_second:.2f}x"))
        if ("Prism dynamic", name) in results:
            prism = results[("Prism dynamic", name)]
            verdicts.append(Verdict(f"{name}: >= 10x Prism dynamic",
                                    mine.requests_per_second >= 10 * prism.requests_per_second,
                                    f"{mine.requests_per_second / prism.requests_per_second:.1f}x"))
        verdicts.append(Verdict(f"{name}: p99 < 10 ms, zero errors", mine.p99_ms < 10 and mine.errors == 0,
                                f"p99 {mine.p99_ms:.2f} ms, {mine.errors} errors"))
    return verdicts
