"""``python -m mock_server ...`` for the tests, forked from a process that has imported the
package once, instead of a new interpreter that imports it again.

A ``balances-mock serve`` or ``proxy`` process spends about 0.7 s of CPU on imports (openapi-core,
Flask, granian, Faker) before it does anything a test looks at, and the suite starts about
seventy of them: a third of its CPU. The fork server is a child of the test process that has
imported the commands. For each command it forks a process that runs it as ``python -m
mock_server`` would: in a session of its own, in the working directory and with the environment
the test gave, stdout and stderr into a pipe the test reads. What the test holds is a
``subprocess.Popen`` in all it uses (``pid``, ``stdout``, ``poll``, ``wait``, signals,
``returncode`` as Popen gives it); the exit statuses come from the fork server, whose children
the commands are.

The commands run the package's own code from ``main`` on, as a user's do; only the interpreter's
start and the imports are shared. A test of how a command itself starts (the wheel's entry point,
``--help`` from a real interpreter, the pytest plugin) starts a real one.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import locale
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from . import ROOT

MODULE = [sys.executable, "-m", "mock_server"]
"""The command the fork server stands in for; any other starts as a real process."""
FORKING = sys.platform == "linux"
"""Where the fork server runs: it passes the pipes over an ``AF_UNIX`` ``SOCK_SEQPACKET`` socket,
which macOS lacks; there every command starts as a real process, only slower."""
MESSAGE = 64 * 1024


class Forked:
    """A command the fork server started, as the ``subprocess.Popen`` it stands in for."""

    def __init__(self, args: list[str], pid: int, stdout: IO[str]) -> None:
        self.args, self.pid, self.stdout = args, pid, stdout
        self.returncode: int | None = None
        self._exited = threading.Event()

    def exited(self, code: int) -> None:
        """Called by the fork server's listener with the command's exit code."""
        self.returncode = code
        self._exited.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._exited.wait(timeout):
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """The test process's side: starts commands, and hears when each one ends."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._process = subprocess.Popen([sys.executable, "-m", "tests.support.forkserver", str(theirs.fileno())],
                                         pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, cwd=ROOT,
                                         env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)
        theirs.close()
        self._socket = ours
        self._lock = threading.Lock()
        self._started: list[int] = []
        self._reply = threading.Condition()
        self._running: dict[int, Forked] = {}
        self._early: dict[int, int] = {}
        threading.Thread(target=self._listen, daemon=True).start()

    def popen(self, command: Sequence[str], *, cwd: Path | str | None = None,
              env: Mapping[str, str] | None = None, **kwargs: Any) -> Forked:
        """``command`` (``python -m mock_server ...``) forked, with stdout and stderr in one pipe."""
        read, write = os.pipe()
        message = {"argv": list(command[len(MODULE):]), "cwd": str(cwd or os.getcwd()),
                   "env": dict(env if env is not None else os.environ)}
        with self._lock, self._reply:
            socket.send_fds(self._socket, [json.dumps(message).encode()], [write])
            os.close(write)
            if not self._reply.wait_for(lambda: self._started, timeout=30):
                os.close(read)
                raise RuntimeError("the fork server did not start the command")
            pid = self._started.pop()
            output = open(read, encoding=locale.getpreferredencoding(False))  # noqa: SIM115 (closed as Popen's is)
            forked = Forked(list(command), pid, output)
            if pid in self._early:
                forked.exited(self._early.pop(pid))
            else:
                self._running[pid] = forked
        return forked

    def _listen(self) -> None:
        while data := self._socket.recv(MESSAGE):
            message = json.loads(data)
            with self._reply:
                if "started" in message:
                    self._started.append(message["started"])
                    self._reply.notify_all()
                elif (forked := self._running.pop(message["pid"], None)) is not None:
                    forked.exited(message["code"])
                else:  # ended before its start was answered
                    self._early[message["pid"]] = message["code"]

    def close(self) -> None:
        """Ends the fork server, and every command it started that is still running."""
        self._socket.shutdown(socket.SHUT_RDWR)  # wakes the listener, and the fork server hears the end
        self._socket.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=15)


_server: ForkServer | None = None
_server_lock = threading.Lock()


def popen(command: Sequence[str], **kwargs: Any) -> subprocess.Popen | Forked:
    """A ``subprocess.Popen`` for ``launch``: ``python -m mock_server ...`` forked from this test
    process's fork server (started on first use), anything else as a real process."""
    global _server
    if not FORKING or list(command[:len(MODULE)]) != MODULE:
        return subprocess.Popen(command, **kwargs)
    with _server_lock:
        if _server is None:
            _server = ForkServer()
            atexit.register(_server.close)
    return _server.popen(command, **kwargs)


# -- the fork server's own process ---------------------------------------------------------

def _serve(channel: socket.socket) -> None:
    """Forks a command for each message, and reports each one's end; stops when the test
    process closes its end (and stops what is still running)."""
    children: set[int] = set()
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(channel, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():
            if key.fileobj == wake_read:
                os.read(wake_read, 4096)
                continue
            data, fds, _, _ = socket.recv_fds(channel, MESSAGE, 1)
            if not data:
                for pid in children:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(pid, signal.SIGKILL)
                return
            pid = os.fork()
            if pid == 0:
                selector.close()
                channel.close()
                os.close(wake_read)
                os.close(wake_write)
                _run(json.loads(data), fds[0])  # never returns: the command's exit ends the child
            os.close(fds[0])
            children.add(pid)
            channel.send(json.dumps({"started": pid}).encode())
        while children:  # reap whatever has ended
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            children.discard(pid)
            channel.send(json.dumps({"pid": pid, "code": os.waitstatus_to_exitcode(status)}).encode())


def _run(message: dict[str, Any], output: int) -> None:
    """In the forked child: become ``python -m mock_server <argv>`` started by ``subprocess.Popen``
    with ``start_new_session``, ``cwd``, ``env`` and stdout and stderr into ``output``."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    os.chdir(message["cwd"])
    os.environ.clear()
    os.environ.update(message["env"])
    import tempfile
    tempfile.tempdir = None  # read from TMPDIR again, which the test may have set

    import mock_server
    sys.argv = [str(Path(mock_server.__file__).with_name("__main__.py")), *message["argv"]]
    from mock_server.commands.main import main
    main(args=message["argv"], prog_name="balances-mock")  # exits, as click's commands do
    sys.exit(0)


def _preload() -> None:
    """What every command imports before its work begins, the specs it reads, and an app built once."""
    import granian.server  # noqa: F401

    import mock_server.app  # noqa: F401
    import mock_server.commands.main  # noqa: F401
    import mock_server.commands.serve  # noqa: F401
    import mock_server.journal.journal  # noqa: F401
    import mock_server.proxy.forwarder  # noqa: F401
    import mock_server.proxy.judge  # noqa: F401
    import mock_server.state  # noqa: F401
    from mock_server import Settings, create_app
    from mock_server.spec import API_SPEC, SANDBOX_SPEC, load_spec
    load_spec(API_SPEC)
    load_spec(SANDBOX_SPEC)
    # One app built and dropped: the first in a process pays 0.06 s more than the next (Faker finds
    # and imports its providers, werkzeug compiles its first rules), and every server forked pays
    # the second's price. In memory, with no thread and no file; collected before any fork (its
    # journal and store sit in cycles), so that a child inherits none of its objects.
    create_app(Settings(token_secret="a-secret-that-only-warms-up-the-imports"))
    gc.collect()


if __name__ == "__main__":
    _preload()
    _serve(socket.socket(fileno=int(sys.argv[1])))
