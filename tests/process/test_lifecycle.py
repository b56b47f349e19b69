"""Graceful stop under load, and logs that never hold a token or a secret."""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from .conftest import start_server
from .test_faults import signed_token


def test_sigterm_lets_in_flight_requests_finish():
    mock = start_server("--threads", "4")
    token = signed_token()

    def slow_request(_: int) -> int:
        return mock.get("/user/balances/", token, headers={"Prefer": "delay=800"}).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        in_flight = [pool.submit(slow_request, i) for i in range(6)]
        time.sleep(0.3)  # let the requests reach the server; they take 800 ms there
        stopping = time.monotonic()
        mock.process.send_signal(signal.SIGTERM)
        assert [future.result(timeout=10) for future in in_flight] == [200] * 6
    assert mock.process.wait(timeout=10) == 0
    assert time.monotonic() - stopping < 5


def test_logs_hold_no_token_and_no_secret():
    mock = start_server()
    token = mock.token()
    secrets = ["wrong-secret-123", token, token[:-3] + "abc"]
    requests.post(f"{mock.url}/o/token/", data={"grant_type": "client_credentials"},
                  auth=("demo", "wrong-secret-123"), timeout=10)
    requests.post(f"{mock.url}/o/token/", data={"grant_type": "client_credentials", "client_id": "demo",
                                                "client_secret": "wrong-secret-123"}, timeout=10)
    mock.get("/user/balances/", token)
    mock.get("/user/balances/", token[:-3] + "abc")
    mock.get("/user/balances/history/?limit=abc", token)
    mock.stop()
    log = "".join(mock.output)
    assert '"GET /user/balances/"' in log
    for secret in secrets:
        assert secret not in log
