"""The tests' fork server (``tests/support/forkserver.py``) stands in for ``python -m
mock_server``: what a forked command prints, its exit code and how a signal ends it are what
a new interpreter gives, or the process tests would pass on something a user never runs."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from ..support import forkserver
from ..support.mock import CLI, launch_cli

pytestmark = pytest.mark.skipif(not forkserver.FORKING, reason="the fork server runs on Linux only")


def both(args: list[str], tmp_path) -> tuple[tuple[int, str], tuple[int, str]]:
    """The command's exit code and output (stdout and stderr together), forked and as a new
    interpreter, in ``tmp_path`` with ``TMPDIR`` set to it."""
    results = []
    for start in (forkserver.popen, subprocess.Popen):
        process = start([*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
                        env={**os.environ, "TMPDIR": str(tmp_path)}, start_new_session=True)
        with process.stdout:
            output = process.stdout.read()
        results.append((process.wait(timeout=30), output))
    return results[0], results[1]


def test_a_forked_usage_error_is_the_new_interpreters(tmp_path):
    forked, real = both(["serve", "--port", "not-a-port"], tmp_path)
    assert forked == real
    assert forked[0] == 2 and "Invalid value for '--port'" in forked[1]


def test_a_forked_command_runs_in_its_folder(tmp_path):
    process = forkserver.popen([*CLI, "fixtures", "--out", "out"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    with process.stdout:
        output = process.stdout.read()
    assert process.wait(timeout=30) == 0, output
    assert (tmp_path / "out" / "manifest.json").is_file()


def test_a_forked_server_ends_by_its_signal_as_a_real_one_does():
    server = launch_cli([*CLI, "serve", "--port", "0", "--workers", "1", "--quiet"])
    assert isinstance(server.process, forkserver.Forked)
    server.process.send_signal(signal.SIGKILL)
    assert server.process.wait(timeout=10) == -signal.SIGKILL
    server.kill()  # its worker too
