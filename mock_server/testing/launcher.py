"""Start a server command in a child process and know when it listens.

One launcher for everything that runs a server from outside: the project's tests, the
benchmarks (which also start Prism and a constant-response ceiling) and, later, the pytest
plugin. It waits for the line a server prints when it is ready instead of sleeping, and
keeps draining the child's output so a chatty server never blocks on a full pipe.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

URL = re.compile(r"https?://[\w.\-\[\]:]+")
READY = " at http"
"""What ``balances-mock serve`` prints once a worker accepts: ``... serving ... at http://host:port``."""


@dataclass
class ServerProcess:
    """A running server: its process, its base URL and every line it has printed so far."""

    process: subprocess.Popen
    url: str
    command: list[str]
    output: list[str] = field(default_factory=list)
    printed: threading.Condition = field(default_factory=threading.Condition)
    reader: threading.Thread | None = None

    def wait_for_line(self, text: str, start: int = 0, timeout: float = 10) -> bool:
        """Wait until the server has printed a line containing ``text`` (from line ``start`` on)."""
        with self.printed:
            return self.printed.wait_for(lambda: any(text in line for line in self.output[start:]), timeout)

    def signal(self, signum: int = signal.SIGTERM) -> None:
        self.process.send_signal(signum)

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, then SIGKILL to the whole process group if it has not exited within
        ``timeout``; the exit code. Once it returns, ``output`` holds every line the server
        printed, its last ones included (a worker writes its access log in batches, the last
        as it exits)."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.process.wait()
        if self.reader is not None:
            self.reader.join(timeout)
        return code

    def kill(self) -> None:
        """SIGKILL to the server and every process it started (its workers): ``kill -9`` of a
        whole server. The server leads a process group of its own, so nothing else is hit."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def launch(command: Sequence[str], ready: str = READY, url: str | None = None, env: dict[str, str] | None = None,
           cwd: Path | None = None, timeout: float = 60,
           popen: Callable[..., subprocess.Popen] = subprocess.Popen) -> ServerProcess:
    """Run ``command`` and return once it prints a line containing ``ready`` and a URL (or,
    given ``url`` for a server that prints none, once it prints ``ready``).

    ``popen`` starts the process, with ``subprocess.Popen``'s arguments: the project's tests
    fork their servers from a process that has imported the package already.

    RuntimeError, with everything the command printed, if it exits or stays silent first.
    """
    command = list(command)
    # A process group of its own: ``kill`` reaches the workers, and a Ctrl-C meant for the
    # caller (a test run) does not stop the server before the caller does.
    process = popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd,
                    env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}, start_new_session=True)
    server = ServerProcess(process, url or "", command)
    found = threading.Event()

    def pump() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            with server.printed:
                server.output.append(line)
                server.printed.notify_all()
            if ready in line and not found.is_set():
                match = URL.search(line)
                if match and not url:
                    server.url = match.group(0).rstrip("/")
                if server.url:
                    found.set()
        found.set()  # the process ended: stop waiting

    server.reader = threading.Thread(target=pump, daemon=True)
    server.reader.start()
    if not found.wait(timeout) or not server.url:
        process.kill()
        process.wait()
        raise RuntimeError(f"{' '.join(command)} did not start:\n{''.join(server.output)}")
    return server
