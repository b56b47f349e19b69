"""The mock against Stoplight Prism and a constant-response ceiling, side by side, what its
access log and journal cost, what its proxy adds, its sandbox, then its scaling to a million
entries. One command, real load, printed figures:

    python benchmarks/run.py                      # about 17 minutes (8 with --duration 1)
    python benchmarks/run.py --duration 3 --markdown BENCHMARKS.md
    python benchmarks/run.py --only throughput    # the mock with everything on against the ceiling, about 1 minute
    python benchmarks/run.py --only access-log    # the access log's part alone, about 35 s
    python benchmarks/run.py --only sandbox       # the sandbox's part alone, about 2 minutes
    python benchmarks/run.py --only journal       # the request journal's part alone, under a minute
    python benchmarks/run.py --only proxy         # balances-mock proxy's overhead alone, about 80 s
    python benchmarks/run.py --only slow-clients  # a normal client among 200 slow ones, about 30 s
    python benchmarks/run.py --only sandbox-scaling  # accounts, bookings, replicas, journal size: about 6 minutes
    python benchmarks/run.py --only container     # the image: size, build, first token, stop (podman), 2-5 minutes

Every server runs one after another on this machine, driven by the same `wrk` with the same
duration and connections, each URL warmed up for 2 seconds first. Nothing is switched off in
the mock: tokens are verified (signature and expiry), scopes checked, and every request
validated against the spec.

Each part is a module of its own (throughput, access_log, journal, proxy, sandbox, scaling)
over benchmarks/harness.py; this file runs them in order and writes the report they make.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click

if __package__ in (None, ""):
    # Run as ``python benchmarks/run.py``: Python put benchmarks/ first on the path. The
    # project's root instead, so the parts import as benchmarks.* whether or not the project is
    # installed editable, and their names (proxy, journal) shadow no other module.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from benchmarks import (  # noqa: E402
    access_log,
    container,
    journal,
    proxy,
    sandbox,
    sandbox_scaling,
    scaling,
    slow_clients,
    throughput,
)
from benchmarks.harness import (  # noqa: E402
    Bench,
    NotOurs,
    Report,
    Verdict,
    beside_previous,
    kept_part,
    previous_run,
    require_wrk,
    write_markdown,
    write_run,
)

Part = Callable[[Bench, Report], list[Verdict]]
"""A part of the benchmark: it measures, writes its sections into the report, and returns its targets' verdicts."""

ONLY: dict[str, Part] = {"throughput": lambda bench, report: throughput.run(bench, report, None),
                         "access-log": access_log.run, "sandbox": sandbox.run, "journal": journal.run,
                         "proxy": proxy.run, "slow-clients": slow_clients.run, "sandbox-scaling": sandbox_scaling.run,
                         "container": container.run}
"""The parts ``--only`` runs alone, for a quick check of one."""


@click.command()
@click.option("--duration", default=5, show_default=True, help="Seconds of load per run (3 runs per figure).")
@click.option("--connections", default=16, show_default=True, help="wrk connections.")
@click.option("--scale", default="1000,100000,1000000", show_default=True, help="Ledger sizes to scale to.")
@click.option("--no-prism", is_flag=True, help="Skip Stoplight Prism.")
@click.option("--markdown", type=click.Path(dir_okay=False, path_type=Path), help="Also write the report here.")
@click.option("--only", type=click.Choice(list(ONLY)), help="Run only this part, for a quick check of it.")
def main(duration: int, connections: int, scale: str, no_prism: bool, markdown: Path | None,
         only: str | None) -> None:
    # No docstring: click would show it in --help.
    if markdown is not None:
        try:
            kept_part(markdown)  # refuse now, not after the minutes of measuring
        except NotOurs as refusal:
            raise click.UsageError(str(refusal)) from None
    if only != "container":  # the container part drives podman, not wrk
        require_wrk()
    if only and markdown:
        raise click.UsageError("--markdown writes the whole report; run it without --only")
    secret = secrets.token_urlsafe(32)
    bench = Bench(duration, connections,
                  [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--quiet", "--token-secret", secret])
    report = Report()
    if only is not None:
        report.targets(ONLY[only](bench, report))
        return

    prism = None if no_prism else throughput.prism_command()
    verdicts = throughput.run(bench, report, prism)
    for part in (access_log.run, journal.run, proxy.run, sandbox.run, sandbox_scaling.run, slow_clients.run):
        verdicts += part(bench, report)
    verdicts += scaling.run(bench, report, [int(n) for n in scale.split(",")])
    report.targets(verdicts)

    if markdown is not None:
        when = datetime.now(UTC)
        beside = beside_previous(report, previous_run())
        print(f"wrote {write_run(report, when)}")
        write_markdown(markdown, report.lines, throughput.commands(bench, prism), prism, when, beside)


if __name__ == "__main__":
    main()
