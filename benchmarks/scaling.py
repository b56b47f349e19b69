"""Scaling with the ledger: the mock started with growing numbers of history entries (by
default 1,000, 100,000 and 1,000,000), each measured for start-up time, memory, and pages at
both ends of the history and filtered.

A page must cost the same at any size and offset, so the largest ledger must start in under
10 s, stay under 300 MB, serve its last and filtered pages within 20% of its first, and a
second process must serve that last page byte for byte alike (the ledger is a function of its
scenario, seed and size, so every process holds the same one).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import requests

from benchmarks.harness import HISTORY, Bench, Load, Report, Verdict, authorization, memory_mb, started, table


@dataclass(frozen=True)
class Scaled:
    """The mock measured with one ledger size."""

    entries: int
    started_in: float
    rss_mb: float
    pss_mb: float
    loads: dict[str, Load]
    last_page_sha256: str


def run(bench: Bench, report: Report, sizes: list[int]) -> list[Verdict]:
    """The mock at each of ``sizes`` entries: the section, and the largest one's targets."""
    report.say(f"## Scaling with the ledger ({bench.connections} connections, median of 3 runs of "
               f"{bench.duration} s)", "")
    scaled = [measure_size(bench, entries) for entries in sizes]
    report.say(scaling_table(scaled), "")
    largest = scaled[-1]
    return scaling_targets(largest, serves_the_same_bytes(bench, largest))


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
        auth = authorization(mock.url)
        loads = {label: bench.load(f"{mock.url}{HISTORY}{query}", auth) for label, query in queries.items()}
        last_page = _last_page(mock.url, auth, entries)
    return Scaled(entries, started_in, rss, pss, loads, hashlib.sha256(last_page).hexdigest())


def serves_the_same_bytes(bench: Bench, measured: Scaled) -> bool:
    """Determinism: a second process with the same ledger size answers the last page byte for byte."""
    with started([*bench.mock_command, "--entries", str(measured.entries)]) as again:
        repeat = _last_page(again.url, authorization(again.url), measured.entries)
    return hashlib.sha256(repeat).hexdigest() == measured.last_page_sha256


def _last_page_query(entries: int) -> str:
    return f"?limit=20&offset={max(entries - 20, 0)}"


def _last_page(url: str, auth: dict[str, str], entries: int) -> bytes:
    return requests.get(f"{url}{HISTORY}{_last_page_query(entries)}", headers=auth, timeout=10).content


def scaling_table(scaled: list[Scaled]) -> str:
    rows = []
    for size in scaled:
        first = size.loads["offset 0"].requests_per_second
        for label, load in size.loads.items():
            rows.append([f"{size.entries:,}", f"{size.started_in:.1f}", f"{size.rss_mb:.0f}", f"{size.pss_mb:.0f}",
                         label, *load.cells(), f"{load.requests_per_second / first:.2f}"])
    return table(["entries", "start-up s", "main RSS MB", "total PSS MB", "query", "requests/s", "p50 ms",
                  "p99 ms", "errors", "vs offset 0"], rows)


def scaling_targets(largest: Scaled, reproducible: bool) -> list[Verdict]:
    """The largest ledger: quick to start, small in memory, as fast at the end as at the start, reproducible."""
    entries = largest.entries
    first = largest.loads["offset 0"].requests_per_second
    slowest = min(load.requests_per_second for load in largest.loads.values())
    return [
        Verdict(f"{entries:,} entries: start < 10 s", largest.started_in < 10, f"{largest.started_in:.1f} s"),
        Verdict(f"{entries:,} entries: < 300 MB resident", largest.pss_mb < 300,
                f"{largest.pss_mb:.0f} MB (PSS, all processes)"),
        Verdict(f"{entries:,} entries: near the end and filtered pages within 20% of the first",
                slowest >= 0.8 * first, f"slowest {slowest / first:.2f}x of the first page"),
        Verdict(f"{entries:,} entries: a second process serves the same bytes", reproducible,
                "identical" if reproducible else "different"),
    ]
