"""What every benchmark shares: wrk driven and read, servers started and signed in to,
process readings, and the report (tables, target verdicts, the markdown file).

Each part of the benchmark (throughput.py, access_log.py, journal.py, proxy.py, sandbox.py,
scaling.py) measures with these and writes its own section; run.py runs the parts. The
figures are only comparable because every part loads its servers the same way: one wrk
thread, each URL warmed up first, the median of three runs.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

import requests

from mock_server.testing.launcher import READY, ServerProcess, launch

ROOT = Path(__file__).resolve().parent.parent
ENDPOINTS = {"balances": "/user/balances/", "history": "/user/balances/history/?limit=20"}
"""The endpoints every comparison measures: name (used in the targets) -> path and query."""
HISTORY = "/user/balances/history/"
WARM_UP_SECONDS = 2
REPEATS = 3


@dataclass
class Load:
    """What wrk measured for one URL."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int

    def cells(self) -> list[str]:
        return [f"{self.requests_per_second:,.0f}", f"{self.p50_ms:.2f}", f"{self.p99_ms:.2f}", str(self.errors)]


# -- load: wrk ------------------------------------------------------------------------------

def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is not installed. On Debian or Ubuntu: sudo apt-get install wrk; "
                 "on macOS: brew install wrk. Then run this again.")
    return wrk


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str], script: Path | None = None) -> Load:
    """wrk (one thread, as in the reference figures) after an unmeasured warm-up of the same
    URL, run three times: the median of each figure, so one hiccup of a shared machine does
    not decide a latency percentile. Errors are added up over all runs."""
    return wrk_turn_about({url: url}, seconds, connections, headers, script)[url]


def wrk_turn_about(urls: Mapping[str, str], seconds: int, connections: int,
                   headers: dict[str, str], script: Path | Mapping[str, Path] | None = None) -> dict[str, Load]:
    """``wrk`` for several servers at once, each URL warmed up, then measured in turn three
    times over: a busy moment of a shared machine then falls on all of them alike, which is
    what a comparison between them needs. ``script``: a wrk Lua script (a POST, say), or one
    per label (the same URL loaded different ways, compared in turn)."""
    scripts = script if isinstance(script, Mapping) else dict.fromkeys(urls, script)
    commands = {label: wrk_command(connections, headers, scripts[label]) for label in urls}
    for label, url in urls.items():
        subprocess.run([*commands[label], f"-d{WARM_UP_SECONDS}s", url], capture_output=True, check=True)
    runs: dict[str, list[Load]] = {label: [] for label in urls}
    for _ in range(REPEATS):
        for label, url in urls.items():
            runs[label].append(parse_wrk(subprocess.run([*commands[label], f"-d{seconds}s", url],
                                                        capture_output=True, text=True, check=True).stdout))
    return {label: Load(statistics.median(r.requests_per_second for r in loads),
                        statistics.median(r.p50_ms for r in loads), statistics.median(r.p99_ms for r in loads),
                        sum(r.errors for r in loads))
            for label, loads in runs.items()}


def wrk_command(connections: int, headers: dict[str, str], script: Path | None = None) -> list[str]:
    """wrk as every part runs it (one thread, latency percentiles), but for the duration and URL."""
    command = ["wrk", "-t1", f"-c{connections}", "--latency", *(["-s", str(script)] if script else [])]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    return command


def compare(servers: dict[str, str], seconds: int, connections: int, headers: dict[str, str],
            script: Path | None = None) -> dict[tuple[str, str], Load]:
    """Every endpoint on each of ``servers`` (label -> base URL), the servers measured in turn
    (``wrk_turn_about``) one endpoint after the other: keyed by (label, endpoint name)."""
    results = {}
    for name, path in ENDPOINTS.items():
        loads = wrk_turn_about({label: url + path for label, url in servers.items()}, seconds, connections,
                               headers, script)
        results.update({(label, name): load for label, load in loads.items()})
    return results


def parse_wrk(output: str) -> Load:
    """wrk's report (run with --latency): requests/s, the median and 99th percentile, and
    every socket error and non-2xx/3xx answer counted as an error."""
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    errors += int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", output)) else 0
    return Load(float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
                _ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
                _ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1)), errors)


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


@dataclass(frozen=True)
class Bench:
    """What every measurement of one run shares: the load wrk puts on, and how to start the mock."""

    duration: int
    connections: int
    mock_command: list[str]

    def load(self, url: str, headers: dict[str, str]) -> Load:
        return wrk(url, self.duration, self.connections, headers)


# -- servers --------------------------------------------------------------------------------

@contextmanager
def started(command: list[str], ready: str = READY, timeout: float = 120) -> Iterator[ServerProcess]:
    """``command`` launched for the length of the block, once its URL answers HTTP (Prism says
    it listens a moment before it accepts)."""
    server = launch(command, ready, cwd=ROOT, timeout=timeout)
    try:
        _wait_until_answering(server.url, timeout)
        yield server
    finally:
        server.stop()


def _wait_until_answering(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=1)
            return
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or listening but still starting
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def token(url: str) -> str:
    response = requests.post(f"{url}/o/token/", data={"grant_type": "client_credentials"},
                             auth=("demo", "demo-secret"), timeout=10)
    return response.json()["access_token"]


def authorization(url: str) -> dict[str, str]:
    """The header of a fresh token from the mock at ``url`` (the demo client); any mock of the
    same run accepts it, since they share one token secret."""
    return {"Authorization": f"Bearer {token(url)}"}


# -- process readings -----------------------------------------------------------------------

def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS of the main process, PSS of it and its children): PSS splits shared pages fairly,
    so forked workers sharing the ledger are not counted twice."""
    pids = [pid, *_children(pid)]
    rss = _status_kb(pid, "VmRSS") / 1024
    pss = sum(_rollup_kb(p, "Pss") for p in pids) / 1024
    return rss, pss


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its children (a server's workers) so far."""
    total = 0
    for each in [pid, *_children(pid)]:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (stat(5), counted after the name)
    return total / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        for text in child.read_text().split():
            found += [int(text), *_children(int(text))]
    return found


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _rollup_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def version_of(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
        return (result.stdout or result.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


# -- the report -----------------------------------------------------------------------------

class Verdict(NamedTuple):
    """One target of the report: what it asks, whether this run met it, and what was measured."""

    target: str
    met: bool
    measured: str


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


@dataclass
class Report:
    """The report as it is written: each line printed at once, so a long run shows every
    section as soon as it is measured, and kept for the markdown file; with it, the run's
    figures by name (``figure``, ``loads``), for the JSON history and the comparison with the
    previous run."""

    lines: list[str] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)
    verdicts: list[Verdict] = field(default_factory=list)

    def say(self, *lines: str) -> None:
        for line in lines:
            print(line, flush=True)
            self.lines.append(line)

    def figure(self, name: str, value: float) -> None:
        """One figure of the run, by a name that stays the same from run to run."""
        self.figures[name] = value

    def loads(self, section: str, results: Mapping[tuple[str, str], Load]) -> None:
        """Requests per second and p99 of each (server, endpoint) a section measured."""
        for (server, endpoint), load in results.items():
            self.figure(f"{section}: {server}, {endpoint}, requests/s", load.requests_per_second)
            self.figure(f"{section}: {server}, {endpoint}, p99 ms", load.p99_ms)

    def targets(self, verdicts: list[Verdict]) -> None:
        """The closing section: every target of the parts run, met or not."""
        self.verdicts = list(verdicts)
        rows = [[target, "yes" if met else "NO", measured] for target, met, measured in verdicts]
        self.say("## Targets", "", table(["target", "met", "measured"], rows), "")


# -- the history of the figures ------------------------------------------------------------------

HISTORY_DIR = ROOT / "benchmarks" / "history"
"""One JSON file per full run (``run.py --markdown``), named by when it ran: what the next run's
BENCHMARKS.md compares itself with."""


def previous_run(folder: Path = HISTORY_DIR) -> dict[str, Any] | None:
    """The newest run kept in ``folder``, or None."""
    runs = sorted(folder.glob("*.json")) if folder.is_dir() else []
    return json.loads(runs[-1].read_text()) if runs else None


def write_run(report: Report, when: datetime, folder: Path = HISTORY_DIR) -> Path:
    """This run's figures and verdicts as JSON in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{when.strftime('%Y-%m-%dT%H%M')}.json"
    path.write_text(json.dumps({
        "when": when.strftime("%Y-%m-%d %H:%M UTC"), "machine": _machine(), "load_average": os.getloadavg()[0],
        "figures": report.figures,
        "targets": [{"target": target, "met": met, "measured": measured} for target, met, measured in report.verdicts],
    }, indent=1) + "\n")
    return path


def beside_previous(report: Report, previous: Mapping[str, Any] | None) -> list[str]:
    """The section that shows each figure of this run beside the previous run's, and the targets
    whose verdict changed: a change that costs speed shows in review."""
    if previous is None:
        return ["## Beside the previous run", "", "No previous run is kept in benchmarks/history/.", ""]
    before: Mapping[str, float] = previous.get("figures", {})
    rows = []
    for name, now in report.figures.items():
        then = before.get(name)
        change = "" if not then else f"{now / then:.2f}x"
        rows.append([name, "" if then is None else _number(then), _number(now), change])
    was = {entry["target"]: entry["met"] for entry in previous.get("targets", [])}
    flipped = [f"- {target}: {'met' if met else 'missed'} now, {'met' if was[target] else 'missed'} before"
               for target, met, _ in report.verdicts if target in was and was[target] != met]
    return ["## Beside the previous run", "",
            f"The previous run: {previous.get('when', '?')} on {previous.get('machine', '?')} (load average "
            f"{previous.get('load_average', 0):.1f} as it ended; this one "
            f"{os.getloadavg()[0]:.1f}){'; ' + previous['note'] if previous.get('note') else ''}. Figures of runs "
            "on a loaded machine move with the load: compare the ratios within each run first.", "",
            table(["figure", "previous", "latest", "latest / previous"], rows), "",
            *(["Targets whose verdict changed:", "", *flipped, ""] if flipped else
              ["No target's verdict changed.", ""])]


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def side_by_side_table(results: dict[tuple[str, str], Load], server: str, peer: str, ratio: str) -> str:
    """Each endpoint on ``server`` and on ``peer`` (measured in turn), with server / peer."""
    rows = []
    for name, path in ENDPOINTS.items():
        measured, compared = results[(server, name)], results[(peer, name)]
        rows.append([path, server, *measured.cells(),
                     f"{measured.requests_per_second / compared.requests_per_second:.2f}x"])
        rows.append([path, peer, *compared.cells(), ""])
    return table(["endpoint", "server", "requests/s", "p50 ms", "p99 ms", "errors", ratio], rows)


def costs_at_most_10_percent(target: str, results: dict[tuple[str, str], Load], server: str,
                             peer: str) -> Verdict:
    """What is on by default must cost little: ``server`` keeps at least 0.9x the throughput of
    ``peer``, the same mock with it switched off, on every endpoint."""
    ratios = {name: results[(server, name)].requests_per_second / results[(peer, name)].requests_per_second
              for name in ENDPOINTS}
    return Verdict(target, min(ratios.values()) >= 0.9,
                   ", ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios.items()))


KEPT_BELOW = "<!-- benchmarks/run.py writes everything above this line; what follows is written by hand and kept -->"
"""The line in BENCHMARKS.md below which a run changes nothing: measurements made by hand
(before and after a change, the container image) stay when the report above is rewritten."""


class NotOurs(Exception):
    """The markdown file exists but has no ``KEPT_BELOW`` line: rewriting it would lose what
    someone wrote in it."""


def kept_part(path: Path) -> str:
    """What ``write_markdown`` keeps of ``path``: everything below ``KEPT_BELOW`` (nothing for a
    file that is missing or empty). NotOurs for a file it would otherwise overwrite, so a run
    can refuse before it spends its minutes measuring."""
    if not path.exists() or not path.read_text(encoding="utf-8").strip():
        return ""
    text = path.read_text(encoding="utf-8")
    if KEPT_BELOW not in text:
        raise NotOurs(f"{path} has no line {KEPT_BELOW!r}: it was not written by benchmarks/run.py, and "
                      "rewriting it would lose what is in it. Add that line above what should be kept "
                      "(at the end to keep everything), or name another file.")
    return text.split(KEPT_BELOW, 1)[1]


def write_markdown(path: Path, report: list[str], commands: list[str], prism: list[str] | None,
                   when: datetime | None = None, beside: list[str] = ()) -> None:
    """BENCHMARKS.md: when, where and with what the report was made, the report, then the
    figures beside the previous run's (``beside``); what the file holds below ``KEPT_BELOW``
    is kept as it is."""
    kept = kept_part(path)
    when = when or datetime.now(UTC)
    machine = _machine()
    versions = {
        "python": platform.python_version(),
        "balances-mock": _package_version("balances-mock"),
        "granian": _package_version("granian"),
        "flask": _package_version("flask"),
        "wrk": version_of(["wrk", "-v"]),
        "prism": version_of([*prism, "--version"]) if prism else "skipped",
        "node": version_of(["node", "--version"]),
    }
    header = [
        "# Benchmarks",
        "",
        f"Latest run: {when.strftime('%Y-%m-%d %H:%M UTC')} on {machine}, load average "
        f"{os.getloadavg()[0]:.1f} as it ended.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".",
        "",
        "Reproduce with `python benchmarks/run.py --markdown BENCHMARKS.md` (from the project's",
        "virtual environment; it installs Prism into a cache folder with npm when missing). It also",
        "writes the run's figures as JSON into `benchmarks/history/`, and the last section below shows",
        "them beside the previous run's. The servers it measures:",
        "",
        *[f"- `{c}`" for c in commands],
        "",
    ]
    path.write_text("\n".join(header + report + list(beside)) + "\n\n" + KEPT_BELOW + (kept or "\n"),
                    encoding="utf-8")
    print(f"wrote {path}")


def _machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                      if line.startswith("model name")), model)
    memory = _status_kb(os.getpid(), "VmRSS") and Path("/proc/meminfo").read_text().split()[1]
    return f"{os.cpu_count()} cores ({model}), {int(memory) // 1024 // 1024} GiB, {platform.system()}"


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"
