"""The pages' shell examples, run as a reader pastes them into a terminal, against a mock
started for the page: each command runs, and each answer the page shows under a command is the
answer it got (``...`` standing for what differs from run to run)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest
import requests

from ..support.docs import answer_matches, run_steps, shell_blocks, steps
from ..support.mock import MockServer, start_server

RUN = {"docs/getting-started/tour.md": None, "README.md": "## A short tour", "docs/integrators/sandbox.md": None,
       "docs/integrators/faults.md": None, "docs/integrators/journal.md": None}
"""The pages (and the section of one) whose every shell block runs, in order, against a fresh
mock serving the default account."""


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    server = start_server("--workers", "1", "--quiet")
    yield server
    server.stop()


@pytest.fixture
def fresh(mock: MockServer) -> MockServer:
    """The module's mock with the demo account as generated and its journal empty, as if just started."""
    bearer = {"Authorization": f"Bearer {mock.token()}"}
    assert requests.post(f"{mock.url}/__sandbox/reset", headers=bearer, timeout=10).status_code == 200
    assert requests.delete(f"{mock.url}/__sandbox/requests", headers=bearer, timeout=10).status_code == 200
    return mock


@pytest.mark.parametrize("page", RUN)
def test_every_command_of_the_page_runs_and_answers_as_shown(page, fresh, tmp_path):
    page_steps = [step for block in shell_blocks(page, RUN[page]) for step in steps(block)]
    shown = [step for step in page_steps if step.shown is not None]
    assert len(page_steps) >= 5 and len(shown) >= 1, f"{page} shows too little to check: {page_steps}"
    env = {"BALANCES_MOCK_URL": fresh.url, "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"}
    ran = run_steps(page_steps, fresh.url, env, tmp_path)
    wrong = [f"{run.step.where}: {run.step.command}\n  shown:    {run.step.shown}\n  answered: {run.output.strip()}"
             for run in ran if run.step.shown is not None and not answer_matches(run.step.shown, run.output)]
    assert not wrong, "\n".join(wrong)
    failed = [f"{run.step.where}: {run.step.command} -> exit {run.status}: {run.output}" for run in ran
              if run.step.shown is None and run.status != 0]
    assert not failed, "\n".join(failed)
