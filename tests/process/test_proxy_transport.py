"""``balances-mock proxy`` as a transport, in real processes: a TLS upstream trusted through a
test CA, an upstream that dies or dawdles, bodies passed on byte for byte and streamed both
ways, compressed answers passed on compressed yet checked, and workers sharing one journal."""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import trustme
from click.testing import CliRunner
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wsgi import get_input_stream

from contract_tests import rules
from mock_server import Settings, create_app
from mock_server.commands.main import main
from mock_server.serving.ports import free_port
from mock_server.testing.launcher import ServerProcess

from ..support import BALANCES, DEMO, HISTORY, SECRET, TOKEN
from ..support.assertions import assert_envelope
from ..support.mock import CLI, InProcessMock, grant, launch_cli, start_server

JOURNAL = "/__proxy/requests"
BEARER = {"Authorization": "Bearer not-checked-by-this-upstream"}
BIG = 20 * 1024 * 1024
"""Bytes of the large answers: well beyond the 4 MiB the proxy reads to check."""
UPLOAD = 10 * 1024 * 1024
CHUNK = 64 * 1024


# -- servers ---------------------------------------------------------------------------------

def start_proxy(target: str, *args: str) -> ServerProcess:
    """``balances-mock proxy TARGET`` on a free port, once it listens."""
    return launch_cli([*CLI, "proxy", target, "--port", "0", *args])


def stop(*servers: ServerProcess) -> None:
    """SIGTERM to each, so that ``output`` then holds the summary too; then, whatever happened,
    no traceback in any (every one stopped first: a failed check must not leave one running)."""
    for server in servers:
        server.stop()
    for server in servers:
        assert "Traceback" not in "".join(server.output), "".join(server.output)


@contextmanager
def proxies(target: str, *variants: tuple[str, ...]) -> Iterator[list[ServerProcess]]:
    """One proxy to ``target`` per tuple of arguments, for the block; started side by side (each
    takes most of a second)."""
    with ThreadPoolExecutor(len(variants)) as pool:
        starting = [pool.submit(start_proxy, target, *args) for args in variants]
    started = [future.result() for future in starting if future.exception() is None]
    try:
        if len(started) < len(variants):
            raise next(error for future in starting if (error := future.exception()) is not None)
        yield started
    finally:
        stop(*started)


@contextmanager
def proxy(target: str, *args: str) -> Iterator[ServerProcess]:
    with proxies(target, args) as (server,):
        yield server


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:
        pass


@contextmanager
def upstream(app: Callable[..., Iterable[bytes]], context: ssl.SSLContext | None = None) -> Iterator[str]:
    """``app`` served by werkzeug in a thread of the test process (over TLS given ``context``); its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if context else 'http'}://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join(5)


def journal(url: str) -> list[dict[str, Any]]:
    answer = requests.get(f"{url}{JOURNAL}", params={"limit": 1000}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["requests"]


def token_through(url: str) -> str:
    answer = requests.post(f"{url}{TOKEN}", data=grant(), auth=DEMO, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


# -- a TLS upstream ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tls:
    """The mock over HTTPS, and proxies to it trusting its CA, the system's CAs, and anything."""

    url: str
    ca_bundle: Path
    verified: ServerProcess
    unverifiable: ServerProcess
    insecure: ServerProcess


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tls]:
    """The mock app over HTTPS, with a certificate for 127.0.0.1 and localhost from a test CA."""
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    bundle = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with upstream(create_app(Settings(token_secret=SECRET)), context) as url, \
            proxies(url, ("--ca-bundle", str(bundle)), (), ("--insecure",)) as (verified, unverifiable, insecure):
        yield Tls(url, bundle, verified, unverifiable, insecure)


def test_a_tls_upstream_is_verified_with_the_ca_bundle_given(tls):
    server = tls.verified
    assert server.wait_for_line(f"verified with {tls.ca_bundle}")
    token = token_through(server.url)
    page = requests.get(f"{server.url}{HISTORY}", params={"limit": 5}, timeout=10,
                        headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 200 and len(page.json()["history"]) == 5
    kept = journal(server.url)
    assert [(entry["path"], entry["status"]) for entry in kept] == [(TOKEN, 200), (HISTORY, 200)]
    assert all(entry["verdict"]["violations"] == [] for entry in kept), kept


def test_an_upstream_certificate_no_known_ca_signed_is_a_502_and_logged(tls):
    server = tls.unverifiable  # the system's CAs: none of them signed the test CA's certificate
    error = assert_envelope(requests.get(f"{server.url}{BALANCES}", headers=BEARER, timeout=10),
                            502, "upstream_unavailable")
    assert "certificate verify failed" in error["message"], error
    assert error["details"] == {"upstream": tls.url}
    assert server.wait_for_line("upstream error: 502 upstream_unavailable")
    assert any("certificate verify failed" in line for line in server.output)
    assert [entry["status"] for entry in journal(server.url)] == [502]


def test_insecure_passes_on_without_verifying(tls):
    server = tls.insecure
    assert server.wait_for_line("not verified (--insecure)")
    token = token_through(server.url)
    answer = requests.get(f"{server.url}{BALANCES}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200 and answer.json(), answer.text


@pytest.mark.parametrize("args, says", [
    (["--ca-bundle", "{bundle}", "--insecure"], "--ca-bundle and --insecure contradict each other"),
    (["--ca-bundle", "{missing}"], "does not exist"),
], ids=["ca-bundle-and-insecure", "missing-ca-bundle"])
def test_contradictory_or_missing_trust_is_a_usage_error(tmp_path, args, says):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not read: the options are refused first\n")
    args = [arg.format(bundle=bundle, missing=tmp_path / "no-such.pem") for arg in args]
    result = CliRunner().invoke(main, ["proxy", "https://127.0.0.1:1", "--port", "0", *args])  # refused first
    assert result.exit_code == 2 and result.stdout == "", result.output
    assert "Traceback" not in result.stderr and isinstance(result.exception, SystemExit)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and says in errors[0], result.stderr


# -- an upstream down or slow --------------------------------------------------------------------

def test_an_upstream_that_dies_is_a_502_until_it_is_back():
    port = str(free_port())
    with ThreadPoolExecutor(2) as pool:  # side by side: the proxy needs only the mock's address
        starting = pool.submit(start_server, "--quiet", "--workers", "1", "--port", port)
        proxying = pool.submit(start_proxy, f"http://127.0.0.1:{port}", "--quiet")
    mock, server = starting.result(), proxying.result()
    try:
        auth = {"Authorization": f"Bearer {mock.token()}"}
        assert requests.get(f"{server.url}{BALANCES}", headers=auth, timeout=10).status_code == 200
        mock.process.kill()  # SIGKILL, workers and all: its connections reset, not closed
        mock.stop()
        for _ in range(3):  # no hang: each at once
            began = time.monotonic()
            error = assert_envelope(requests.get(f"{server.url}{BALANCES}", headers=auth, timeout=10),
                                    502, "upstream_unavailable")
            assert time.monotonic() - began < 2 and mock.url in error["message"], error
        mock = start_server("--quiet", "--workers", "1", "--port", port)
        assert requests.get(f"{server.url}{BALANCES}", headers=auth, timeout=10).status_code == 200
        assert server.process.poll() is None  # it kept running throughout
        assert [entry["status"] for entry in journal(server.url)] == [200, 502, 502, 502, 200]
        assert sum("upstream error: 502 upstream_unavailable" in line for line in server.output) == 3
    finally:
        mock.stop()
        stop(server)


def test_an_upstream_slower_than_the_timeout_is_a_504_in_time(server, token):
    with proxy(server.url, "--timeout", "0.5") as slow:
        began = time.monotonic()
        answer = requests.get(f"{slow.url}{BALANCES}", timeout=10,
                              headers={"Authorization": f"Bearer {token}", "Prefer": "delay=2000"})
        took = time.monotonic() - began
        error = assert_envelope(answer, 504, "upstream_timeout")
        assert 0.5 <= took < 1.2, took
        assert "did not answer within 0.5 s" in error["message"], error
        assert slow.wait_for_line("upstream error: 504 upstream_timeout")
        (entry,) = journal(slow.url)
        assert entry["status"] == 504 and entry["headers"]["prefer"] == "delay=2000"



class _KeepingAlive(BaseHTTPRequestHandler):
    """An upstream that keeps connections open (werkzeug's closes each after one answer) and
    notes the client port of every request; ``X-Answer: close`` closes the connection after the
    answer, as an upstream may."""

    protocol_version = "HTTP/1.1"
    ports: list[int]

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.ports.append(self.client_address[1])
        data = b'{"account": {}, "sub_accounts": {}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.headers.get("X-Answer") == "close":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def test_exchanges_share_a_kept_alive_connection_to_the_upstream():
    """One connection carries exchange after exchange; one the upstream closes is not used again."""
    ports: list[int] = []
    handler = type("Noting", (_KeepingAlive,), {"ports": ports})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with proxy(f"http://127.0.0.1:{server.server_port}", "--quiet") as through, requests.Session() as client:
            def get(**headers: str) -> int:
                return client.get(f"{through.url}{BALANCES}", headers={**BEARER, **headers}, timeout=10).status_code

            assert [get() for _ in range(10)] == [200] * 10
            assert len(set(ports)) == 1, ports  # ten exchanges, one connection
            assert get(**{"X-Answer": "close"}) == 200
            assert [get() for _ in range(5)] == [200] * 5
            assert ports[10] == ports[0] and len(set(ports[11:])) == 1 and ports[11] != ports[0], ports
    finally:
        server.shutdown()
        server.server_close()

# -- bodies byte for byte ----------------------------------------------------------------------------

BIG_PLAIN = random.Random(1).randbytes(BIG)
BIG_GZIP = gzip.compress(random.Random(2).randbytes(BIG), compresslevel=0, mtime=0)
"""Stored blocks: a true gzip stream as large as its content, made in milliseconds."""


def _pages() -> dict[str, bytes]:
    """A history page of the mock's own (limit 3), and the same page with its entries oldest first."""
    mock = InProcessMock(Settings(token_secret=SECRET))
    page = mock.get(HISTORY, mock.token(), params={"limit": 3}).get_data()
    broken = json.loads(page)
    broken["history"].reverse()
    return {"page": page, "broken-page": json.dumps(broken).encode()}


def transport_app(pages: dict[str, bytes]) -> Callable[..., Iterable[bytes]]:
    """An upstream whose answer the ``X-Answer`` request header picks: the large answers (streamed,
    64 KiB at a time), the history pages gzip'd, answers broken off or stalled half-way, and for a
    token request the size and digest of the body it received (read as it arrives)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        wanted = environ.get("HTTP_X_ANSWER", "")
        if environ["REQUEST_METHOD"] == "POST":
            digest, size, stream = hashlib.sha256(), 0, get_input_stream(environ)  # Content-Length or chunked
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
            data = json.dumps({"received": size, "sha256": digest.hexdigest()}).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
            return [data]
        if wanted == "big":  # no Content-Length: sent chunked
            start_response("200 OK", [("Content-Type", "application/octet-stream")])
            return (BIG_PLAIN[i:i + CHUNK] for i in range(0, BIG, CHUNK))
        if wanted == "big-gzip":
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Encoding", "gzip"),
                                      ("Content-Length", str(len(BIG_GZIP)))])
            return (BIG_GZIP[i:i + CHUNK] for i in range(0, len(BIG_GZIP), CHUNK))
        if wanted.startswith(("cut", "stall", "big-cut")):  # the first part, then no more
            page = pages["page"]
            first, size = (BIG_PLAIN[:CUT], BIG) if wanted.startswith("big") else (page[:20], len(page))
            chunked = wanted.endswith("chunked")
            start_response("200 OK", [("Content-Type", "application/json"),
                                      *([] if chunked else [("Content-Length", str(size))])])
            return _broken_off(first, stall=wanted == "stall")
        data = gzip.compress(pages[wanted], mtime=0)
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Encoding", "gzip"),
                                  ("Vary", "Accept-Encoding"), ("Content-Length", str(len(data)))])
        return [data]

    return app


CUT = 6 * 1024 * 1024
"""Where a large answer breaks off: after the 4 MiB the proxy reads to check, so while it streams."""


def _broken_off(first: bytes, stall: bool) -> Iterator[bytes]:
    """``first``, then a pause longer than the impatient proxy waits, or the connection closed
    (werkzeug closes it when the answer's iterator raises)."""
    yield from (first[i:i + CHUNK] for i in range(0, len(first), CHUNK))
    if stall:
        time.sleep(STALL_S)
    raise ConnectionAbortedError("the test's upstream breaks off its answer")


STALL_S = 2
IMPATIENT_S = "0.5"


@dataclass(frozen=True)
class Transport:
    """The upstream above, a proxy to it, one with --annotate, and one with a short --timeout."""

    direct: str
    plain: ServerProcess
    annotating: ServerProcess
    impatient: ServerProcess


@pytest.fixture(scope="module")
def transport() -> Iterator[Transport]:
    with upstream(transport_app(_pages())) as url, \
            proxies(url, ("--quiet",), ("--quiet", "--annotate"), ("--quiet", "--timeout", IMPATIENT_S)) as started:
        yield Transport(url, *started)


def raw(url: str, answer: str) -> tuple[requests.Response, bytes]:
    """An answer to a history request, and its bytes as they came over the wire (``raw.read``
    decompresses nothing)."""
    response = requests.get(f"{url}{HISTORY}?limit=3", headers={**BEARER, "X-Answer": answer}, stream=True, timeout=30)
    return response, response.raw.read()


@pytest.mark.parametrize("answer", ["big", "big-gzip"])
def test_a_large_answer_arrives_byte_for_byte(transport, answer):
    through = transport.plain.url
    body = BIG_GZIP if answer == "big-gzip" else BIG_PLAIN
    response, data = raw(through, answer)
    assert response.status_code == 200
    assert len(data) == len(body) and hashlib.sha256(data).digest() == hashlib.sha256(body).digest()
    assert response.headers.get("Content-Encoding") == ("gzip" if answer == "big-gzip" else None)


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_large_request_body_streams_through(transport, framing):
    through = transport.plain.url
    body = random.Random(3).randbytes(UPLOAD)
    sent = body if framing == "content-length" else (body[i:i + CHUNK] for i in range(0, UPLOAD, CHUNK))
    answer = requests.post(f"{through}{TOKEN}", data=sent, timeout=30,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.json() == {"received": UPLOAD, "sha256": hashlib.sha256(body).hexdigest()}


def test_a_compressed_answer_is_passed_on_compressed_and_still_checked(transport):
    direct, through, annotating = transport.direct, transport.plain.url, transport.annotating.url
    expected, data = raw(direct, "page")
    response, passed = raw(through, "page")
    assert passed == data and gzip.decompress(passed).startswith(b'{"history":')
    # The upstream's headers, Server and Date included (granian adds neither to an answer that
    # has them). One is not passed on: werkzeug's ``Connection: close``, hop-by-hop (RFC 9110
    # §7.6.1), about the upstream's connection to the proxy, not the client's. Date is compared by
    # name only: the two answers may be a second apart.
    upstream_headers = {name.lower(): value for name, value in expected.headers.items()}
    assert upstream_headers.pop("connection") == "close"
    passed_on = {name.lower(): value for name, value in response.headers.items()}
    assert set(passed_on) == set(upstream_headers), (passed_on, upstream_headers)
    del passed_on["date"], upstream_headers["date"]
    assert passed_on == upstream_headers
    clean, _ = raw(annotating, "page")
    assert "X-Contract-Violations" not in clean.headers

    broken, passed = raw(annotating, "broken-page")
    assert passed == raw(direct, "broken-page")[1]  # still compressed, unchanged
    assert broken.headers["X-Contract-Violations"] == "1"
    flagged = journal(annotating)[-1]
    assert [violation["message"] for violation in flagged["verdict"]["violations"]] \
        == [rules.NEWEST_FIRST.text], flagged
    # The same answers again: each keeps its own verdict.
    assert [raw(annotating, answer)[0].headers.get("X-Contract-Violations") for answer in
            ("broken-page", "page", "broken-page")] == ["1", None, "1"]


@pytest.mark.parametrize("answer, status, code, says", [
    ("cut", 502, "upstream_unavailable", "broke off its answer: peer closed connection"),
    ("stall", 504, "upstream_timeout", f"began its answer but sent no more within {IMPATIENT_S} s"),
], ids=["cut", "stall"])
def test_an_answer_broken_off_before_the_proxy_read_it_whole_is_a_502_or_504(transport, answer, status, code, says):
    """A documented answer is read whole before anything is passed on, so the client can still be
    told, in the envelope, that the upstream failed."""
    impatient = transport.impatient
    began = time.monotonic()
    error = assert_envelope(requests.get(f"{impatient.url}{HISTORY}?limit=3", timeout=10,
                                         headers={**BEARER, "X-Answer": answer}), status, code)
    assert time.monotonic() - began < STALL_S and error["details"] == {"upstream": transport.direct}
    assert says in error["message"], error
    assert impatient.wait_for_line(f"upstream error: {status} {code}")
    assert journal(impatient.url)[-1]["status"] == status


CHUNKED_CUT_UNSEEN = pytest.mark.xfail(
    strict=True, raises=pytest.fail.Exception,  # "DID NOT RAISE" only: a failure in teardown still fails
    reason="granian ends a streamed answer whose iterator stops early as if it were whole: a client cannot tell a "
    "chunked answer the upstream broke off from a complete one")


@pytest.mark.parametrize("answer", ["big-cut", pytest.param("big-cut-chunked", marks=CHUNKED_CUT_UNSEEN)])
def test_a_large_answer_broken_off_while_streamed_is_broken_off_for_the_client(transport, answer):
    plain = transport.plain
    before = len(plain.output)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):  # fewer bytes than announced, or no last chunk
        requests.get(f"{plain.url}{HISTORY}?limit=3", headers={**BEARER, "X-Answer": answer}, timeout=10)
    assert plain.wait_for_line("upstream error: ", start=before)  # one line; the traceback is checked on stop


# -- several workers ---------------------------------------------------------------------------------

def test_workers_share_one_journal_and_the_summary_counts_every_exchange(server, token):
    auth = {"Authorization": f"Bearer {token}"}
    queries = [f"limit={1 + n % 7}&offset={n}" for n in range(60)]
    expected = {query: requests.get(f"{server.url}{HISTORY}?{query}", headers=auth, timeout=10).content
                for query in queries}

    def get(url: str, query: str) -> bytes:  # a new connection each: either worker may answer
        answer = requests.get(f"{url}{HISTORY}?{query}", headers=auth, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.content

    with proxy(server.url, "--workers", "2", "--quiet") as two, ThreadPoolExecutor(8) as pool:
        answered = dict(zip(queries[:40], pool.map(functools.partial(get, two.url), queries[:40]), strict=True))
        assert answered == {query: expected[query] for query in queries[:40]}
        kept = journal(two.url)  # whichever worker answered
        assert sorted(entry["query"] for entry in kept) == sorted(queries[:40])
        assert [entry["seq"] for entry in kept] == list(range(1, 41))
        # Then 20 more, and SIGTERM at once: the workers write what they hold as they stop.
        assert list(pool.map(functools.partial(get, two.url), queries[40:])) == [expected[q] for q in queries[40:]]
    assert two.process.returncode == 0
    assert any(line.startswith("balances-mock proxy: 60 requests, 0 broke the contract") for line in two.output), \
        "".join(two.output)
