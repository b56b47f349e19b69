"""The contract's verdict on one exchange the proxy passed on: the request the client sent,
and the answer the upstream gave, each against the spec.

The request is held to the spec as the mock would hold it (path, method, the auth header's
shape, parameters, the token form), without refusing anything. The answer is held to what the
contract suite checks of a single response: the documented status, headers and fields
(``contract_tests.conformance``), the error envelope, and the page rules that need no second
request (``contract_tests.checks``). One place each: the proxy writes no rule of its own but
the two that join a request to its answer (a refused request must not be answered 2xx, and no
request is answered 5xx).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from contract_tests import checks, rules
from contract_tests.checks import ContractViolation
from contract_tests.conformance import Contract
from contract_tests.rules import Rule
from mock_server.spec import API_SPEC, spec_path
from mock_server.twin.auth import basic_credentials
from mock_server.twin.decoding import FORM
from mock_server.twin.validation import RequestInvalid, SpecValidator

TOKEN_PATH = "/o/token/"


KNOWN_PATH = Rule("a request goes to one of the API's paths", "docs")
KNOWN_METHOD = Rule("a request uses a method its path has", "RFC 9110 §15.5.6")
BEARER = Rule("a resource request carries a Bearer token", "RFC 6750 §2.1")
TOKEN_REQUEST = Rule("a token request is a client-credentials request with client authentication", "RFC 6749 §4.4")
PARAMETERS = Rule("parameters are as the spec allows", "spec")
REFUSED_NOT_ANSWERED = Rule("a request the contract refuses is not answered 2xx", "docs")
UNDOCUMENTED_STATUS = rules.UNDOCUMENTED_STATUS
@dataclass(frozen=True)
class Violation:
    """One broken rule of one exchange: on which side, which rule, expected and got."""

    side: str
    rule: Rule
    expected: str
    got: str

    def as_error(self) -> dict[str, Any]:
        """As the journal keeps violations: the API's error object."""
        return {"code": f"{self.side}_violation", "message": self.rule.text,
                "details": {"basis": self.rule.source, "expected": self.expected, "got": self.got}}

    def line(self, reproduce: str) -> str:
        """The log line: rule, expected, got, and a curl that repeats the request."""
        return (f"contract violation ({self.side}): {self.rule.text} [{self.rule.source}]; expected {self.expected}; "
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
        methods = self._methods.get(path)
        if methods is None:
            slashed = self._methods.get(path + "/")
            rule = rules.TRAILING_SLASH if slashed is not None else KNOWN_PATH
            return [Violation("request", rule, "one of " + ", ".join(sorted(self._methods)), path)]
        if method not in methods:
            rule = rules.HEAD_AND_OPTIONS if method in ("HEAD", "OPTIONS") else KNOWN_METHOD
            return [Violation("request", rule, " or ".join(sorted(methods)), method)]
        found = []
        authorization = headers.get("authorization", "")
        if path == TOKEN_PATH:
            found += self._token_request(headers, body, authorization)
        elif not (authorization[:7].lower() == "bearer " and authorization[7:].strip()):
            got = authorization.split(" ", 1)[0] + " ..." if authorization else "no Authorization header"
            found.append(Violation("request", BEARER, "Authorization: Bearer <token>", got))
        try:
            self._validator.query(path, method, query)
        except RequestInvalid as invalid:
            found += [Violation("request", PARAMETERS, f"`{name}` as the spec allows", "; ".join(reasons))
                      for name, reasons in invalid.details.items()]
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
        if refused and status >= 500:
            found.append(Violation("response", rules.NO_SERVER_ERROR, "a 4xx refusal",
                                   f"{status}, for a request that breaks: {refused[0].rule.text}"))
        if refused and 200 <= status < 300:
            found.append(Violation("response", REFUSED_NOT_ANSWERED, "a 4xx refusal",
                                   f"{status}, for a request that breaks: {refused[0].rule.text}"))
        if method in self._methods.get(path, ()) and not self.documented(method, path, status):
            found.append(Violation("response", UNDOCUMENTED_STATUS, "a status the spec documents for the operation",
                                   str(status)))
        problems = self.contract.problems(method, path, status, answer.headers, answer.json)
        found += [Violation("response", rules.judged_by(item.part, item.basis), f"{item.part} as documented",
                            f"{item.key}: {problem}")
                  for item, problem in problems.items()]
        if method == "HEAD":
            return found  # no body to hold to anything (RFC 9110 §9.3.2)
        found += _caught(lambda: checks.error_body_is_the_envelope(answer, path, method))
        if path == "/user/balances/history/" and status == 200 and not refused:
            found += self._page(answer, query)
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


def _caught(check: Callable[[], None]) -> list[Violation]:
    """A check of the contract suite, its violation (if any) as the proxy's."""
    try:
        check()
    except ContractViolation as violation:
        return [Violation("response", violation.rule, str(violation.expected), str(violation.got))]
    return []
