"""Runs the app under granian, a production WSGI server with its HTTP stack in Rust.

The app is built once in the main process and the workers are forked from it, so the
ledger (tens of megabytes at a million entries) is generated once and shared
copy-on-write, and every worker verifies tokens with the same secret. Granian was chosen
over gunicorn by measurement: with keep-alive connections it serves the mock more than
twice as fast at a lower 99th-percentile latency (see BENCHMARKS.md).
"""

from __future__ import annotations

import encodings.idna  # noqa: F401 (see serve)
import gc
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from granian.constants import Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server import Server

from mock_server.serving.access_log import AccessLog
from mock_server.serving.ports import free_port
from mock_server.serving.readiness import remove_url_file, write_url_file

log = logging.getLogger("balances_mock")

MAX_HEAD_BYTES = 64 * 1024
"""Request line and headers together; a larger head is refused before the app sees it."""


@dataclass(frozen=True)
class ServerOptions:
    """How to serve: address, processes and logging."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = os.cpu_count() or 2
    threads: int = 1
    """Threads per worker running the app. One: the app is pure CPU work, and with more
    threads a worker's requests queue behind each other for the GIL, which multiplied the
    99th-percentile latency by ten in the benchmark at no gain in throughput. Raise it to
    overlap slow clients or injected delays."""
    access_log: bool = True
    """One line per request on stdout, written by ``access_log.AccessLog`` rather than granian's
    own access log, which cost a quarter of the throughput."""
    graceful_timeout: int = 10
    """Seconds in-flight requests get to finish after SIGTERM."""
    url_file: Path | None = None
    """Where to write the base URL once a worker accepts (removed at exit): how ``balances-mock
    ready`` finds a server that took one port of a range."""


def serve(app: Callable[..., Any], options: ServerOptions, on_ready: Callable[[str], None]) -> None:
    """Serve the WSGI ``app`` until SIGINT or SIGTERM; ``on_ready`` gets the base URL."""
    if options.access_log:
        app = AccessLog(app)
    port = options.port or free_port(options.host)
    host = f"[{options.host}]" if ":" in options.host else options.host
    server = Server(
        "balances-mock",
        address=options.host,
        port=port,
        interface=Interfaces.WSGI,
        workers=options.workers,
        blocking_threads=options.threads,
        workers_kill_timeout=options.graceful_timeout,
        websockets=False,
        http1_settings=HTTP1Settings(max_buffer_size=MAX_HEAD_BYTES),
        log_level=LogLevels.warning,
    )
    url = f"http://{host}:{port}"
    if options.url_file is not None:
        on_ready = _writing_url_file(options.url_file, on_ready)
    # Granian's start-up hook runs before the workers bind; announce once one accepts.
    announcer = threading.Thread(target=_announce_when_listening, args=(options.host, port, url, on_ready),
                                 daemon=True)
    server.on_startup(announcer.start)
    # Workers must be forked, not spawned, to inherit the app built here.
    if multiprocessing.get_start_method(allow_none=True) != "fork":
        multiprocessing.set_start_method("fork", force=True)
    os.register_at_fork(before=_hold_stop_signals, after_in_parent=_release_stop_signals,
                        after_in_child=_stop_at_once_until_serving)
    gc.freeze()  # the app's objects are permanent: keep the collector off them, and pages shared
    # Werkzeug encodes each request's host with the idna codec, imported at the top of this
    # module: a codec first looked up inside a granian worker is not found ("unknown encoding:
    # idna", a 500 on every request of an app that had not imported it before the fork).
    owner = os.getpid()
    try:
        server.serve(target_loader=lambda: app, wrap_loader=False)
    finally:
        if options.url_file is not None and os.getpid() == owner:
            remove_url_file(options.url_file)


def _writing_url_file(path: Path, on_ready: Callable[[str], None]) -> Callable[[str], None]:
    def ready(url: str) -> None:
        try:
            write_url_file(path, _reachable(url))
        except OSError as error:
            log.warning("Cannot write the URL file %s (%s): `balances-mock ready` will not find this server",
                        path, error.strerror or error)
        on_ready(url)
    return ready


def _reachable(url: str) -> str:
    """``url`` with a wildcard address (0.0.0.0, ::) replaced by loopback, which a client can ask."""
    return url.replace("://0.0.0.0:", "://127.0.0.1:").replace("://[::]:", "://[::1]:")


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _hold_stop_signals() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


def _release_stop_signals() -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def _stop_at_once_until_serving() -> None:
    """In a worker just forked: SIGINT and SIGTERM end it at once until granian sets its own
    handlers, which it does before the worker accepts anything. A forked worker inherits the main
    process's handlers, which only flag the main process's copy of the server, so a stop that
    arrived while a worker was starting (Ctrl-C or SIGTERM soon after the banner, which one worker
    listening is enough for) was lost, and the worker was killed only after ``graceful_timeout``:
    a stop of ten seconds instead of a fraction of one, about one stop in three right after the
    banner. The two signals are held across the fork, so one sent in between reaches the worker
    now. (A signal in the instant between granian's handlers and its serving loop can still be
    lost: that is granian's own.)"""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    _release_stop_signals()


def _announce_when_listening(host: str, port: int, url: str, on_ready: Callable[[str], None],
                             timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
        except OSError:
            time.sleep(0.02)
            continue
        on_ready(url)
        return
