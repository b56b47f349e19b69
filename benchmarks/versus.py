"""This checkout's mock against the same mock at another git revision, side by side in one run.

For a change that must cost no speed (a refactor, a move of files): both servers run the
default ``serve`` (sandbox, journal and access log on) with this checkout's Python and
dependencies, and are loaded in turn by the same wrk, each URL warmed up first, the median of
three runs (``harness.compare``), so a busy moment of a shared machine falls on both alike::

    python benchmarks/versus.py 9093889              # this checkout against 9093889, about a minute
    python benchmarks/versus.py 9093889 fde369e      # two revisions against each other
    python benchmarks/versus.py v0.1.0 --duration 3 --connections 16

A revision is checked out into a temporary git worktree (removed afterwards); nothing in this
checkout changes.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)  # as in run.py: import as benchmarks.*

from benchmarks.harness import ENDPOINTS, ROOT, authorization, compare, require_wrk, table  # noqa: E402
from mock_server.testing.launcher import ServerProcess, launch  # noqa: E402


@contextmanager
def checked_out(revision: str | None) -> Iterator[Path]:
    """``revision`` in a temporary detached worktree of this repository; None: this checkout."""
    if revision is None:
        yield ROOT
        return
    with tempfile.TemporaryDirectory(prefix="balances-versus-") as folder:
        tree = Path(folder) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(tree), revision], cwd=ROOT, check=True)
        try:
            yield tree
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)


def serve(tree: Path, secret: str) -> ServerProcess:
    """``balances-mock serve`` as a user starts it, from the code in ``tree``."""
    return launch([sys.executable, "-m", "mock_server", "serve", "--port", "0", "--token-secret", secret],
                  cwd=tree, env={"PYTHONPATH": str(tree)})


@click.command()
@click.argument("baseline")
@click.argument("candidate", required=False)
@click.option("--duration", default=5, show_default=True, help="Seconds of load per run (3 runs per figure).")
@click.option("--connections", default=16, show_default=True, help="wrk connections.")
def main(baseline: str, candidate: str | None, duration: int, connections: int) -> None:
    # No docstring: click would show it in --help.
    require_wrk()
    secret = secrets.token_urlsafe(32)
    new = candidate or "this checkout"
    with checked_out(baseline) as old_tree, checked_out(candidate) as new_tree:
        servers = {new: serve(new_tree, secret), baseline: serve(old_tree, secret)}
        try:
            headers = authorization(servers[new].url)  # one secret: both accept the token
            results = compare({label: server.url for label, server in servers.items()}, duration, connections,
                              headers)
        finally:
            for server in servers.values():
                server.stop()
    rows = []
    for name in ENDPOINTS:
        here, there = results[(new, name)], results[(baseline, name)]
        rows.append([name, f"{here.requests_per_second:,.0f}", f"{there.requests_per_second:,.0f}",
                     f"{here.requests_per_second / there.requests_per_second:.2f}x",
                     f"{here.p50_ms:.2f} / {there.p50_ms:.2f}", f"{here.p99_ms:.2f} / {there.p99_ms:.2f}",
                     f"{here.errors} / {there.errors}"])
    print(f"The default serve, {connections} connections, {duration} s x 3 per figure, the two in turn:\n")
    print(table(["endpoint", f"{new} req/s", f"{baseline} req/s", "ratio", f"p50 ms ({new} / {baseline})",
                 "p99 ms (same order)", "errors (same order)"], rows))


if __name__ == "__main__":
    main()
