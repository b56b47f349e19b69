"""One in-process mock for the session (the demo clients, seed 1, the tests' secret)."""

from __future__ import annotations

import pytest

from ..support import DEMO_READ
from ..support.mock import InProcessMock


@pytest.fixture(scope="session")
def mock() -> InProcessMock:
    return InProcessMock()


@pytest.fixture(scope="session")
def token(mock: InProcessMock) -> str:
    """A read-and-write token of the demo client."""
    return mock.token()


@pytest.fixture(scope="session")
def read_token(mock: InProcessMock) -> str:
    """A read-only token of the demo account."""
    return mock.token(DEMO_READ)
