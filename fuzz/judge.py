"""The proxy's judge (``mock_server.proxy.judge``) on exchanges it never saw: a request drawn as
for the app, and an upstream's answer drawn from what the spec documents (a documented status,
its headers, its example body edited) or from raw bytes.

The property: the judge never raises, whatever a client or an upstream sends, and what it says
can be said: each violation becomes the proxy's log line (with its curl, secrets redacted) and
its journal entry, as ``mock_server/proxy/forwarder.py`` makes them. An exception there would
be a 500 from the proxy instead of the upstream's answer.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from contract_tests import redaction
from contract_tests.reproduce import curl_command
from fuzz.exchange import ROUTES, Draw, HttpRequest, basic, draw_request, request_examples
from mock_server.journal.journal import Entries
from mock_server.proxy.judge import Answer, ProxyJudge
from mock_server.spec import API_SPEC, documented_responses, load_spec

UPSTREAM = "https://api.example.com"
CREDENTIALS = ("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJl", basic("demo", "demo-secret"),
               "Bearer ", "Basic Og==")
CONTENT_TYPES = ("application/json", "application/json; charset=utf-8", "text/html; charset=utf-8",
                 "application/problem+json", "", "application/json;charset=latin-1")


class Violation(AssertionError):
    """The judge, or what the proxy does with its verdict, failed on one exchange."""


class JudgeTarget:
    def __init__(self) -> None:
        spec = load_spec(API_SPEC)
        self.judge = ProxyJudge(spec)
        self.documented = {(path, method.upper()): statuses for (path, method), statuses
                           in documented_responses(spec).items()}
        self.examples = request_examples(spec)
        self.any_example = [example for statuses in self.documented.values() for answer in statuses.values()
                            for _, example in answer.examples]

    def check(self, data: bytes) -> None:
        draw = Draw(data)
        request = draw_request(draw, ROUTES, CREDENTIALS, lambda method, path: self.examples.get((method, path), ()))
        body: bytes | None = None if draw.number(0, 15) == 0 else request.body  # None: too large to read
        answer = self._answer(draw, request)
        try:
            self._judged(request, body, answer)
        except Exception as error:
            raise Violation(f"{type(error).__name__}: {error}\nrequest: {request}\nanswer: {answer.status_code} "
                            f"{answer.headers!r} {answer.content[:500]!r}") from error

    def _judged(self, request: HttpRequest, body: bytes | None, answer: Answer) -> None:
        """What the forwarder does with one exchange, as far as the judge's verdict goes."""
        method, path, query = request.method, request.path, request.query.encode("latin-1")
        headers = {name.lower(): value for name, value in request.headers}
        refused = self.judge.request(method, path, query, headers, body)
        violations = list(refused)
        if self.judge.checks(method, path, answer.status_code):
            violations += self.judge.answer(method, path, query, refused, answer)
        reproduce = curl_command(method, f"{UPSTREAM}{path}", request.headers, body)
        for violation in violations:
            redaction.text(violation.line(reproduce))
        Entries().kind((method, path, request.query, 0, (), body, answer.status_code, tuple(answer.headers.items()),
                        tuple(violation.as_error() for violation in violations)))

    def _answer(self, draw: Draw, request: HttpRequest) -> Answer:
        documented = self.documented.get((request.path, request.method), {})
        status = draw.pick(sorted(documented)) if documented and draw.number(0, 4) else draw.number(100, 599)
        answer = documented.get(status)
        headers: dict[str, str] = {}
        content_type = draw.pick(CONTENT_TYPES) if draw.number(0, 4) == 0 else "application/json"
        if content_type:
            headers["content-type"] = content_type
        if answer is not None:
            for name, value in answer.headers.items():
                if draw.number(0, 3):
                    headers[name.lower()] = value if draw.number(0, 2) else _header_value(draw)
        for _ in range(draw.number(0, 2)):
            headers[draw.token(16).lower()] = _header_value(draw)
        how = draw.number(0, 3)
        if how < 3:
            examples: list[Any] = [example for _, example in answer.examples] if answer is not None else []
            document = draw.pick(examples or self.any_example)
            content = draw.json_bytes(draw.edited(document, 6))
        else:
            content = draw.rest()
        return Answer(status, headers, content)


def _header_value(draw: Draw) -> str:
    """A header value as httpx reads it: ASCII, else UTF-8, else Latin-1."""
    raw = draw.raw(40)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


@cache
def target() -> JudgeTarget:
    return JudgeTarget()


def check(data: bytes) -> None:
    """The judge's property for the exchange ``data`` draws; raises ``Violation`` if it breaks."""
    target().check(data)
