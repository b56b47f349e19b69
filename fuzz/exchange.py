"""What the fuzz targets build from the fuzzer's bytes: values drawn one by one (``Draw``, over
atheris' ``FuzzedDataProvider``), HTTP requests as a WSGI server hands them to an app
(``HttpRequest``, ``draw_request``), and JSON documents edited from a known-good one.

Drawing is structure-aware so that a few bytes reach deep: most draws pick from what the specs
name (paths, methods, parameters, properties, enums and examples), the rest are raw bytes, so
nothing a client can send is out of reach. The vocabularies below are written out rather than
read from the specs, in an order that only grows at the end: an input in ``corpus/`` keeps
meaning the same request when the specs change (``tests/http/test_fuzz_corpus.py`` checks that
every operation of both specs is among ``ROUTES``).
"""

from __future__ import annotations

import base64
import io
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import atheris

T = TypeVar("T")

API_ROUTES = (
    ("POST", "/o/token/"),
    ("GET", "/user/balances/"),
    ("GET", "/user/balances/history/"),
)
SANDBOX_ROUTES = (
    ("POST", "/__sandbox/transactions"),
    ("GET", "/__sandbox/clock"),
    ("POST", "/__sandbox/clock"),
    ("POST", "/__sandbox/reset"),
    ("GET", "/__sandbox/account"),
    ("POST", "/__sandbox/clients"),
    ("GET", "/__sandbox/requests"),
    ("DELETE", "/__sandbox/requests"),
    ("POST", "/__sandbox/faults"),
    ("GET", "/__sandbox/faults"),
    ("DELETE", "/__sandbox/faults"),
)
OTHER_ROUTES = (
    ("GET", "/__console/"),
    ("GET", "/__console"),
    ("GET", "/__console/static/console.js"),
    ("GET", "/__console/docs/"),
    ("GET", "/__console/docs/openapi.yaml"),
    ("GET", "/__console/docs/sandbox.yaml"),
    ("GET", "/__console/docs/swagger-ui/{swagger}/swagger-ui.css"),
    ("GET", "/"),
    ("GET", "/static/console.js"),
    ("GET", "/__proxy/requests"),
)
ROUTES = API_ROUTES + SANDBOX_ROUTES + OTHER_ROUTES
"""(method, path) of every route a request is drawn for: the API's, the control API's, the
console's and a few that are no route (``{swagger}`` is the Swagger UI version the console serves)."""

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "PROPFIND")
PARAMETERS = ("limit", "offset", "currency", "type", "path", "method", "status", "valid", "since", "grant_type",
              "scope")
FORM_FIELDS = ("grant_type", "scope", "client_id", "client_secret", "refresh_token", "code", "username")
CONTENT_TYPES = ("application/json", "application/x-www-form-urlencoded", "application/json; charset=utf-8",
                 "application/x-www-form-urlencoded; charset=latin-1", "text/plain", "multipart/form-data; boundary=b",
                 "application/merge-patch+json", "application/json; charset=utf-16", "APPLICATION/JSON", "")
HEADERS = ("Prefer", "Idempotency-Key", "Accept", "Accept-Encoding", "Range", "If-None-Match", "If-Modified-Since",
           "If-Range", "Origin", "Cookie", "Host", "X-Forwarded-For", "X-Forwarded-Proto", "Content-Encoding",
           "Expect", "User-Agent", "Authorization", "Cache-Control", "Transfer-Encoding", "X-Request-Id")
HEADER_VALUES = {
    "Prefer": ("code=400", "code=401", "code=403", "code=404", "code=405", "code=409", "code=429", "code=500",
               "code=503", "code=200", "code=201", "delay=1", "code=429, delay=2", "code=429;x", "dynamic=true",
               "code=99999999999999999999"),
    "Idempotency-Key": ("order-1234-deposit", "k" * 256, "a b", "é"),
    "Range": ("bytes=0-10", "bytes=-5", "bytes=100-", "bytes=5-1", "bytes=0-0,2-3", "bytes=99999999-"),
    "If-None-Match": ('"x"', "*", 'W/"x"'),
    "If-Modified-Since": ("Wed, 21 Oct 2015 07:28:00 GMT", "Sun, 06 Nov 2094 08:49:37 GMT", "yesterday"),
    "If-Range": ('"x"', "Wed, 21 Oct 2015 07:28:00 GMT"),
    "Host": ("localhost", "example.com:8080", "[::1]:80", "a b", "localhost:99999", ""),
    "Accept-Encoding": ("gzip", "br, gzip;q=0", "identity;q=0"),
    "Content-Encoding": ("gzip", "deflate", "br"),
    "X-Forwarded-Proto": ("https", "ftp"),
    "Expect": ("100-continue",),
    "Transfer-Encoding": ("chunked", "gzip, chunked"),
}
WORDS = (
    "client_credentials", "read", "write", "read write", "deposit", "withdrawal", "ETH", "BTC", "USDTERC20",
    "USDTTRC20", "LTC", "XRP", "default", "empty", "single-currency", "whale", "paging", "dust", "withdrawal-heavy",
    "100.000000", "0.5", "0.000001", "0", "-1", "1e3", "9999999999999.999999", "2025-02-01T00:00:00Z",
    "2025-01-15T09:30:00Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2025-02-30T00:00:00Z",
    "/user/balances/", "/user/balances/history/", "/o/token/", "GET", "POST", "HEAD", "true", "false", "null",
    "demo", "demo-read", "sandbox-0123456789ab", "balances-mock/ledger@1", "https://api.example.com", "",
)
KEYS = (
    "type", "currency", "amount", "timestamp", "balance_after", "advance", "set", "scenario", "seed", "entries",
    "scopes", "path", "method", "status", "times", "delay_ms", "retry_after", "error", "code", "message", "details",
    "error_description", "access_token", "token_type", "expires_in", "scope", "account", "sub_accounts", "statistics",
    "total_deposits", "total_withdrawals", "history", "total", "limit", "offset", "format", "currencies", "balances",
    "opening", "source", "recorded_from", "recorded_at", "partial", "balances_body", "name", "now",
)
TCHAR = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
"""What a method or a header name may be made of (RFC 9110 §5.6.2)."""


class Draw:
    """Values drawn from the fuzzer's bytes; when they run out, every draw is its smallest."""

    def __init__(self, data: bytes) -> None:
        self._fdp = atheris.FuzzedDataProvider(data)

    def number(self, low: int, high: int) -> int:
        return self._fdp.ConsumeIntInRange(low, high)

    def pick(self, options: Sequence[T]) -> T:
        return options[self.number(0, len(options) - 1)]

    def raw(self, most: int) -> bytes:
        return self._fdp.ConsumeBytes(self.number(0, most))

    def rest(self) -> bytes:
        return self._fdp.ConsumeBytes(self._fdp.remaining_bytes())

    def text(self, most: int) -> str:
        """Any characters, lone surrogates included."""
        return self._fdp.ConsumeUnicode(self.number(0, most))

    def latin1(self, most: int, refused: bytes = b"") -> str:
        """Bytes as a WSGI server hands them to an app (Latin-1 text), without ``refused``."""
        return self.raw(most).translate(None, refused).decode("latin-1")

    def token(self, most: int) -> str:
        """An RFC 9110 token (a method, a header name); at least one character."""
        drawn = bytes(TCHAR[byte % len(TCHAR)] for byte in self.raw(most))
        return (drawn or b"X").decode("ascii")

    def word(self) -> str:
        """A word the specs use, now and then anything."""
        return self.text(24) if self.number(0, 5) == 0 else self.pick(WORDS)

    def value(self, depth: int = 2) -> Any:
        """A JSON value of any type; containers down to ``depth``."""
        kind = self.number(0, 9 if depth > 0 else 7)
        if kind == 0:
            return None
        if kind == 1:
            return bool(self.number(0, 1))
        if kind == 2:
            return self.number(-2, 1000)
        if kind == 3:
            return self._fdp.ConsumeInt(self.number(1, 10))
        if kind == 4:
            return self._fdp.ConsumeFloat()
        if kind in (5, 6, 7):
            return self.word()
        if kind == 8:
            return [self.value(depth - 1) for _ in range(self.number(0, 3))]
        return {self.pick(KEYS) if self.number(0, 3) else self.text(8): self.value(depth - 1)
                for _ in range(self.number(0, 3))}

    def edited(self, document: Any, most: int = 4) -> Any:
        """``document`` with up to ``most`` edits: a value replaced, a key or an item added or
        removed, a string or a number nudged, each at a drawn place."""
        for _ in range(self.number(0, most)):
            document = self._edit(document, 0)
        return document

    def _edit(self, node: Any, depth: int) -> Any:
        if isinstance(node, dict) and node and depth < 6 and self.number(0, 2):
            key = self.pick(list(node))
            changed = self._edit(node[key], depth + 1)
            return {k: v for k, v in node.items() if k != key} if changed is _GONE else {**node, key: changed}
        if isinstance(node, list) and node and depth < 6 and self.number(0, 2):
            index = self.number(0, len(node) - 1)
            changed = self._edit(node[index], depth + 1)
            return node[:index] + node[index + 1:] if changed is _GONE else [*node[:index], changed, *node[index + 1:]]
        action = self.number(0, 4)
        if action == 1 and isinstance(node, dict):
            return {**node, self.pick(KEYS) if self.number(0, 3) else self.text(8): self.value()}
        if action == 1 and isinstance(node, list):
            return [*node, self.value()]
        if action == 2:
            return _GONE if depth else node
        if action == 3 and isinstance(node, str):
            return self._nudged(node)
        if action == 3 and isinstance(node, int) and not isinstance(node, bool):
            return node + self.number(-2, 2) * 10 ** self.number(0, 20)
        return self.value()

    def _nudged(self, text: str) -> str:
        place = self.number(0, len(text))
        how = self.number(0, 2)
        if how == 0:
            return text[:place] + self.text(4) + text[place:]
        if how == 1:
            return text[:place] + text[place + 1:]
        return text[:place] + self.pick(("0", "9", ".", "-", "Z", " ", "\x00", "\udcff", "\u0660")) + text[place + 1:]

    def json_bytes(self, document: Any) -> bytes:
        """The document as JSON, ASCII-escaped or as UTF-8 (a lone surrogate written as its bytes)."""
        if self.number(0, 1):
            return json.dumps(document).encode("ascii")
        return json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass")


_GONE = object()
"""An edit's answer for "remove this key or item"."""


@dataclass(frozen=True)
class HttpRequest:
    """A request as a WSGI server hands it to an app: the path percent-decoded and the query raw,
    both Latin-1 text; header values as they came (the server joins repeated ones)."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The value of ``name`` as the app reads it (repeated headers joined), or None."""
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return ", ".join(values) if values else None

    def environ(self) -> dict[str, Any]:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.method, "SCRIPT_NAME": "", "PATH_INFO": self.path, "QUERY_STRING": self.query,
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(self.body), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
            "wsgi.multiprocess": False, "wsgi.run_once": False,
        }
        if self.body:
            environ["CONTENT_LENGTH"] = str(len(self.body))
        for name in dict.fromkeys(key.lower() for key, _ in self.headers):
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = f"HTTP_{key}"
            environ[key] = self.header(name)
        return environ

    def __str__(self) -> str:
        query = f"?{self.query}" if self.query else ""
        headers = "".join(f"\n  {name}: {value!r}" for name, value in self.headers)
        return f"{self.method} {self.path!r}{query!r}{headers}\n  body ({len(self.body)} bytes): {self.body[:300]!r}"


def basic(client_id: str, secret: str) -> str:
    """An HTTP Basic ``Authorization`` value."""
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")


def draw_request(draw: Draw, routes: Sequence[tuple[str, str]], credentials: Sequence[str],
                 examples: Callable[[str, str], Sequence[Any]] = lambda method, path: ()) -> HttpRequest:
    """A request to one of ``routes``, mostly as its operation expects it, sometimes not at all:
    an ``Authorization`` from ``credentials`` (or drawn), a JSON body edited from one of
    ``examples(method, path)``, a form, or raw bytes."""
    method, path = draw.pick(routes)
    how = draw.number(0, 9)
    if how == 8:
        method = draw.pick(METHODS)
    elif how == 9:
        method = draw.token(12)
    how = draw.number(0, 9)
    if how == 7:
        path = path + draw.latin1(24)
    elif how == 8:
        path = path[:-1] if path.endswith("/") else path + "/"
    elif how == 9:
        path = "/" + draw.latin1(48)
    query = _query(draw)
    headers: list[tuple[str, str]] = []
    authorization = _authorization(draw, credentials)
    if authorization is not None:
        headers.append(("Authorization", authorization))
    body, content_type = _body(draw, method, path, examples)
    if content_type:
        headers.append(("Content-Type", content_type))
    for _ in range(draw.number(0, 3)):
        name = draw.pick(HEADERS) if draw.number(0, 4) else draw.token(16)
        known = HEADER_VALUES.get(name)
        value = draw.pick(known) if known and draw.number(0, 3) else draw.latin1(40, _NOT_IN_A_FIELD)
        headers.append((name, value))
    return HttpRequest(method, path, query, tuple(headers), body)


_NOT_IN_A_FIELD = bytes([*range(0x09), *range(0x0A, 0x20), 0x7F])
"""Control characters a server refuses in a header value (RFC 9110 §5.5: HTAB is allowed)."""
_NOT_IN_A_QUERY = bytes([*range(0x21), 0x7F, ord("#")])
"""What ends a request target, or cannot be in one."""


def _query(draw: Draw) -> str:
    how = draw.number(0, 3)
    if how == 0:
        return ""
    if how == 2:
        return draw.latin1(64, _NOT_IN_A_QUERY)
    pairs = []
    for _ in range(draw.number(1, 4)):
        name = draw.pick(PARAMETERS) if draw.number(0, 4) else draw.text(8)
        value = draw.word() if draw.number(0, 2) else str(draw.value(0))
        if how == 1:
            pairs.append(f"{_quoted(name)}={_quoted(value)}")
        else:  # not escaped: whatever bytes the characters are
            pairs.append(f"{name}={value}".encode("utf-8", "surrogatepass").decode("latin-1"))
    return "&".join(pairs).translate({byte: None for byte in _NOT_IN_A_QUERY})


def _quoted(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _authorization(draw: Draw, credentials: Sequence[str]) -> str | None:
    which = draw.number(0, len(credentials) + 2)
    if which < len(credentials):
        return credentials[which]
    if which == len(credentials):
        return None
    if which == len(credentials) + 1:
        return draw.pick(("Bearer ", "Basic ", "bearer ", "BEARER  ", "Bearer a.b.c ")) + draw.latin1(64,
                                                                                                     _NOT_IN_A_FIELD)
    return draw.latin1(80, _NOT_IN_A_FIELD)


def _body(draw: Draw, method: str, path: str, examples: Callable[[str, str], Sequence[Any]]) -> tuple[bytes, str]:
    """A body and its Content-Type: none, JSON edited from an example, a form, raw bytes, or a large one."""
    how = draw.number(0, 5)
    if how == 0:
        return b"", draw.pick(CONTENT_TYPES) if draw.number(0, 3) == 0 else ""
    content_type = draw.pick(CONTENT_TYPES) if draw.number(0, 3) == 0 else ""
    if how in (1, 2):
        known = examples(method, path)
        document = draw.pick(known) if known else draw.value()
        return draw.json_bytes(draw.edited(document)), content_type or "application/json"
    if how == 3:
        pairs = [("grant_type", "client_credentials")] if draw.number(0, 3) else []
        for _ in range(draw.number(0, 3)):
            pairs.append((draw.pick(FORM_FIELDS) if draw.number(0, 3) else draw.text(8), draw.word()))
        form = "&".join(f"{_quoted(name)}={_quoted(value)}" for name, value in pairs)
        return form.encode("ascii"), content_type or "application/x-www-form-urlencoded"
    if how == 4:
        return draw.rest(), content_type or draw.pick(CONTENT_TYPES)
    return draw.raw(16) * draw.number(1, 80_000), content_type or draw.pick(CONTENT_TYPES)


def request_examples(*specs: Mapping[str, Any]) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(method, path) -> the request bodies the specs give as examples."""
    found: dict[tuple[str, str], tuple[Any, ...]] = {}
    for spec in specs:
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                content = operation.get("requestBody", {}).get("content", {}) if isinstance(operation, dict) else {}
                values = tuple(example["value"] for media in content.values()
                               for example in media.get("examples", {}).values())
                if values:
                    found[(method.upper(), path)] = values
    return found
