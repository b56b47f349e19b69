"""The access log middleware on its own: granian's line format, the status the app sent (or
500 when it raised), written by the log's own thread, which sleeps while no line comes and
writes every line at exit."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mock_server.serving import access_log
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


def _voluntary_switches(thread: threading.Thread) -> int:
    """How many times ``thread`` went to sleep and was woken (Linux's count of its voluntary context switches)."""
    status = Path(f"/proc/self/task/{thread.native_id}/status").read_text()
    return int(re.search(r"voluntary_ctxt_switches:\s+(\d+)", status).group(1))


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads a thread's wake-ups from Linux's /proc")
def test_the_logs_thread_sleeps_until_a_line_comes_and_does_not_wake_while_none_does(monkeypatch):
    monkeypatch.setattr(access_log, "INTERVAL", 0.01)
    out = io.StringIO()
    log = AccessLog(answering("200 OK"), out)
    log(dict(ENVIRON), lambda *args: None)
    assert written(out, 1).count("\n") == 1
    thread = next(t for t in threading.enumerate() if t.name == "access-log (as added)")
    time.sleep(0.05)  # its write done, it sleeps again
    before = _voluntary_switches(thread)
    time.sleep(0.5)  # a timer of INTERVAL would have woken it about 50 times
    assert _voluntary_switches(thread) - before <= 2
    log(dict(ENVIRON, QUERY_STRING=""), lambda *args: None)
    assert written(out, 2).count("\n") == 2  # and a new line wakes it


def test_lines_added_as_the_worker_stops_are_all_written():
    """The process's main thread ends with lines pending and the log's thread asleep in its
    interval: the thread that waits for the main thread's end writes them before the process exits."""
    script = ("import threading\n"
              "from mock_server.serving import access_log\n"
              "access_log.INTERVAL = 3600\n"
              "def app(environ, start_response):\n"
              "    start_response('200 OK', [])\n"
              "    return [b'']\n"
              "log = access_log.AccessLog(app)\n"
              "def requests():\n"
              f"    for n in range(1000): log(dict({ENVIRON!r}, QUERY_STRING=f'n={{n}}'), lambda *args: None)\n"
              "thread = threading.Thread(target=requests, daemon=True)\n"  # as granian's request threads are
              "thread.start()\n"
              "thread.join()\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    lines = result.stdout.splitlines()
    assert [line.split('query="')[1].split('"')[0] for line in lines] == [f"n={n}" for n in range(1000)]
