"""Every test is marked by the level it runs at, which is the folder it lives in:

- ``unit``: pure functions and classes, in-process, no app;
- ``http``: the app through Flask's test client (no sockets, no processes);
- ``process``: real ``balances-mock`` processes, subprocesses and sockets;
- ``browser``: pages in a real headless Chromium (marked ``process`` too: it is one);
- ``container``: the image and the compose deployment under podman (tests/container).

``pytest -m "not process"`` is the loop of a few seconds; ``slow`` marks the few tests
that take seconds each (the contract self-test, packaging); ``pytest -m container`` runs the
container tests alone, ``-m "not container"`` leaves them out.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from .support import SPEC_PATH

LEVELS = ("unit", "http", "process", "browser", "container")


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
