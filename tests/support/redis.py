"""A real redis-server for the tests that share state between processes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mock_server.serving.ports import free_port
from mock_server.testing.launcher import launch

from .required import tool_missing


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A throw-away redis-server on a free loopback port; yields its ``redis://`` URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        tool_missing("redis", "redis-server is not installed (Debian: apt-get install redis-server; "
                              ".ci/run installs it)")
    port = free_port()
    url = f"redis://127.0.0.1:{port}"
    server = launch([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                     "--dir", str(folder)], ready="Ready to accept connections", url=url)
    try:
        yield url
    finally:
        server.stop()
