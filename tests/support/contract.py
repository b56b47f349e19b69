"""The contract suite run against a base URL in this process, as a user's ``pytest
contract_tests --base-url ...`` would run it, without paying for a new interpreter and a
schemathesis import on every run.

Plain ``pytest.main`` rather than pytester: pytester forgets the modules a run imported,
and schemathesis imports its adapters lazily, so a second run would meet two copies of the
same classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from contract_tests.conftest import REPORT_KEY
from contract_tests.run_report import RunReport
from mock_server.testing.launcher import ServerProcess

from . import DEMO, DEMO_READ, ROOT
from .variants import Variant

SUITE = ROOT / "contract_tests"
CREDENTIALS = ("--client-id", DEMO[0], "--client-secret", DEMO[1],
               "--read-client-id", DEMO_READ[0], "--read-client-secret", DEMO_READ[1])
WITHOUT_SCHEMA = ("-k", "not test_schema")
"""Deselects the property-based test, for runs that prove a rule other than the schema's."""
SMALL_WINDOW = ("--window", "50")
"""The paging and ledger rules read the newest 50 entries, not 300: every variant shows within
them, and a run takes half the time."""
NATIVE_TRACEBACKS = ("--tb", "native")
"""Every run's failures are written as Python writes a traceback. pytest's own long format parses
the source file of every frame of every failure again, which costs more than the run itself
against a variant that breaks most rules (about 1.5 s of CPU for 50 failures); the tests read
the verdicts from the run's report and its summary, which do not change. A test that reads a
failure as a user sees it asks for ``USER_TRACEBACKS``: a later ``--tb`` wins."""
USER_TRACEBACKS = ("--tb", "auto")
NO_HARDER_COLLECTION = ("-p", "no:unraisableexception")
"""pytest's unraisable-exception plugin collects garbage several times over at the end of a
session, to find exceptions raised in ``__del__``. In a test process that has built hundreds of
apps that is 0.2 s of CPU per run, a third of a run against a variant; the suite raises no such
exception of its own, and a user's run (a process of its own) keeps the plugin."""


@dataclass
class Run:
    """What a run of the suite reported: exit code, test ids by outcome, its output, and the
    suite's own account of it (breaks and drift by rule, coverage)."""

    returncode: int
    failed: set[str]
    skipped: set[str]
    passed: int
    output: str
    report: RunReport | None = None

    @property
    def broken(self) -> set[str]:
        """The texts of the rules that broke (breaks only)."""
        return {finding.rule for finding in self.report.breaks} if self.report else set()

    @property
    def drifted(self) -> set[str]:
        return {finding.rule for finding in self.report.drift} if self.report else set()


@dataclass
class _Recorder:
    """A pytest plugin that keeps every test report of the run."""

    reports: list[Any] = field(default_factory=list)
    run: RunReport | None = None

    def pytest_runtest_logreport(self, report: Any) -> None:
        self.reports.append(report)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.run = config.stash.get(REPORT_KEY, None)


def run_contract(capsys: pytest.CaptureFixture[str], base_url: str | None, *args: str,
                 rules: Sequence[str] = ()) -> Run:
    """The suite against ``base_url`` with ``args``: all of it, or only ``rules`` (test ids as
    the coverage matrix names them, ``test_x.py::test_y[z]``). Call it from a folder of the
    test's own (``monkeypatch.chdir(tmp_path)``) so nothing the run writes lands in the checkout."""
    recorder = _Recorder()
    url = ("--base-url", base_url) if base_url else ()
    selected = [f"{SUITE / rule.split('::', 1)[0]}::{rule.split('::', 1)[1]}" for rule in rules] or [str(SUITE)]
    capsys.readouterr()
    code = pytest.main([*selected, *url, "-p", "no:cacheprovider", "--rootdir", str(ROOT), *NATIVE_TRACEBACKS,
                        *NO_HARDER_COLLECTION, *args], plugins=[recorder])
    out, err = capsys.readouterr()
    reports = recorder.reports
    return Run(
        returncode=int(code),
        failed={r.nodeid for r in reports if r.failed},
        skipped={r.nodeid for r in reports if r.skipped},
        passed=sum(r.passed and r.when == "call" for r in reports),
        output=out + err,
        report=recorder.run,
    )


def variant_url(server: ServerProcess, variant: Variant) -> str:
    return f"{server.url}/v/{variant.name}"
