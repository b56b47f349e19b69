"""Slow clients: 200 connections that send their request head one byte a second (a slowloris),
while a normal client keeps asking for its balances. What the normal client's latency becomes
is what every user of a shared sandbox feels when one client misbehaves.

The normal client's p50 and p99 are measured alone first, then with the slow connections
hanging on, on the same server. Target: every request answered, with a p99 under 100 ms (a
server that let slow heads hold its workers would answer in seconds, or not at all). The slow
connections are on loopback only and close by themselves when the part ends.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from urllib.parse import urlparse

import requests

from benchmarks.harness import Bench, Report, Verdict, authorization, started, table

SLOW = 200
"""Connections that trickle their head."""
REQUESTS = 400
"""Requests of the normal client per measurement."""
P99_LIMIT_MS = 100
BYTE_EVERY = 1.0
"""Seconds between two bytes of a slow connection."""
HEAD = b"GET /user/balances/ HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"s" * 60


def run(bench: Bench, report: Report) -> list[Verdict]:
    with started([*bench.mock_command, "--workers", "2"]) as server:
        headers = authorization(server.url)
        url = f"{server.url}/user/balances/"
        alone = normal_client(url, headers)
        stop = threading.Event()
        trickling = Slowloris(server.url, SLOW, stop)
        trickling.start()
        try:
            trickling.opened.wait(timeout=30)
            time.sleep(2 * BYTE_EVERY)  # every slow connection has sent part of its head
            hanging = normal_client(url, headers)
            still_open = trickling.open_connections()
        finally:
            stop.set()
            trickling.join()
    rows = [["alone", *alone.cells()], [f"{SLOW} slow connections hanging on ({still_open} still open)",
                                        *hanging.cells()]]
    report.say(f"## Slow clients ({SLOW} connections sending their head a byte every {BYTE_EVERY:g} s)", "",
               table(["normal client", "p50 ms", "p99 ms", "errors"], rows), "")
    met = hanging.errors == 0 and hanging.p99_ms < P99_LIMIT_MS
    return [Verdict(f"with {SLOW} slow connections, every request of a normal client answered, p99 under "
                    f"{P99_LIMIT_MS} ms", met,
                    f"p99 {alone.p99_ms:.1f} -> {hanging.p99_ms:.1f} ms, {hanging.errors} errors")]


class Latency:
    """A normal client's figures."""

    def __init__(self, seconds: list[float], errors: int) -> None:
        ordered = sorted(seconds) or [0.0]
        self.p50_ms = statistics.median(ordered) * 1000
        self.p99_ms = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        self.errors = errors

    def cells(self) -> list[str]:
        return [f"{self.p50_ms:.2f}", f"{self.p99_ms:.2f}", str(self.errors)]


def normal_client(url: str, headers: dict[str, str]) -> Latency:
    """``REQUESTS`` requests one after another on a keep-alive connection, each timed."""
    seconds, errors = [], 0
    with requests.Session() as session:
        for _ in range(REQUESTS):
            began = time.perf_counter()
            try:
                ok = session.get(url, headers=headers, timeout=10).status_code == 200
            except requests.RequestException:
                ok = False
            seconds.append(time.perf_counter() - began)
            errors += not ok
    return Latency(seconds, errors)


class Slowloris(threading.Thread):
    """``count`` connections, each sending one more byte of ``HEAD`` every ``BYTE_EVERY`` s,
    never finishing it, until ``stop`` is set (or the head is sent, a minute later)."""

    def __init__(self, base_url: str, count: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        address = urlparse(base_url)
        self.address = (address.hostname or "127.0.0.1", address.port or 80)
        self.count = count
        self.stop = stop
        self.opened = threading.Event()
        self.sockets: list[socket.socket] = []

    def run(self) -> None:
        try:
            for _ in range(self.count):
                self.sockets.append(socket.create_connection(self.address, timeout=5))
            self.opened.set()
            for position in range(len(HEAD)):
                if self.stop.wait(BYTE_EVERY):
                    break
                for connection in list(self.sockets):
                    try:
                        connection.send(HEAD[position:position + 1])
                    except OSError:  # the server closed it: what it may do with a slow client
                        self.sockets.remove(connection)
        finally:
            self.opened.set()
            for connection in self.sockets:
                connection.close()

    def open_connections(self) -> int:
        return len(self.sockets)
