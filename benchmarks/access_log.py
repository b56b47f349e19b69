"""What the access log costs: the mock as it starts by default, one line per request printed
and read as it comes (as a terminal would), against the same mock with ``--quiet``.

The log is on by default, so its cost is every user's cost: it must keep at least 0.9x the
throughput of ``--quiet`` on every endpoint.
"""

from __future__ import annotations

import time

import requests

from benchmarks.harness import (
    Bench,
    Load,
    Report,
    Verdict,
    authorization,
    compare,
    costs_at_most_10_percent,
    side_by_side_table,
    started,
)
from mock_server.serving.access_log import INTERVAL as LOG_INTERVAL

LOGGED = "balances-mock (access log on)"
QUIET = "balances-mock --quiet"
SECONDS = 2
"""Seconds per run (or --duration if shorter): it compares two servers measured in turn, so
short runs do, and the part stays well under a minute."""


def run(bench: Bench, report: Report) -> list[Verdict]:
    """The mock with its access log against ``--quiet``: the section, and its target."""
    seconds = min(SECONDS, bench.duration)
    loads, lines = measure_access_log(bench, seconds)
    report.loads("access log", loads)
    report.say(f"## The access log ({bench.connections} connections, wrk -t1, the two servers in turn, median of "
               f"3 runs of {seconds} s)", "", side_by_side_table(loads, LOGGED, QUIET, "logged / quiet"), "",
               f"The logged mock printed {lines:,} access-log lines, read as they came.", "")
    return [costs_at_most_10_percent("access log costs at most 10% (default >= 0.9x --quiet)", loads, LOGGED, QUIET)]


def measure_access_log(bench: Bench, seconds: int) -> tuple[dict[tuple[str, str], Load], int]:
    """The mock as it starts by default, access log on and its output read line by line as
    it comes (the launcher drains the pipe, as a terminal would), against the same mock with
    ``--quiet``; and how many lines the logged one printed."""
    quiet = bench.mock_command
    logged = [arg for arg in quiet if arg != "--quiet"]
    with started(logged) as loud, started(quiet) as silent:
        auth = authorization(loud.url)
        results = compare({LOGGED: loud.url, QUIET: silent.url}, seconds, bench.connections, auth)
        marker, before = "/end-of-the-access-log-benchmark", len(loud.output)
        requests.get(loud.url + marker, timeout=10)
        loud.wait_for_line(marker, start=before)
        time.sleep(2 * LOG_INTERVAL)  # the other worker's last lines: written within one interval
        return results, sum('query="' in line for line in loud.output)
