"""The access log: one line per request, written in batches off the request's path.

Granian's own access log cost a quarter of the throughput: about 27 us of CPU on a worker's
request thread per request (a request costs about 105 us in all), 10 us of it in granian
before ``logging`` is even reached (it formats a timestamp per request, which this format
does not print), the rest for the ``LogRecord``, the handler, and a write and a flush per
line. Batching the handler (``logging.handlers.BufferingHandler``) only brought that to
20 us, since the record and granian's part remain; the WSGI access-log libraries
(wsgi-request-logger, paste's TransLogger) also make a record per request. So this
middleware keeps a tuple per request, about 2 us, and a thread in each worker formats the
lines and writes them in one call, ``INTERVAL`` after the first of them came. That thread
sleeps on an event while no line comes (no timer: a thread woken for nothing costs a busy
worker, see ``batching``), and the worker's last lines are written as it stops.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from contract_tests import redaction
from mock_server.journal.batching import BatchWriter

LINE = '%s "%s %s" query="%s" %s %.1fms\n'
"""Client address, method, path, query string, status and time in the app, as granian's
access log printed them."""
INTERVAL = 0.1
"""Seconds a line may wait before it is written: a person watching sees it at once."""
CAPACITY = 4096
"""Lines kept before the request that adds one writes them itself: bounds the memory when
the output stalls, and then holds requests back as a write per line did."""

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class AccessLog:
    """WSGI middleware writing one line per request to ``stream`` (default: ``sys.stdout``),
    in batches (``batching.BatchWriter``: a worker's last lines are written as it stops)."""

    def __init__(self, app: WSGIApp, stream: TextIO | None = None) -> None:
        self.app = app
        self.stream = stream
        self._lines: BatchWriter[tuple[str, str, str, str, str, float]] = BatchWriter(
            self._write, INTERVAL, CAPACITY, "access-log")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        status = "500"  # what granian answers when the app raises

        def start(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            nonlocal status
            status = line[:3]
            return start_response(line, headers, exc_info)

        try:
            return self.app(environ, start)
        finally:
            self._lines.add((environ["REMOTE_ADDR"], environ["REQUEST_METHOD"], environ["PATH_INFO"],
                             environ["QUERY_STRING"], status, time.perf_counter() - started))

    def write(self) -> None:
        """Write the pending lines now."""
        self._lines.flush()

    def _write(self, batch: list[tuple[str, str, str, str, str, float]]) -> None:
        """The batch's lines, oldest first, in one call."""
        text = "".join(LINE % (address, method, path, redaction.form(query), status, seconds * 1000)
                       for address, method, path, query, status, seconds in batch)
        stream = self.stream or sys.stdout
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):  # the terminal or pipe is gone: requests must not fail for it
            pass
