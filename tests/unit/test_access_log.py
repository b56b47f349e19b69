"""The access log middleware on its own: granian's line format, the status the app sent (or
500 when it raised), written by the log's own thread."""

from __future__ import annotations

import io
import re
import time

import pytest

from mock_server.serving.access_log import AccessLog

ENVIRON = {"REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": "GET", "PATH_INFO": "/user/balances/history/",
           "QUERY_STRING": "limit=3&offset=17"}


def answering(status: str):
    def app(environ, start_response):
        start_response(status, [("Content-Type", "application/json")])
        return [b"{}"]
    return app


def written(out: io.StringIO, lines: int, timeout: float = 5) -> str:
    deadline = time.monotonic() + timeout
    while out.getvalue().count("\n") < lines and time.monotonic() < deadline:
        time.sleep(0.01)
    return out.getvalue()


def test_lines_keep_granians_format_and_are_written_by_the_logs_thread():
    out = io.StringIO()
    log = AccessLog(answering("404 NOT FOUND"), out)
    assert log(dict(ENVIRON), lambda *args: None) == [b"{}"]
    log(dict(ENVIRON, QUERY_STRING=""), lambda *args: None)
    assert re.fullmatch(r'127\.0\.0\.1 "GET /user/balances/history/" query="limit=3&offset=17" 404 \d+\.\dms\n'
                        r'127\.0\.0\.1 "GET /user/balances/history/" query="" 404 \d+\.\dms\n', written(out, 2))


def test_an_app_that_raises_is_logged_as_500():
    def broken(environ, start_response):
        raise RuntimeError("boom")

    out = io.StringIO()
    log = AccessLog(broken, out)
    with pytest.raises(RuntimeError):
        log(dict(ENVIRON), lambda *args: None)
    assert '"GET /user/balances/history/" query="limit=3&offset=17" 500 ' in written(out, 1)
