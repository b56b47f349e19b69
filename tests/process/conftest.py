"""One ``balances-mock serve`` process for the tests that only read from it, and what the
contract suite's self-tests share: the variants server and the in-process suite runner."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator

import pytest

from mock_server.testing.launcher import ServerProcess, launch

from ..support import ROOT
from ..support.contract import Run, run_contract
from ..support.mock import MockServer, start_server


@pytest.fixture(scope="session")
def server() -> Iterator[MockServer]:
    mock = start_server()
    yield mock
    mock.stop()


@pytest.fixture(scope="session")
def token(server: MockServer) -> str:
    return server.token()


@pytest.fixture(scope="module")
def variants_server() -> Iterator[ServerProcess]:
    server = launch([sys.executable, "-m", "tests.support.variants"], cwd=ROOT)
    yield server
    server.stop()


@pytest.fixture
def contract(capsys, monkeypatch, tmp_path) -> Callable[..., Run]:
    """``contract(base_url, *args)`` runs the suite in-process, from a folder of its own."""
    monkeypatch.chdir(tmp_path)
    return functools.partial(run_contract, capsys)
