"""The proxy's connections to its upstream: the standard library's ``http.client``, a pool of
kept-alive connections per worker process, passing a request on as the client sent it and
handing back the answer with its body still on the socket.

Chosen by measurement (BENCHMARKS.md): per exchange with the mock, httpx ran 3.2 million
instructions in the proxy, urllib3's ``HTTPConnectionPool`` 0.72 million for its part and
``http.client`` under it 0.36 million. What urllib3 adds over ``http.client`` (a pool with a
queue and locks, a timeout object, retry and redirect bookkeeping, its own response and header
types) the proxy needs little of, and the little is here: a list of idle connections (a thread
takes one, or opens one, and puts it back once the answer is read whole), a connection the
upstream closed while idle noticed before it is used (as urllib3 does: readable when idle
means closed), ``TCP_NODELAY`` (a request's head and body are two writes), the timeout on the
socket, and TLS through ``ssl``.

The request goes as the client sent it: nothing is added (``http.client`` adds ``Host`` only,
the upstream's), no redirect is followed, nothing is retried.
"""

from __future__ import annotations

import http.client
import os
import select
import socket
import ssl
import weakref
from collections.abc import Iterator
from functools import partial
from urllib.parse import quote, urlsplit

CHUNK = 64 * 1024
KEPT_ALIVE = 256
"""Idle connections a worker keeps open to the upstream: as many as its threads can use at once
(``--threads`` takes at most 256). One is opened when a thread finds none idle."""
QUERY_SAFE = "".join(chr(code) for code in range(0x21, 0x7F))
"""A query's bytes pass on as they came but for spaces, controls and non-ASCII, percent-encoded
(a request line is ASCII)."""

Unreachable = (OSError, http.client.HTTPException)
"""What keeps an answer from arriving whole: no connection, TLS refused, a timeout (an
``OSError``), an answer broken off or not HTTP."""


def timed_out(error: BaseException) -> bool:
    """Whether the upstream did not answer, or stopped sending, within the timeout."""
    return isinstance(error, TimeoutError)


def broken_off(error: BaseException) -> bool:
    """Whether the upstream closed (or reset) the connection before its answer was whole."""
    return isinstance(error, (http.client.IncompleteRead, ConnectionError))


class Upstream:
    """Where the proxy forwards: the target's address and path prefix, and this process's idle
    connections to it (a forked worker must not share its parent's sockets, so each keeps its own)."""

    def __init__(self, target: str, timeout: float, verify: bool | str) -> None:
        parts = urlsplit(target)
        self.target = target.rstrip("/")
        self.prefix = parts.path.rstrip("/")
        self._host = parts.hostname or ""
        self._port = parts.port
        self._timeout = timeout
        self._context = _tls_context(verify) if parts.scheme == "https" else None
        self._idle: list[http.client.HTTPConnection] = []
        """list.append and list.pop are atomic: the worker's threads share it without a lock. A
        forked worker starts with none (``_forked``): its parent's sockets are not its own."""
        os.register_at_fork(after_in_child=partial(_forked, weakref.ref(self)))

    def send(self, method: str, path: str, query: str, headers: dict[str, str],
             body: bytes | Iterator[bytes]) -> Answer:
        """The upstream's answer to the request, its head read and its body not yet. Raises one
        of ``Unreachable``."""
        connection = self._take()
        try:
            if connection.sock is None:
                connection.connect()
                connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection.putrequest(method, self.url_path(path, query), skip_accept_encoding=True)
            for name, value in headers.items():
                connection.putheader(name, value)
            streamed = not isinstance(body, bytes)
            chunked = streamed and "Content-Length" not in headers
            if chunked:
                connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders(body if body or streamed else None, encode_chunked=chunked)
            return Answer(self, connection, connection.getresponse())
        except BaseException:
            connection.close()
            raise

    def url_path(self, path: str, query: str) -> str:
        """The request target on the upstream: its prefix, then the client's path and query as
        the client's bytes."""
        target = self.prefix + quoted_path(path)
        return f"{target}?{quote(query.encode('latin-1'), safe=QUERY_SAFE)}" if query else target

    def _take(self) -> http.client.HTTPConnection:
        """An idle connection the upstream has not closed, or a new one (not yet connected)."""
        idle = self._idle
        while idle:
            try:
                connection = idle.pop()
            except IndexError:  # another thread took the last one
                break
            if not _closed_by_peer(connection):
                return connection
            connection.close()
        if self._context is not None:
            return http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout, context=self._context)
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def _give_back(self, connection: http.client.HTTPConnection) -> None:
        if len(self._idle) < KEPT_ALIVE:
            self._idle.append(connection)
        else:
            connection.close()


class Answer:
    """An upstream's answer: status, reason and headers read, its body on the socket until read
    (``read_whole``, then ``stream``), its connection held until ``done``."""

    def __init__(self, upstream: Upstream, connection: http.client.HTTPConnection,
                 response: http.client.HTTPResponse) -> None:
        self._upstream = upstream
        self._connection = connection
        self._response = response
        self.status = response.status
        self.reason = response.reason
        self.headers = response.getheaders()
        """(name, value) as they came, a header sent twice twice."""

    def read_whole(self, limit: int) -> tuple[bytes, bool]:
        """The body's raw bytes, read once: all of them (and True) if they end within ``limit``;
        else the first ``limit`` or more (and False), the rest left for ``stream``. A body of
        announced length is read in one call."""
        response = self._response
        length = response.length
        if length is not None and length <= limit:
            return response.read(), True
        read: list[bytes] = []
        size = 0
        while size <= limit:
            piece = self._piece()
            if not piece:
                return b"".join(read), True
            read.append(piece)
            size += len(piece)
        return b"".join(read), False

    def stream(self) -> Iterator[bytes]:
        """The rest of the body's raw bytes, each piece as soon as it comes."""
        while piece := self._piece():
            yield piece

    def _piece(self) -> bytes:
        """What of the body has come, up to ``CHUNK`` bytes; b"" at its end. ``read1`` takes an
        upstream that closes short of the length it announced for the end (``read`` does not):
        that is ``IncompleteRead`` here too."""
        response = self._response
        piece = response.read1(CHUNK)
        if not piece and response.length:
            raise http.client.IncompleteRead(b"", response.length)
        return piece

    def done(self, whole: bool) -> None:
        """The connection back to the idle ones if the body was read ``whole`` (and the upstream
        keeps it open), else closed: bytes of the answer may still be on the way."""
        if whole and self._response.isclosed():
            self._upstream._give_back(self._connection)
        else:
            self._response.close()
            self._connection.close()


def _forked(upstream: weakref.ref[Upstream]) -> None:
    if (kept := upstream()) is not None:
        kept._idle = []


def quoted_path(path: str) -> str:
    """The path as the client's bytes: WSGI gives it percent-decoded, as latin-1 text, so each
    byte is quoted again as it came (``%FF`` stays ``%FF``; a ``%2F`` the server already decoded
    is sent as ``/``)."""
    return quote(path.encode("latin-1"), safe="/:@!$&'()*+,;=-._~")


def _tls_context(verify: bool | str) -> ssl.SSLContext:
    """``True``: the system's CAs; a path: the CA bundle there; ``False``: no verification."""
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)


def _closed_by_peer(connection: http.client.HTTPConnection) -> bool:
    """An idle kept-alive connection with something to read has been closed by the upstream (or
    holds bytes nobody asked for): it cannot carry another exchange."""
    sock = connection.sock
    if sock is None:
        return False  # closed on our side: it connects again when used
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))
