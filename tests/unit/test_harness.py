"""The benchmark reads wrk's report right (the figures in BENCHMARKS.md depend on it)."""

from __future__ import annotations

import subprocess

import pytest
from click.testing import CliRunner

from benchmarks import harness, run

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


def test_one_url_loaded_by_a_script_per_label_is_measured_in_turn(monkeypatch, tmp_path):
    """The sandbox's bookings with 1, 100 and 10,000 accounts: one URL, a script each, in turn."""
    calls = []

    def fake_run(command, **kwargs):
        calls.append((command[command.index("-s") + 1], command[-2]))
        return subprocess.CompletedProcess(command, 0, stdout=WRK_OUTPUT, stderr="")

    monkeypatch.setattr(harness.subprocess, "run", fake_run)
    scripts = {label: tmp_path / f"{label}.lua" for label in ("1", "100")}
    loads = harness.wrk_turn_about(dict.fromkeys(scripts, "http://a/"), 3, 16, {}, scripts)
    one, hundred = str(scripts["1"]), str(scripts["100"])
    assert calls == [(one, "-d2s"), (hundred, "-d2s")] + [(one, "-d3s"), (hundred, "-d3s")] * 3
    assert set(loads) == {"1", "100"}


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


# -- the targets of issue 26, each verdict beside its figure ---------------------------------------

def load(requests_per_second: float, p50_ms: float = 1.0, p99_ms: float = 2.0, errors: int = 0) -> harness.Load:
    return harness.Load(requests_per_second, p50_ms, p99_ms, errors)


def test_the_proxys_targets_are_its_share_of_the_direct_throughput_its_cpu_and_the_paced_p50_added():
    from benchmarks import proxy

    full = {(proxy.DIRECT, name): load(10_000) for name in harness.ENDPOINTS}
    full |= {(proxy.PROXIED, "balances"): load(4_100), (proxy.PROXIED, "history"): load(3_900)}
    paced = {(proxy.DIRECT, name): load(790, p50_ms=0.60) for name in harness.ENDPOINTS}
    paced |= {(proxy.PROXIED, name): load(780, p50_ms=1.05) for name in harness.ENDPOINTS}
    share, cpu, added = proxy.proxy_targets(full, paced, 0.25, 16)
    assert (share.met, share.measured) == (False, "balances 0.41x, history 0.39x, 0 errors")
    assert (cpu.met, cpu.measured) == (True, "0.250 ms")
    assert (added.met, added.measured) == (True, "balances +0.45 ms, history +0.45 ms, 0 errors")
    assert not proxy.proxy_targets(full, paced, 0.26, 16)[1].met


def test_the_mock_with_everything_on_is_held_to_0_8x_the_ceiling_on_both_endpoints():
    from benchmarks import throughput

    results = {(throughput.MOCK, "balances"): load(8_000), (throughput.CEILING, "balances"): load(10_000),
               (throughput.MOCK, "history"): load(7_900), (throughput.CEILING, "history"): load(10_000)}
    ceiling = [verdict for verdict in throughput.throughput_targets(results) if "ceiling" in verdict.target]
    assert [(verdict.met, verdict.measured) for verdict in ceiling] == [(True, "0.80x"), (False, "0.79x")]


def test_the_sandbox_scaling_targets_bookings_with_many_accounts_reads_after_bookings_and_replicas():
    from benchmarks import sandbox_scaling as scaling

    bookings = {"SQLite": {1: load(1_000, p99_ms=5.0), 100: load(950), 10_000: load(920, p99_ms=6.0)},
                "Redis": {1: load(1_000), 100: load(890), 10_000: load(1_000, errors=1)}}
    sqlite, redis = scaling.accounts_targets(bookings)
    assert (sqlite.met, sqlite.measured) == (True, "0.92x at worst; p99 5.00 ms with one, 6.00 ms with 10,000; "
                                                   "0 errors")
    assert not redis.met and redis.measured.startswith("0.89x at worst")

    reads = {(label, name): load(1_000) for label in ("none", "1,000", "10,000") for name in harness.ENDPOINTS}
    reads |= {("100,000", "balances"): load(900), ("100,000", "history"): load(950)}
    verdict = scaling.booked_target(reads)
    assert (verdict.met, verdict.measured) == (True, "balances 0.90x, history 0.95x, 0 errors")
    reads[("100,000", "history")] = load(950, errors=2)
    assert not scaling.booked_target(reads).met

    replicas = {1: (10_000.0, 1_000.0, 0), 2: (9_000.0, 950.0, 0), 3: (8_500.0, 790.0, 0)}
    verdict = scaling.replicas_target(replicas)
    assert not verdict.met
    assert verdict.measured == "2: reads 0.90x, bookings 0.95x; 3: reads 0.85x, bookings 0.79x; 0 errors"
    replicas[3] = (8_500.0, 800.0, 0)
    assert scaling.replicas_target(replicas).met
    assert "| 3 | 8,500 | 0.85x | 800 | 0.80x | 0 |" in scaling.replicas_table(replicas)


def test_a_rewritten_report_keeps_what_was_written_by_hand_below_its_line(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    harness.write_markdown(path, ["## Figures", "first run"], ["balances-mock serve"], None)
    path.write_text(path.read_text() + "\n## Measured by hand\n\nbefore and after a change: 1.02x\n")
    harness.write_markdown(path, ["## Figures", "second run"], ["balances-mock serve"], None)
    text = path.read_text()
    assert "second run" in text and "first run" not in text
    assert text.endswith("\n## Measured by hand\n\nbefore and after a change: 1.02x\n")
    assert text.count(harness.KEPT_BELOW) == 1


def test_a_report_never_overwrites_a_file_it_did_not_write(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# My notes\n")
    with pytest.raises(harness.NotOurs, match="rewriting it would lose what is in it"):
        harness.write_markdown(path, ["## Figures"], [], None)
    assert path.read_text() == "# My notes\n"
    result = CliRunner().invoke(run.main, ["--markdown", str(path)])
    assert result.exit_code == 2 and "would lose what is in it" in result.output
    assert path.read_text() == "# My notes\n"
