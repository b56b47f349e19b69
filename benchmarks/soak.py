"""Soak: the mock under `serve` defaults, 64 connections for 60 seconds. Prints requests,
errors and memory over time; memory must stay flat after warm-up (less than 10% growth).

    python benchmarks/soak.py [--seconds 60] [--connections 64]
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import threading
import time

import click

from benchmarks.harness import ROOT, memory_mb, parse_wrk, require_wrk, started, table, token

WARM_UP = 10


@click.command()
@click.option("--seconds", default=60, show_default=True)
@click.option("--connections", default=64, show_default=True)
def main(seconds: int, connections: int) -> None:
    require_wrk()
    command = [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--token-secret",
               secrets.token_urlsafe(32)]
    with started(command) as mock:
        auth = f"Authorization: Bearer {token(mock.url)}"
        url = f"{mock.url}/user/balances/history/?limit=20"
        samples: list[tuple[float, float]] = []
        load = subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", auth, url],
                                stdout=subprocess.PIPE, text=True, cwd=ROOT)
        begin = time.monotonic()
        done = threading.Event()
        threading.Thread(target=lambda: (load.wait(), done.set()), daemon=True).start()
        while not done.wait(5):
            samples.append((time.monotonic() - begin, memory_mb(mock.process.pid)[1]))
        result = parse_wrk(load.stdout.read())
    print(table(["second", "total PSS MB"], [[f"{t:.0f}", f"{m:.1f}"] for t, m in samples]))
    settled = next(m for t, m in samples if t >= WARM_UP)
    growth = (samples[-1][1] - settled) / settled
    print()
    print(table(["connections", "seconds", "requests/s", "p99 ms", "errors", f"memory growth after {WARM_UP} s"],
                [[str(connections), str(seconds), f"{result.requests_per_second:,.0f}", f"{result.p99_ms:.2f}",
                  str(result.errors), f"{growth:+.1%}"]]))
    ok = result.errors == 0 and growth < 0.10
    print("\nsoak target met" if ok else "\nsoak target MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
