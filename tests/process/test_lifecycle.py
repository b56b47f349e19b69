"""Stopping: SIGTERM lets in-flight requests finish, logs them, and exits 0; so does Ctrl-C."""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor

from ..support import BALANCES
from ..support.mock import start_server
from ..support.tokens import signed


def test_sigterm_lets_in_flight_requests_finish_logs_them_and_exits_cleanly():
    mock = start_server("--threads", "4")
    token = signed()

    def slow_request(_: int) -> int:
        return mock.get(BALANCES, token, headers={"Prefer": "delay=800"}).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        in_flight = [pool.submit(slow_request, i) for i in range(6)]
        time.sleep(0.3)  # let the requests reach the server; they take 800 ms there
        stopping = time.monotonic()
        mock.process.signal(signal.SIGTERM)
        assert [future.result(timeout=10) for future in in_flight] == [200] * 6
    assert mock.process.process.wait(timeout=10) == 0
    assert time.monotonic() - stopping < 5
    mock.stop()  # it has exited: this reads the rest of its output, the lines its workers wrote last
    assert sum(f'"GET {BALANCES}"' in line for line in mock.output) == 6, "".join(mock.output)


def test_ctrl_c_stops_cleanly():
    mock = start_server()
    mock.process.signal(signal.SIGINT)
    assert mock.process.process.wait(timeout=15) == 0
