"""``balances-mock proxy``: a reverse proxy that passes every exchange on unchanged and holds
both sides to the contract.

A request flows: own paths (``/__proxy/``) -> read the body (up to ``CHECKED_BYTES``; a larger
one streams through unread) -> judge the request -> forward it (``upstream.Upstream``:
``http.client`` connections kept alive to the upstream, a pool per worker process) -> read the answer (a
documented one, up to ``CHECKED_BYTES``, once; anything else streams) -> judge the answer (the
bytes read, not a copy) -> log each violation, record the exchange in the journal -> the
upstream's status, headers and bytes, as they came.

An upstream that cannot be reached answers 502 ``upstream_unavailable``, one that does not answer
in time 504 ``upstream_timeout``, both in the API's envelope and logged.
"""

from __future__ import annotations

import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from itertools import chain
from typing import Any

from contract_tests import redaction
from contract_tests.reproduce import curl_command
from contract_tests.rules import DRIFT
from mock_server.errors import envelope, guarded
from mock_server.journal.journal import Journal, stored_entries
from mock_server.proxy import upstream as transport
from mock_server.proxy.judge import Answer, ProxyJudge, Violation
from mock_server.serializer import to_json
from mock_server.spec import SANDBOX_SPEC, load_spec, spec_path
from mock_server.twin.validation import RequestInvalid, SpecValidator

OWN_PREFIX = "/__proxy/"
JOURNAL_CLIENT = "proxy"
"""Every exchange goes into the journal under this name: the proxy cannot tell clients apart by
tokens it cannot verify."""
CHECKED_BYTES = 4 * 1024 * 1024
"""Bodies up to this size are read and checked; larger ones stream through unchecked."""
CHUNK = transport.CHUNK
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "transfer-encoding", "upgrade", "host"})
BODILESS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class ProxyOptions:
    """Where to forward, how long to wait, how to trust a TLS upstream, and whether answers
    carry ``X-Contract-Violations``."""

    target: str
    timeout: float = 30.0
    verify: bool | str = True
    annotate: bool = False


class Proxy:
    """The proxy as a WSGI app. Built in the main process; each worker opens its own pool."""

    def __init__(self, options: ProxyOptions, judge: ProxyJudge, journal: Journal,
                 report: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)) -> None:
        self.options = options
        self.judge = judge
        self.journal = journal
        self._report = lambda line: report(redaction.text(line))
        """Every line the proxy logs, with what looks like a credential hidden."""
        self._upstream = transport.Upstream(options.target, options.timeout, options.verify)
        self._target = self._upstream.target
        self._list_params = SpecValidator(load_spec(SANDBOX_SPEC), base_uri=spec_path(SANDBOX_SPEC).as_uri())
        self._guarded = guarded(self._pass_on)
        """What escapes the proxy's own code is the one 500 (``errors.guarded``), as on the mock."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self._guarded(environ, start_response)

    def _pass_on(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        if path.startswith(OWN_PREFIX):
            return self._own(environ, start_response)
        arrival, started = time.time(), time.perf_counter()
        method = environ["REQUEST_METHOD"]
        query = environ.get("QUERY_STRING", "")
        headers = _request_headers(environ)
        body, content = _request_body(environ, method)
        refused = self.judge.request(method, path, query.encode("latin-1"),
                                     {name.lower(): value for name, value in headers.items()}, body)
        upstream = None
        try:  # the answer's head, and a documented answer's body: nothing is passed on before both
            upstream = self._upstream.send(method, path, query, dict(headers), content)
            status = upstream.status
            read, whole = upstream.read_whole(CHECKED_BYTES) if self.judge.checks(method, path, status) \
                else (b"", False)
        except transport.Unreachable as error:
            if transport.timed_out(error):
                waited = f"within {self.options.timeout:g} s: {error}"
                return self._unreachable(504, "upstream_timeout", f"{self._target} did not answer {waited}"
                                         if upstream is None else
                                         f"{self._target} began its answer but sent no more {waited}",
                                         environ, start_response, refused, arrival, started, body)
            return self._unreachable(502, "upstream_unavailable", f"{self._target} cannot be reached: {error}"
                                     if upstream is None else f"{self._target} broke off its answer: {_why(error)}",
                                     environ, start_response, refused, arrival, started, body)
        response_headers = [(name, value) for name, value in upstream.headers if name.lower() not in HOP_BY_HOP]
        violations = refused + (self._judged(method, path, query, refused, upstream, read) if whole else [])
        if violations:
            reproduce = curl_command(method, self._target + self._upstream.url_path(path, query), list(headers.items()),
                                     body)
            for violation in violations:
                self._report(violation.line(reproduce))
            if self.options.annotate:
                drift = sum(1 for violation in violations if violation.kind == DRIFT)
                if len(violations) > drift:
                    response_headers.append(("X-Contract-Violations", str(len(violations) - drift)))
                if drift:
                    response_headers.append(("X-Contract-Drift", str(drift)))
        self._keep(environ, arrival, started, body, status, response_headers, violations)
        start_response(f"{status} {upstream.reason}", response_headers)
        if whole:
            upstream.done(whole=True)
            return [read]
        return _streamed(read, upstream, partial(self._broken_off, method, path))

    def _judged(self, method: str, path: str, query: str, refused: list[Violation],
                upstream: transport.Answer, read: bytes) -> list[Violation]:
        """What in an answer read whole breaks the contract (checked decompressed; an encoding
        the proxy cannot read passes unchecked)."""
        headers = _merged(upstream.headers)
        checked = _decoded(read, headers.get("content-encoding"))
        if checked is None:
            return []
        answer = Answer(upstream.status, headers, checked)
        return self.judge.answer(method, path, query.encode("latin-1"), refused, answer)

    def _keep(self, environ: dict[str, Any], arrival: float, started: float, body: bytes | None, status: int,
              headers: list[tuple[str, str]], violations: list[Violation]) -> None:
        self.journal.keep(JOURNAL_CLIENT, arrival, time.perf_counter() - started, environ, body, status,
                          tuple(headers), tuple(v.as_error() for v in violations))

    def _broken_off(self, method: str, path: str, passed_on: int, error: BaseException) -> None:
        self._report(f"upstream error: {self._target} broke off its answer to {method} {path} after {passed_on:,} "
                     f"bytes had been passed on: {_why(error)}")

    def _unreachable(self, status: int, code: str, message: str, environ: dict[str, Any],
                     start_response: Callable[..., Any], refused: list[Violation], arrival: float, started: float,
                     body: bytes | None) -> Iterable[bytes]:
        self._report(f"upstream error: {status} {code}: {message}")
        data = to_json(envelope(code, message, {"upstream": self._target}))
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        self._keep(environ, arrival, started, body, status, headers, refused)
        start_response(f"{status} {'Gateway Timeout' if status == 504 else 'Bad Gateway'}", headers)
        return [data]

    def _own(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """``GET /__proxy/requests``: the journal of exchanges, as the sandbox's ``listRequests``
        shows a client's (the same parameters and page)."""
        status, body = 200, None
        if environ["PATH_INFO"].rstrip("/") != OWN_PREFIX + "requests" or environ["REQUEST_METHOD"] != "GET":
            status, body = 404, envelope("not_found", f"No such path: {environ['PATH_INFO']}. The proxy's own "
                                         "path is GET /__proxy/requests.", {"path": environ["PATH_INFO"]})
        else:
            try:
                params = self._list_params.query("/__sandbox/requests", "get",
                                                 environ.get("QUERY_STRING", "").encode("latin-1"))
                body = self.journal.page(JOURNAL_CLIENT, params)
            except RequestInvalid as invalid:
                status, body = 400, envelope("invalid_request", "Invalid query parameters: "
                                             f"{', '.join(invalid.details)}.", invalid.details)
        data = to_json(body)
        start_response(f"{status} {'OK' if status == 200 else 'Bad Request' if status == 400 else 'Not Found'}",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]


def summary(journal: Journal) -> dict[str, Any]:
    """What the proxy saw, from its journal: requests, the broken rules and the drift (decisions
    of the spec an answer took another way) by rule, each counted apart over the exchanges the
    journal still keeps."""
    entries = stored_entries(JOURNAL_CLIENT, *journal.store.read(JOURNAL_CLIENT))
    found: dict[str, dict[str, dict[str, Any]]] = {"violation": {}, "drift": {}}
    for entry in entries:
        for violation in entry["violations"]:
            side, _, kind = violation["code"].partition("_")
            key = f"{side}: {violation['message']}"
            rule = found["drift" if kind == "drift" else "violation"].setdefault(
                key, {"count": 0, "basis": violation["details"].get("basis"), "example": violation["details"]})
            rule["count"] += 1
    requests = entries[-1]["seq"] if entries else 0

    def broke(entry: dict[str, Any], kind: str) -> bool:
        return any(v["code"].endswith(f"_{kind}") for v in entry["violations"])

    return {"requests": requests, "kept": len(entries),
            "with_violations": sum(1 for entry in entries if broke(entry, "violation")),
            "with_drift": sum(1 for entry in entries if broke(entry, "drift")),
            "violations": dict(sorted(found["violation"].items(), key=lambda kv: -kv[1]["count"])),
            "drift": dict(sorted(found["drift"].items(), key=lambda kv: -kv[1]["count"]))}


def _request_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """The client's headers as it sent them, but for the hop-by-hop ones (``Host`` becomes the
    upstream's)."""
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").title()
            if name.lower() not in HOP_BY_HOP:
                headers[name] = value
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers[name] = environ[key]
    return headers


def _request_body(environ: Mapping[str, Any], method: str) -> tuple[bytes | None, bytes | Iterator[bytes]]:
    """The body read whole when it is small enough to check (and what to send: the same bytes),
    else None and an iterator that streams it on."""
    stream = environ.get("wsgi.input")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if stream is None or (method in BODILESS and not length):
        return b"", b""
    if 0 < length <= CHECKED_BYTES:
        body = stream.read(length)
        return body, body
    if not length and not environ.get("HTTP_TRANSFER_ENCODING"):
        return b"", b""

    def chunks() -> Iterator[bytes]:
        while chunk := stream.read(CHUNK):
            yield chunk

    return None, chunks()


def _streamed(first: bytes, upstream: transport.Answer,
              broken_off: Callable[[int, BaseException], None]) -> Iterator[bytes]:
    """The answer streamed on as it comes, the upstream's connection released at the end (closed,
    unless the answer was passed on whole).

    An upstream that breaks off now (the head is passed on: too late for a 502) is reported, and
    the answer ends there rather than raising: granian treats both alike (it cuts the client's
    connection short of the Content-Length, and ends a chunked answer as if it were whole), but
    logs a traceback for the exception."""
    passed_on = 0
    whole = False
    try:
        for chunk in chain([first] if first else [], upstream.stream()):
            yield chunk
            passed_on += len(chunk)
        whole = True
    except transport.Unreachable as error:
        broken_off(passed_on, error)
    finally:
        upstream.done(whole)


def _merged(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Headers by lower-case name, a header sent twice as its values joined by ", " (RFC 9110 §5.3)."""
    merged: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return merged


def _why(error: BaseException) -> str:
    """What broke an answer off, said plainly: the upstream closed (or reset) the connection."""
    if transport.broken_off(error):
        return f"peer closed connection without sending the complete answer ({error})"
    return str(error)


def _decoded(raw: bytes, encoding: str | None) -> bytes | None:
    """The body to check: as sent, or decompressed (gzip, deflate); None for an encoding the
    proxy does not read (the answer passes on unchecked)."""
    if not encoding or encoding.lower() == "identity":
        return raw
    if encoding.lower() in ("gzip", "x-gzip", "deflate"):
        try:
            return zlib.decompress(raw, zlib.MAX_WBITS | 32)
        except zlib.error:
            return None
    return None
