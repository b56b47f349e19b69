"""Every test is marked by the level it runs at, which is the folder it lives in:

- ``unit``: pure functions and classes, in-process, no app;
- ``http``: the app through Flask's test client (no sockets, no processes);
- ``process``: real ``balances-mock`` processes, subprocesses and sockets;
- ``browser``: pages in a real headless Chromium (marked ``process`` too: it is one).

``pytest -m "not process"`` is the loop of a few seconds; ``slow`` marks the few tests
that take seconds each (the contract self-test, packaging).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from mock_server.testing.launcher import ServerProcess, launch

from .support import ROOT, SPEC_PATH

LEVELS = ("unit", "http", "process", "browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        level = item.path.parent.name
        if level in LEVELS:
            item.add_marker(level)
        if level == "browser":
            item.add_marker("process")


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def variants_server() -> Iterator[ServerProcess]:
    """Every deliberately broken or compatible variant of the mock, under ``/v/<name>/``, from one
    server per session (per xdist worker): the contract self-tests, the proxy's verdicts and the
    HTML report's real run only read from it (``support.variants``)."""
    server = launch([sys.executable, "-m", "tests.support.variants"], cwd=ROOT)
    yield server
    server.stop()
