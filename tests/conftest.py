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

import fcntl
import gc
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mock_server.testing.launcher import ServerProcess, launch

from .support import ROOT, SPEC_PATH, read_yaml
from .support.docs import BuiltSite, build_site

LEVELS = ("unit", "http", "process", "browser", "container")


def pytest_configure(config: pytest.Config) -> None:
    """Under ``--dist loadfile`` pytest-xdist hands out the files with the most tests first (its
    ``--loadscope-reorder``, on by default), so the slowest files here, one to four tests each (a
    contract run, a pytest session, a wheel), went last, and one worker ran the last of them while
    the other had nothing left to do. The files go out in collection order instead, which
    ``pytest_collection_modifyitems`` sorts slowest level first: the many small files fill in at
    the end."""
    if getattr(config.option, "loadscopereorder", None) is not None:
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        level = item.path.parent.name
        if level in LEVELS:
            item.add_marker(level)
        if level in ("browser", "container"):  # real processes too: ``-m "not process"`` leaves them out
            item.add_marker("process")
    if hasattr(config, "workerinput"):  # an xdist worker: every worker sorts alike, as xdist requires
        items[:] = sorted(items, key=_slowest_first(items))


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection built (every test module, item and import: a few hundred thousand
    objects) lives as long as the session, so it is moved out of the cyclic garbage collector's
    way (``gc.freeze``). Otherwise each full collection walked all of it again: about 70 of them
    per worker, a tenth of its CPU, most during the contract self-test's in-process runs. Objects
    made by the tests themselves are collected as before."""
    gc.freeze()


def _slowest_first(items: list[pytest.Item]) -> Callable[[pytest.Item], int]:
    """Whole files, in the order: files with a ``slow`` test, then the other process and browser
    files, then http, then unit (each in collection order: the sort is stable)."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    levels = {"process": 1, "browser": 1, "http": 2, "unit": 3}
    return lambda item: 0 if item.path in slow else levels.get(item.path.parent.name, 4)


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    return read_yaml(SPEC_PATH)


@pytest.fixture(scope="session")
def docs_site(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> BuiltSite:
    """The documentation site, built once per session (``mkdocs build --strict``, 4 s) into a
    temporary folder. Under pytest-xdist the workers share one build: the first to need it
    builds it under the session's own folder (the parent of every worker's), the others wait
    for it and read what it said."""
    if not hasattr(request.config, "workerinput"):
        return build_site(tmp_path_factory.mktemp("site"))
    shared = tmp_path_factory.getbasetemp().parent
    with (shared / "site.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        record = shared / "site.json"
        if not record.exists():
            built = build_site(shared / "site")
            record.write_text(json.dumps({"returncode": built.returncode, "output": built.output}))
        said = json.loads(record.read_text())
    return BuiltSite(shared / "site", said["returncode"], said["output"])


@pytest.fixture(scope="session")
def variants_server() -> Iterator[ServerProcess]:
    """Every deliberately broken or compatible variant of the mock, under ``/v/<name>/``, from one
    server per session (per xdist worker): the contract self-tests, the proxy's verdicts and the
    HTML report's real run only read from it (``support.variants``)."""
    server = launch([sys.executable, "-m", "tests.support.variants"], cwd=ROOT)
    yield server
    server.stop()
