"""Ports: a free one for a server that must know its port before it starts, and the port a
server claims for itself, alone, from one or a range.

Granian's workers each bind the port with SO_REUSEPORT, so a second server started on a port
already served would share it silently, the kernel handing each connection to either. A server
therefore claims its port first: a name in the abstract socket namespace of its network
namespace (``balances-mock:HOST:PORT``, held for the life of the process and dropped by the
kernel when it dies, ``kill -9`` included) and a plain bind that fails when anything else
listens there. Replicas sharing the host's network (deploy/compose.yaml) each take the first free
port of one range this way, whatever order they start in.
"""

from __future__ import annotations

import errno
import socket
import sys
from dataclasses import dataclass

MAX_RANGE = 1000
"""Ports a range may span; more is a typo more often than a plan."""


class PortUnavailable(Exception):
    """No port of the ones asked for can be served: its message says which and why, in one line."""


@dataclass(frozen=True)
class Ports:
    """One port (``first == last``; 0: any free one) or a range to take the first free port of."""

    first: int
    last: int

    @classmethod
    def parse(cls, text: str) -> Ports:
        """``8000`` or ``8101-8110``; ValueError, saying what is wrong, for anything else."""
        first_text, dash, last_text = text.strip().partition("-")
        try:
            first = int(first_text)
            last = int(last_text) if dash else first
        except ValueError:
            raise ValueError(f"{text!r} is not a port (0 to 65535) nor a range of ports such as 8101-8110") from None
        if not 0 <= first <= 65535 or not 0 <= last <= 65535:
            raise ValueError(f"{text!r}: ports run from 0 to 65535")
        if dash and (first == 0 or last < first or last - first >= MAX_RANGE):
            raise ValueError(f"{text!r}: a range runs from a first port to a last one no lower, "
                             f"at most {MAX_RANGE} ports (such as 8101-8110)")
        return cls(first, last)

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


@dataclass
class Claim:
    """A port this process serves alone; the claim lasts as long as the process (or ``release``)."""

    host: str
    port: int
    _name: socket.socket | None

    def release(self) -> None:
        if self._name is not None:
            self._name.close()
            self._name = None


def claim(host: str, ports: Ports) -> Claim:
    """The first port of ``ports`` on ``host`` that no other server holds (port 0: one the kernel
    picks), claimed for this process. PortUnavailable when there is none."""
    candidates = [free_port(host) for _ in range(3)] if ports.first == 0 else range(ports.first, ports.last + 1)
    for port in candidates:
        try:
            held = _claim_one(host, port)
        except OSError as error:
            raise PortUnavailable(f"cannot serve on {host} port {port}: {error.strerror or error}") from None
        if held is not None:
            return held
    if ports.first == ports.last:
        raise PortUnavailable(f"port {ports.first} on {host} is in use by another server: stop it, or pick another "
                              "--port (0 for a free one)")
    raise PortUnavailable(f"every port of {ports} on {host} is in use by other servers: widen the range or stop one")


def _claim_one(host: str, port: int) -> Claim | None:
    """The claim of ``port``, or None when another server holds it."""
    name = None
    if sys.platform == "linux":
        name = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            name.bind(f"\0balances-mock:{host}:{port}")
        except OSError as error:
            name.close()
            if error.errno == errno.EADDRINUSE:
                return None
            raise
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR: connections of a server that stopped a moment ago (TIME_WAIT) do not hold
        # the port; a listening socket still does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if name is not None:
                name.close()
            if error.errno == errno.EADDRINUSE:
                return None
            raise
    return Claim(host, port, name)


def free_port(host: str = "127.0.0.1") -> int:
    """A port the kernel has just handed out on ``host``, for a server that must know its port
    before it starts (granian's workers each bind it themselves; redis-server; Prism)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
