"""One ``balances-mock serve`` process for the tests that only read from it, and the in-process
contract suite runner the self-tests share (the variants server is the session's, in
``tests/conftest.py``)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import pytest

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


@pytest.fixture
def contract(capsys, monkeypatch, tmp_path) -> Callable[..., Run]:
    """``contract(base_url, *args)`` runs the suite in-process, from a folder of its own."""
    monkeypatch.chdir(tmp_path)
    return functools.partial(run_contract, capsys)
