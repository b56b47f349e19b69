"""The contract's verdict on one exchange the proxy passed on: the request the client sent,
and the answer the upstream gave, each against the spec.

The request is held to what the documentation asks of a client (path, method, the auth
header's shape, parameter types, the token form), without refusing anything. The answer is held
to what the contract suite checks of a single response: the documented status, headers and
fields (``contract_tests.conformance``), the error envelope, and the page rules that need no
second request (``contract_tests.checks``). Every rule is the suite's (``contract_tests.rules``,
one catalogue): a rule resting on a decision of the spec is **drift**, kept and counted apart
from breaks. A decision about what the server answers (a 301 for a missing slash, HEAD and
OPTIONS, how an out-of-range or empty parameter is refused) never makes the client's request a
violation; an answer that takes it another way is drift.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl

from contract_tests import checks, rules
from contract_tests.checks import ContractViolation
from contract_tests.conformance import Contract
from contract_tests.rules import Rule
from mock_server.spec import API_SPEC, spec_path
from mock_server.twin.auth import basic_credentials
from mock_server.twin.decoding import FORM
from mock_server.twin.methods import served_methods
from mock_server.twin.validation import RequestInvalid, SpecValidator

TOKEN_PATH = "/o/token/"
HISTORY_PATH = "/user/balances/history/"
INTEGERS = ("limit", "offset")
"""The parameters the documentation types as integers: a client that sends another value breaks it."""

KNOWN_PATH, KNOWN_METHOD, BEARER = rules.KNOWN_PATH, rules.KNOWN_METHOD, rules.BEARER_REQUEST
TOKEN_REQUEST, PARAMETERS, REFUSED_NOT_ANSWERED = rules.TOKEN_REQUEST, rules.PARAMETERS, rules.REFUSED_NOT_ANSWERED
UNDOCUMENTED_STATUS = rules.UNDOCUMENTED_STATUS


@dataclass(frozen=True)
class Violation:
    """One broken rule of one exchange: on which side, which rule, expected and got. A rule
    resting on a decision makes it drift (``kind``), kept apart from breaks."""

    side: str
    rule: Rule
    expected: str
    got: str

    @property
    def kind(self) -> str:
        return self.rule.kind

    def as_error(self) -> dict[str, Any]:
        """As the journal keeps violations: the API's error object (``response_drift`` for drift)."""
        suffix = "drift" if self.kind == rules.DRIFT else "violation"
        return {"code": f"{self.side}_{suffix}", "message": self.rule.text,
                "details": {"basis": self.rule.source, "expected": self.expected, "got": self.got}}

    def line(self, reproduce: str) -> str:
        """The log line: rule, expected, got, and a curl that repeats the request."""
        what = "contract drift" if self.kind == rules.DRIFT else "contract violation"
        return (f"{what} ({self.side}): {self.rule.text} [{self.rule.source}]; expected {self.expected}; "
                f"got {self.got}; reproduce: {reproduce}")


@dataclass(frozen=True)
class Answer:
    """An upstream answer, shaped as the contract suite's checks read a response: its body the
    bytes the proxy read, parsed once for every check that reads it."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes
    request: None = None

    def json(self) -> Any:
        return self._document

    @cached_property
    def _document(self) -> Any:
        """The body parsed (not kept when it is not JSON: each reader then gets the ValueError)."""
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


class ProxyJudge:
    """Judges exchanges against one spec. Built once; every worker uses it."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.contract = Contract(spec)
        self._validator = SpecValidator(spec, base_uri=spec_path(API_SPEC).as_uri())
        self._methods = {path: {m.upper() for m in item if m != "parameters"} for path, item in spec["paths"].items()}
        # What a Django view with those methods serves (the spec's head-like-get and options-metadata).
        self._served = {path: set(served_methods(*methods)) for path, methods in self._methods.items()}

    def documented(self, method: str, path: str, status: int) -> bool:
        """Whether the spec documents this answer."""
        return self.contract.documented(method, path, status) is not None

    def checks(self, method: str, path: str, status: int) -> bool:
        """Whether the proxy reads this answer to check it: a documented one, and every error
        (the envelope holds on every path); anything else streams on unread."""
        return status >= 400 or self.documented(method, path, status)

    # -- the request ---------------------------------------------------------------------------

    def request(self, method: str, path: str, query: bytes, headers: Mapping[str, str], body: bytes | None
                ) -> list[Violation]:
        methods = self._served.get(path)
        if methods is None:
            if path + "/" in self._methods:
                return []  # the server decides (a 301, spec decision trailing-slash); the client broke nothing
            return [Violation("request", KNOWN_PATH, "one of " + ", ".join(sorted(self._methods)), path)]
        if method not in methods:
            return [Violation("request", KNOWN_METHOD, " or ".join(sorted(methods)), method)]
        if method == "OPTIONS":
            return []  # metadata: no parameter is read (spec decision options-metadata)
        found = []
        authorization = headers.get("authorization", "")
        if path == TOKEN_PATH:
            found += self._token_request(headers, body, authorization)
        elif not (authorization[:7].lower() == "bearer " and authorization[7:].strip()):
            got = authorization.split(" ", 1)[0] + " ..." if authorization else "no Authorization header"
            found.append(Violation("request", BEARER, "Authorization: Bearer <token>", got))
        sent, refused = _sent(query), self._refused_parameters(path, method, query)
        found += [Violation("request", PARAMETERS, f"`{name}` an integer, as the documentation types it",
                            "; ".join(reasons)) for name, reasons in refused.items()
                  if name in INTEGERS and _integer(sent.get(name)) is None]
        return found

    def _refused_parameters(self, path: str, method: str, query: bytes) -> dict[str, list[str]]:
        """Each parameter the spec refuses, with its reasons (HEAD reads them as GET does)."""
        try:
            self._validator.query(path, "GET" if method == "HEAD" else method, query)
        except RequestInvalid as invalid:
            return {name: list(reasons) for name, reasons in invalid.details.items()}
        return {}

    def _decided_refusals(self, method: str, path: str, query: bytes) -> list[tuple[Rule, str]]:
        """The parameters the spec's decisions refuse (with 400), each with the decision's rule:
        an empty filter, a ``limit`` above 100, anything else out of range or malformed."""
        if method not in ("GET", "HEAD") or "GET" not in self._methods.get(path, ()):
            return []
        sent = _sent(query)
        found = []
        for name in self._refused_parameters(path, method, query):
            value = sent.get(name, "")
            number = _integer(value)
            rule = (rules.EMPTY_FILTER_REFUSED if value == "" and name in ("currency", "type")
                    else rules.LIMIT_RANGE if name == "limit" and number is not None and number > 100
                    else rules.BAD_PARAMETER_REFUSED)
            found.append((rule, f"{name}={value}"))
        return found

    def _token_request(self, headers: Mapping[str, str], body: bytes | None, authorization: str) -> list[Violation]:
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if body is None:
            return []  # too large to read: passed on unread
        try:
            form = self._validator.form(TOKEN_PATH, "post", content_type, body)
        except RequestInvalid as invalid:
            reasons = "; ".join(reason for reasons in invalid.details.values() for reason in reasons)
            return [Violation("request", TOKEN_REQUEST, f"a {FORM} body with grant_type=client_credentials", reasons)]
        if basic_credentials(authorization) is None and not (form.get("client_id") and form.get("client_secret")):
            return [Violation("request", TOKEN_REQUEST, "HTTP Basic, or client_id and client_secret in the form",
                              "neither")]
        return []

    # -- the answer ------------------------------------------------------------------------------

    def answer(self, method: str, path: str, query: bytes, refused: list[Violation], answer: Answer
               ) -> list[Violation]:
        """What in the upstream's answer breaks the contract; ``refused``: the request's own."""
        found = []
        status = answer.status_code
        decided = self._decided_refusals(method, path, query)
        if (refused or decided) and status >= 500:
            why = refused[0].rule.text if refused else decided[0][0].text
            found.append(Violation("response", rules.NO_SERVER_ERROR, "a 4xx refusal",
                                   f"{status}, for a request that breaks: {why}"))
        found += self._decided_answers(method, path, status, answer)
        breaking = [violation for violation in refused if violation.rule is not PARAMETERS]
        if breaking and 200 <= status < 300:
            found.append(Violation("response", REFUSED_NOT_ANSWERED, "a 4xx refusal",
                                   f"{status}, for a request that breaks: {breaking[0].rule.text}"))
        elif decided and 200 <= status < 300:  # the server took the decision another way: drift
            rule, sent = decided[0]
            found.append(Violation("response", rule, "400 (the spec's decision)", f"{status} for {sent}"))
        if method in self._methods.get(path, ()) and not self.documented(method, path, status):
            found.append(Violation("response", UNDOCUMENTED_STATUS, "a status the spec documents for the operation",
                                   str(status)))
        problems = self.contract.problems(method, path, status, answer.headers, answer.json)
        found += [Violation("response", rules.judged_by(item.part, item.basis), f"{item.part} as documented",
                            f"{item.key}: {problem}")
                  for item, problem in problems.items()]
        if method == "HEAD":
            return found  # no body to hold to anything (RFC 9110 §9.3.2)
        if status == 404 and path not in self._methods and path + "/" not in self._methods:
            found += _caught(lambda: checks.unknown_path_answer(answer, path, method))  # its envelope is decided
        else:
            found += _caught(lambda: checks.error_body_is_the_envelope(answer, path, method))
        if path == HISTORY_PATH and status == 200 and not refused and not decided and method == "GET":
            found += self._page(answer, query)
        return found

    def _decided_answers(self, method: str, path: str, status: int, answer: Answer) -> list[Violation]:
        """An answer that takes one of the spec's decisions about methods and paths another way
        (drift), and an ``Allow`` that lists the very method it refused (a break)."""
        found = []
        if path not in self._methods and path + "/" in self._methods and status != 301:
            found.append(Violation("response", rules.TRAILING_SLASH, f"301 to {path}/", str(status)))
        if path in self._methods and status == 405 and method in ("HEAD", "OPTIONS") and method in self._served[path]:
            rule = rules.HEAD_LIKE_GET if method == "HEAD" else rules.OPTIONS_METADATA
            found.append(Violation("response", rule, "served (200)", "405"))
        allowed = {m.strip().upper() for m in str(answer.headers.get("allow") or answer.headers.get("Allow") or "")
                   .split(",") if m.strip()}
        if status == 405 and method in allowed:
            found.append(Violation("response", rules.ALLOW_IS_TRUE, f"an Allow without {method}, which was refused",
                                   f"Allow: {', '.join(sorted(allowed))}"))
        return found

    def _page(self, answer: Answer, query: bytes) -> list[Violation]:
        """The page rules one answer can show: echoed paging, size, newest first, filters."""
        try:
            page = answer.json()
            entries = page["history"]
            params = self._validator.query("/user/balances/history/", "get", query)
            limit, offset = int(params["limit"]), int(params["offset"])
            stamps_ok = all(type(e) is dict and type(e.get("timestamp")) is str for e in entries)  # parsed JSON
        except (ValueError, KeyError, TypeError, RequestInvalid):
            return []  # a malformed page: the conformance check reports it
        filters = {name: params[name] for name in ("currency", "type") if name in params}
        found = _caught(lambda: checks.page_echoes_paging(answer, page, limit, offset))
        found += _caught(lambda: checks.page_size_is_bounded(answer, page, limit, offset))
        if stamps_ok:
            found += _caught(lambda: checks.newest_first(answer, entries))
            found += _caught(lambda: checks.entries_match_filters(answer, entries, filters))
        return found



def _sent(query: bytes) -> dict[str, str]:
    """The query's parameters, the last value of a repeated one counting (as Django reads it)."""
    return dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True))


def _integer(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _caught(check: Callable[[], None]) -> list[Violation]:
    """A check of the contract suite, its violation (if any) as the proxy's."""
    try:
        check()
    except ContractViolation as violation:
        return [Violation("response", violation.rule, str(violation.expected), str(violation.got))]
    return []
