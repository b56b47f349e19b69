"""--fault-rate breaks the wire itself, which only a real server and socket can show."""

from __future__ import annotations

import requests

from ..support import HISTORY
from ..support.mock import start_server


def test_fault_rate_cuts_responses_like_a_network_does():
    mock = start_server("--fault-rate", "1", "--seed", "2")
    try:
        failures = []
        for i in range(12):
            try:
                response = requests.get(f"{mock.url}{HISTORY}?limit={i + 1}", timeout=10)
                failures.append(("complete", len(response.content)))
            except requests.exceptions.RequestException as error:
                failures.append((type(error).__name__, 0))
        assert all(kind != "complete" for kind, _ in failures), failures
        assert mock.process.process.poll() is None  # the server survives its own faults
    finally:
        mock.stop()
