"""One ``balances-mock serve`` process for the tests that only read from it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..support.mock import MockServer, start_server


@pytest.fixture(scope="session")
def server() -> Iterator[MockServer]:
    mock = start_server()
    yield mock
    mock.stop()


@pytest.fixture(scope="session")
def token(server: MockServer) -> str:
    return server.token()
