"""What the request journal costs: the mock recording every request (the default: a
temporary SQLite state, two workers) against the same mock with ``--no-journal``.

The journal is on by default, so its cost is every user's cost: it must keep at least 0.9x
the throughput of ``--no-journal`` on every endpoint.
"""

from __future__ import annotations

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

JOURNAL_ON = "balances-mock (journal on)"
JOURNAL_OFF = "balances-mock --no-journal"
SECONDS = 3
"""Seconds per run (or --duration if shorter): two servers measured in turn, as for the access log."""


def run(bench: Bench, report: Report) -> list[Verdict]:
    """The mock recording every request in its journal against ``--no-journal``: the
    section, and its target."""
    seconds = min(SECONDS, bench.duration)
    loads, recorded = measure_journal(bench, seconds)
    report.loads("journal", loads)
    report.say(f"## The request journal ({bench.connections} connections, wrk -t1, the two servers in turn, median "
               f"of 3 runs of {seconds} s)", "", side_by_side_table(loads, JOURNAL_ON, JOURNAL_OFF, "on / off"), "",
               f"The recording mock's journal held {recorded:,} requests at the end (it keeps the last 10,000), "
               "read through GET /__sandbox/requests as a client reads it.", "")
    return [costs_at_most_10_percent("journal costs at most 10% of reads (default >= 0.9x --no-journal)", loads,
                                     JOURNAL_ON, JOURNAL_OFF)]


def measure_journal(bench: Bench, seconds: int) -> tuple[dict[tuple[str, str], Load], int]:
    """The mock as it starts by default, journal on, against the same mock with
    ``--no-journal``, on both endpoints; and how many requests the recording one's journal
    holds at the end."""
    with started(bench.mock_command) as recording, started([*bench.mock_command, "--no-journal"]) as silent:
        auth = authorization(recording.url)
        results = compare({JOURNAL_ON: recording.url, JOURNAL_OFF: silent.url}, seconds, bench.connections, auth)
        page = requests.get(f"{recording.url}/__sandbox/requests", params={"limit": 1}, headers=auth, timeout=30)
        return results, page.json()["total"]
