"""The proxy's connections to its upstream: a urllib3 connection pool per worker process, kept
alive, that passes a request on as the client sent it and hands back the answer unread.

urllib3 rather than httpx, by measurement: httpx cost 0.37 ms of CPU per exchange with the mock,
urllib3's ``HTTPConnectionPool`` about half that (it builds no URL object, no cookie jar and no
default headers per request; it parses the answer's head with the standard library's
``http.client`` and leaves its body on the socket until asked). See BENCHMARKS.md.

The request goes as the client sent it: urllib3 adds no ``Accept-Encoding`` or ``User-Agent``
the client did not send (``SKIP_HEADER``), follows no redirect and retries nothing. A connection
the upstream closed while it sat in the pool is noticed before it is used (urllib3 checks it),
so an upstream that restarts costs no failed exchange.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import urllib3
from urllib3.exceptions import HTTPError, InsecureRequestWarning, NewConnectionError, ProtocolError, TimeoutError
from urllib3.util import SKIP_HEADER

CHUNK = 64 * 1024
KEPT_ALIVE = 256
"""Connections a worker keeps open to the upstream: as many as its threads can use at once
(``--threads`` takes at most 256). One is opened when a thread needs it, not before."""
ADDED_UNLESS_SENT = ("Accept-Encoding", "User-Agent")
"""Headers urllib3 would add to a request without them; the proxy adds nothing."""
QUERY_SAFE = "".join(chr(code) for code in range(0x21, 0x7F))
"""A query's bytes pass on as they came but for spaces, controls and non-ASCII, percent-encoded
(a request line is ASCII)."""

Response = urllib3.BaseHTTPResponse
"""An upstream's answer: its status, reason and headers read, its body on the socket until read."""
Unreachable = HTTPError
"""Anything that keeps an answer from arriving whole: no connection, TLS refused, a broken answer."""
Broken = ProtocolError
"""The connection broke while the answer came (the upstream closed it, or reset it)."""


def timed_out(error: Unreachable) -> bool:
    """Whether the upstream did not answer, or stopped sending, within the timeout (urllib3 makes
    a refused connection a kind of connect timeout too, for old times' sake: it is not one)."""
    return isinstance(error, TimeoutError) and not isinstance(error, NewConnectionError)


class Upstream:
    """Where the proxy forwards: the target's path prefix, and this process's pool to it (a
    forked worker must not share its parent's sockets, so each opens its own)."""

    def __init__(self, target: str, timeout: float, verify: bool | str) -> None:
        parts = urlsplit(target)
        self.target = target.rstrip("/")
        self.prefix = parts.path.rstrip("/")
        self._host = parts.hostname or ""
        self._port = parts.port
        self._tls = parts.scheme == "https"
        self._timeout = urllib3.Timeout(connect=timeout, read=timeout)
        self._verify = verify
        self._pool: urllib3.HTTPConnectionPool | None = None
        self._pid = 0
        self._opening = threading.Lock()
        if self._tls and verify is False:
            # --insecure asked for it, and the banner says so: not a warning per request.
            urllib3.disable_warnings(InsecureRequestWarning)

    def pool(self) -> urllib3.HTTPConnectionPool:
        pool = self._pool
        if pool is not None and self._pid == os.getpid():
            return pool
        with self._opening:
            if self._pool is None or self._pid != os.getpid():
                self._pool, self._pid = self._open(), os.getpid()
            return self._pool

    def _open(self) -> urllib3.HTTPConnectionPool:
        common = {"maxsize": KEPT_ALIVE, "block": False, "retries": False, "timeout": self._timeout}
        if not self._tls:
            return urllib3.HTTPConnectionPool(self._host, self._port, **common)
        if self._verify is False:
            return urllib3.HTTPSConnectionPool(self._host, self._port, cert_reqs="CERT_NONE", assert_hostname=False,
                                               **common)
        bundle = self._verify if isinstance(self._verify, str) else None  # None: the system's CAs
        return urllib3.HTTPSConnectionPool(self._host, self._port, cert_reqs="CERT_REQUIRED", ca_certs=bundle,
                                           **common)

    def send(self, method: str, path: str, query: str, headers: dict[str, str],
             body: bytes | Iterator[bytes]) -> Response:
        """The upstream's answer to the request, its head read and its body not yet: read it with
        ``read_whole`` or ``stream``. Raises ``Unreachable`` (see ``timed_out``)."""
        for name in ADDED_UNLESS_SENT:
            headers.setdefault(name, SKIP_HEADER)
        url = self.url_path(path, query)
        streamed = not isinstance(body, bytes)
        chunked = streamed and "Content-Length" not in headers
        return self.pool().urlopen(method, url, body=body if body or streamed else None, headers=headers,
                                   retries=False, redirect=False, assert_same_host=False, preload_content=False,
                                   decode_content=False, chunked=chunked)

    def url_path(self, path: str, query: str) -> str:
        """The request target on the upstream: its prefix, then the client's path and query as
        the client's bytes."""
        target = self.prefix + quoted_path(path)
        return f"{target}?{quote(query.encode('latin-1'), safe=QUERY_SAFE)}" if query else target


def quoted_path(path: str) -> str:
    """The path as the client's bytes: WSGI gives it percent-decoded, as latin-1 text, so each
    byte is quoted again as it came (``%FF`` stays ``%FF``; a ``%2F`` the server already decoded
    is sent as ``/``)."""
    return quote(path.encode("latin-1"), safe="/:@!$&'()*+,;=-._~")


def read_whole(answer: Response, limit: int) -> tuple[bytes, bool]:
    """The answer's raw bytes, read once: all of them (and True) if they end within ``limit``;
    else the first ``limit`` or more (and False), the rest left for ``stream``. An answer that
    announces its length is read in one call."""
    length = answer.length_remaining
    if length is not None and length <= limit:
        return answer.read(decode_content=False), True
    read: list[bytes] = []
    size = 0
    while size <= limit:
        piece = answer.read1(CHUNK, decode_content=False)
        if not piece:
            return b"".join(read), True
        read.append(piece)
        size += len(piece)
    return b"".join(read), False


def stream(answer: Response) -> Iterator[bytes]:
    """The rest of the answer's raw bytes, each piece as soon as it comes (the same reads as
    ``read_whole``'s: a chunked answer is decoded in one place)."""
    while piece := answer.read1(CHUNK, decode_content=False):
        yield piece


def done(answer: Response, whole: bool) -> None:
    """The answer's connection back to the pool: kept alive if the answer was read ``whole``,
    closed otherwise (bytes of it may still be on the way)."""
    if not whole:
        answer.close()
    answer.release_conn()

