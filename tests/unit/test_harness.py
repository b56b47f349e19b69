"""The benchmark reads wrk's report right (the figures in BENCHMARKS.md depend on it)."""

from __future__ import annotations

import subprocess

from benchmarks import harness

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000/user/balances/
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   716.48us  410.22us  12.77ms   93.21%
    Req/Sec    22.59k   704.63    23.72k    72.00%
  Latency Distribution
     50%  646.00us
     75%  722.00us
     90%  880.00us
     99%    1.74ms
  224785 requests in 10.00s, 36.01MB read
  Socket errors: connect 0, read 3, write 0, timeout 1
  Non-2xx or 3xx responses: 2
Requests/sec:  22478.03
Transfer/sec:      3.60MB
"""


def test_wrk_report_is_parsed(monkeypatch):
    calls = []

    def fake_run(command, **kwargs):
        calls.append(command)
        return subprocess.CompletedProcess(command, 0, stdout=WRK_OUTPUT, stderr="")

    monkeypatch.setattr(harness.subprocess, "run", fake_run)
    load = harness.wrk("http://127.0.0.1:8000/user/balances/", 10, 16, {"Authorization": "Bearer t"})
    assert (load.requests_per_second, load.p50_ms, load.p99_ms) == (22478.03, 0.646, 1.74)
    assert load.errors == 3 * 6  # summed over the three measured runs
    assert calls[0][-2:] == ["-d2s", "http://127.0.0.1:8000/user/balances/"]  # the unmeasured warm-up
    assert len(calls) == 4 and "-c16" in calls[1] and "Authorization: Bearer t" in calls[1]


def test_markdown_table():
    assert harness.table(["a", "b"], [["1", "2"]]) == "| a | b |\n|---|---|\n| 1 | 2 |"


def test_servers_compared_are_measured_in_turn(monkeypatch):
    calls = []

    def fake_run(command, **kwargs):
        calls.append((command[-2], command[-1]))
        return subprocess.CompletedProcess(command, 0, stdout=WRK_OUTPUT, stderr="")

    monkeypatch.setattr(harness.subprocess, "run", fake_run)
    loads = harness.wrk_turn_about({"logged": "http://a/", "quiet": "http://b/"}, 5, 16, {})
    warm_ups, runs = [("-d2s", "http://a/"), ("-d2s", "http://b/")], [("-d5s", "http://a/"), ("-d5s", "http://b/")]
    assert calls == warm_ups + runs * 3
    assert loads["logged"].requests_per_second == loads["quiet"].requests_per_second == 22478.03


def test_compare_measures_every_endpoint_with_the_servers_in_turn(monkeypatch):
    calls = []

    def fake_turn_about(urls, seconds, connections, headers, script=None):
        calls.append(urls)
        return {label: harness.Load(100.0, 1.0, 2.0, 0) for label in urls}

    monkeypatch.setattr(harness, "wrk_turn_about", fake_turn_about)
    results = harness.compare({"on": "http://a", "off": "http://b"}, 5, 16, {})
    assert calls == [{"on": f"http://a{path}", "off": f"http://b{path}"} for path in harness.ENDPOINTS.values()]
    assert set(results) == {(label, name) for name in harness.ENDPOINTS for label in ("on", "off")}


def test_a_default_that_costs_more_than_a_tenth_on_any_endpoint_misses_its_target():
    loads = {("on", "balances"): harness.Load(95.0, 1.0, 2.0, 0), ("off", "balances"): harness.Load(100.0, 1.0, 2.0, 0),
             ("on", "history"): harness.Load(80.0, 1.0, 2.0, 0), ("off", "history"): harness.Load(100.0, 1.0, 2.0, 0)}
    verdict = harness.costs_at_most_10_percent("costs little", loads, "on", "off")
    assert verdict == ("costs little", False, "balances 0.95x, history 0.80x")


def test_a_run_is_kept_as_json_and_the_next_one_shows_its_figures_beside_it(tmp_path):
    from datetime import UTC, datetime

    first = harness.Report()
    first.figure("throughput: balances-mock, balances, requests/s", 10_000.0)
    first.verdicts = [harness.Verdict("fast", True, "10,000/s")]
    assert harness.previous_run(tmp_path) is None
    harness.write_run(first, datetime(2026, 11, 25, 9, 41, tzinfo=UTC), tmp_path)
    second = harness.Report()
    second.figure("throughput: balances-mock, balances, requests/s", 8_000.0)
    second.figure("a new figure", 0.25)
    second.verdicts = [harness.Verdict("fast", False, "8,000/s")]
    harness.write_run(second, datetime(2026, 11, 26, 9, 41, tzinfo=UTC), tmp_path)

    previous = harness.previous_run(tmp_path)
    assert previous["when"] == "2026-11-26 09:41 UTC" and previous["figures"]["a new figure"] == 0.25
    section = "\n".join(harness.beside_previous(second, json_of(tmp_path, "2026-11-25T0941")))
    assert "| throughput: balances-mock, balances, requests/s | 10,000 | 8,000 | 0.80x |" in section
    assert "| a new figure |  | 0.25 |  |" in section
    assert "- fast: missed now, met before" in section
    assert "No previous run" in "\n".join(harness.beside_previous(second, None))


def json_of(folder, name):
    import json

    return json.loads((folder / f"{name}.json").read_text())
