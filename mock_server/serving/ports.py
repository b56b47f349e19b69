"""Ports: the one helper a server, a test and a benchmark all need before anything listens."""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A port the kernel has just handed out on ``host``, for a server that must know its port
    before it starts (granian's workers each bind it themselves; redis-server; Prism)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
