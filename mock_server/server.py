"""Runs the app under gunicorn, a production WSGI server, instead of Flask's dev server.

The app is built once in the master process and the workers are forked from it, so the
ledger (tens of megabytes at a million entries) is generated once and shared copy-on-write,
and every worker verifies tokens with the same secret.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


@dataclass(frozen=True)
class ServerOptions:
    """How to serve: address, processes and logging."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = os.cpu_count() or 2
    threads: int = 4
    access_log: bool = True
    graceful_timeout: int = 10
    """Seconds in-flight requests get to finish after SIGTERM."""


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, config: dict[str, Any]) -> None:
        self._app = app
        self._config = config
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._config.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn >= 25 opens a control socket at one fixed path per user, which two
            # mocks on one machine would fight over; the mock has no use for it.
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Flask:
        return self._app


def serve(app: Flask, options: ServerOptions, on_ready: Callable[[str], None]) -> None:
    """Serve until SIGINT or SIGTERM; ``on_ready`` gets the base URL once listening."""

    def when_ready(arbiter: Any) -> None:
        host, port = arbiter.LISTENERS[0].sock.getsockname()[:2]
        on_ready(f"http://{f'[{host}]' if ':' in host else host}:{port}")

    config = {
        "bind": f"[{options.host}]:{options.port}" if ":" in options.host else f"{options.host}:{options.port}",
        "workers": options.workers,
        "worker_class": "gthread",
        "threads": options.threads,
        "accesslog": "-" if options.access_log else None,
        "access_log_format": '%(h)s "%(r)s" %(s)s %(B)s %(M)sms',
        "errorlog": "-",
        "graceful_timeout": options.graceful_timeout,
        "keepalive": 5,
        "when_ready": when_ready,
    }
    sys.stdout.flush()
    _Gunicorn(app, config).run()
