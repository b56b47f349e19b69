"""Abuse over a raw socket: every answer is a 4xx with a clear message or the documented
behaviour; never a 500, a hang, a traceback; and the server stays up."""

from __future__ import annotations

import socket
from urllib.parse import urlparse

import pytest

from ..support import HISTORY
from ..support.tokens import signed

TOKEN = signed()


def raw(server, request: bytes, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are and read the answer until the server closes the connection."""
    address = urlparse(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as connection:
        connection.sendall(request)
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def get(path: str, *headers: str, token: bool = True, method: str = "GET", body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", "Connection: close", *headers]
    if token:
        lines.append(f"Authorization: Bearer {TOKEN}")
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


CASES = {
    "malformed percent-encoding": (get(f"{HISTORY}?currency=%zz%"), {200}),
    "invalid UTF-8 in the query": (get(f"{HISTORY}?currency=%ff%fe"), {400}),
    "a 16 KB query string": (get(f"{HISTORY}?currency={'A' * 16_384}"), {200, 414, 431}),
    "200 repeated parameters": (get(HISTORY + "?" + "&".join(f"limit={i % 100 + 1}" for i in range(200))), {200}),
    "an oversized header": (get(HISTORY, f"X-Padding: {'x' * 70_000}"), {400, 431}),
    "CR in a header value": (get(HISTORY, "X-Test: a\rb"), {400}),
    "a NUL in the path": (get("/user/balances/\x00/"), {400, 404}),
    "OPTIONS": (get(HISTORY, method="OPTIONS"), {200}),  # DRF's metadata (the spec's decision options-metadata)
    "TRACE": (get(HISTORY, method="TRACE"), {405}),
    "a body on a GET": (get(HISTORY, "Content-Type: application/json", body=b'{"limit": 1000}'), {200}),
    "garbage instead of HTTP": (b"GARBAGE\r\n\r\n", {400}),
    "token: text/plain": (get("/o/token/", "Content-Type: text/plain", token=False, method="POST",
                              body=b"grant_type=client_credentials"), {400}),
    "token: multipart": (get("/o/token/", "Content-Type: multipart/form-data; boundary=x", token=False,
                             method="POST", body=b"--x--"), {400}),
    "token: an empty body": (get("/o/token/", "Content-Type: application/x-www-form-urlencoded", token=False,
                                 method="POST"), {400}),
    "token: a huge body": (get("/o/token/", "Content-Type: application/x-www-form-urlencoded", token=False,
                               method="POST", body=b"grant_type=" + b"x" * 1_000_000), {413}),
    "a 10 MB body, announced": (get("/__sandbox/transactions", "Content-Type: application/json",
                                    "Content-Length: 10000000", method="POST"), {413}),
    "a 64 KB header": (get(HISTORY, f"X-Padding: {'x' * 65_536}"), {431}),
    "10,000 query parameters": (get(HISTORY + "?" + "&".join("a=1" for _ in range(10_000))), {400}),
    "a 1 MB query string": (get(f"{HISTORY}?currency={'A' * 1_000_000}"), {414, 431}),
    "a NUL in the query": (get(f"{HISTORY}?currency=ETH%00"), {400}),
    "a lone surrogate in a JSON body": (get("/__sandbox/clock", "Content-Type: application/json", method="POST",
                                           body=b'{"advance": "\\udcff"}'), {400}),
    "a JSON body nested 50,000 deep": (get("/__sandbox/transactions", "Content-Type: application/json",
                                           method="POST", body=b"[" * 50_000), {400}),
    "token: broken Basic credentials": (get("/o/token/", "Authorization: Basic %%%",
                                            "Content-Type: application/x-www-form-urlencoded", token=False,
                                            method="POST", body=b"grant_type=client_credentials"), {401}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_abuse_gets_a_clear_4xx_or_the_documented_answer(server, case):
    request, expected = CASES[case]
    status, headers, body = raw(server, request)
    assert status in expected, (status, body[:300])
    assert b"Traceback" not in body and b"<html" not in body.lower()
    if body:
        assert headers.get("content-type", "").startswith("application/json"), (headers, body[:200])
    assert server.process.process.poll() is None
