"""The end of a run on the terminal: the verdict, what broke, where the server drifts from the
mock's decisions (each with the curl that shows it), every decision of the spec with its check
and verdict, the rules that checked nothing and why, and the documented items no rule reached."""

from __future__ import annotations

from typing import Any

from .run_report import Finding, RunReport


def write(terminal: Any, run: RunReport) -> None:
    if run.drift:
        terminal.section("where this server differs from the mock's assumptions (drift)", sep="-", yellow=True)
        for finding in run.drift:
            _finding(terminal, finding)
        if not run.strict:
            terminal.write_line("Drift does not fail the run; --strict (or --contract-strict) makes it fail.")
    decisions = run.decision_verdicts()
    if decisions:
        terminal.section("the spec's decisions (x-decisions): verdict, and the check that holds each", sep="-")
        for row in decisions:
            terminal.write_line(f"{row['verdict']:>8}  {row['id']}  ({row['check'] or 'no check'})",
                                yellow=row["verdict"] == "drift")
            for promise in row["promises"]:
                items = f": {', '.join(promise['items'])}" if promise["items"] else ""
                state = "BROKEN" if promise["broken"] else "promise"
                terminal.write_line(f"          {state} [{promise['basis']}] {promise['rule']}{items}")
    if run.skipped:
        terminal.section("rules that checked nothing", sep="-")
        for skip in run.skipped:
            terminal.write_line(f"{skip['test']}: {skip['reason']}")
    holes = run.holes
    total = len(run.contract.items)
    terminal.section("coverage of the documented items", sep="-")
    terminal.write_line(f"{total - len(holes)} of {total} documented items checked by this run")
    for item in holes:
        terminal.write_line(f"  not reached: {item.key}  ({item.basis})")
    breaks = len(run.breaks)
    verdict = "FAIL" if run.verdict == "fail" else "PASS"
    reason = (f"{breaks} break{'s' * (breaks != 1)}" if breaks else
              f"strict: {len(run.drift)} drift" if run.strict and run.drift else
              f"no breaks; {len(run.drift)} drift" if run.drift else "no breaks, no drift")
    terminal.write_line(f"balances contract: {verdict} ({reason}); {run.requests_sent} requests sent to "
                        f"{run.base_url} (budget {run.settings['max_requests']})", bold=True,
                        red=verdict == "FAIL", green=verdict == "PASS")


def _finding(terminal: Any, finding: Finding) -> None:
    terminal.write_line(f"{finding.rule}  [decision: {finding.decision}]  ({finding.test})")
    terminal.write_line(f"  expected: {finding.expected}")
    terminal.write_line(f"  got:      {finding.got}")
    if finding.reproduce:
        terminal.write_line(f"  reproduce: {finding.reproduce}")
