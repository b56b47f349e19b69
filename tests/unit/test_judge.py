"""The proxy's verdict on one exchange, without a network: what in a request and in its answer
breaks the contract, by the same rules the contract suite checks."""

from __future__ import annotations

import gzip
import json

import pytest

from contract_tests import rules
from mock_server.proxy.forwarder import _decoded
from mock_server.proxy.judge import (
    BEARER,
    KNOWN_METHOD,
    KNOWN_PATH,
    PARAMETERS,
    REFUSED_NOT_ANSWERED,
    TOKEN_REQUEST,
    Answer,
    ProxyJudge,
)
from mock_server.spec import load_spec

HISTORY = "/user/balances/history/"
BEARER_HEADERS = {"authorization": "Bearer abc.def.ghi"}
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def judge() -> ProxyJudge:
    return ProxyJudge(load_spec())


def rules_of(violations) -> list[str]:
    return [violation.rule.text for violation in violations]


# -- requests --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path", "headers", "query", "broken"), [
    ("GET", HISTORY, BEARER_HEADERS, b"limit=10", []),
    ("GET", "/user/balances/nope/", BEARER_HEADERS, b"", [KNOWN_PATH]),
    ("GET", "/user/balances", BEARER_HEADERS, b"", []),  # the server decides (301); the client broke nothing
    ("DELETE", HISTORY, BEARER_HEADERS, b"", [KNOWN_METHOD]),
    ("HEAD", HISTORY, BEARER_HEADERS, b"", []),
    ("OPTIONS", HISTORY, BEARER_HEADERS, b"limit=abc", []),
    ("GET", HISTORY, {}, b"", [BEARER]),
    ("GET", HISTORY, {"authorization": "Basic ZGVtbzp4"}, b"", [BEARER]),
    ("GET", HISTORY, BEARER_HEADERS, b"limit=abc&offset=x", [PARAMETERS, PARAMETERS]),
    ("GET", HISTORY, BEARER_HEADERS, b"limit=500&offset=-1&currency=", []),  # decided refusals: the server's
], ids=["valid", "unknown-path", "no-slash", "wrong-method", "head", "options", "no-token", "basic-on-a-resource",
        "not-integers", "decided-refusals"])
def test_requests_are_held_to_the_spec(judge, method, path, headers, query, broken):
    assert rules_of(judge.request(method, path, query, headers, b"")) == [rule.text for rule in broken]


@pytest.mark.parametrize(("headers", "body", "broken"), [
    ({"authorization": "Basic ZGVtbzpkZW1vLXNlY3JldA==", "content-type": "application/x-www-form-urlencoded"},
     b"grant_type=client_credentials", False),
    ({"content-type": "application/x-www-form-urlencoded"},
     b"grant_type=client_credentials&client_id=demo&client_secret=s", False),
    ({"content-type": "application/x-www-form-urlencoded"}, b"grant_type=client_credentials", True),
    ({"authorization": "Basic ZGVtbzpkZW1vLXNlY3JldA==", "content-type": "application/x-www-form-urlencoded"},
     b"grant_type=password", True),
    ({"authorization": "Basic ZGVtbzpkZW1vLXNlY3JldA==", "content-type": "application/json"},
     b'{"grant_type": "client_credentials"}', True),
], ids=["basic", "secret-in-form", "no-client-authentication", "password-grant", "json-body"])
def test_token_requests_are_client_credentials_requests(judge, headers, body, broken):
    found = rules_of(judge.request("POST", "/o/token/", b"", headers, body))
    assert found == ([TOKEN_REQUEST.text] if broken else [])


def test_a_body_too_large_to_read_is_not_judged(judge):
    assert judge.request("POST", "/o/token/", b"", {}, None) == []


# -- answers -------------------------------------------------------------------------------------

def page(**changes) -> bytes:
    entries = [{"timestamp": f"2025-01-1{9 - i}T09:30:00Z", "currency": "ETH", "type": "deposit",
                "amount": "1.000000", "balance_after": f"{9 - i}.000000"} for i in range(3)]
    body = {"history": entries, "total": 3, "limit": 20, "offset": 0}
    body.update(changes)
    return json.dumps(body).encode()


def answer(judge, content: bytes, query: bytes = b"", status: int = 200, refused=(), headers=JSON,
           path: str = HISTORY, method: str = "GET"):
    return rules_of(judge.answer(method, path, query, list(refused), Answer(status, headers, content)))


def test_a_page_as_documented_breaks_nothing(judge):
    assert answer(judge, page()) == []


def test_the_page_rules_one_answer_can_show(judge):
    assert answer(judge, page(limit=10)) == [rules.ECHOES_PAGING.text]
    assert answer(judge, page(total=30)) == [rules.FULL_BUT_AT_THE_END.text]
    body = json.loads(page())
    body["history"].reverse()
    assert answer(judge, json.dumps(body).encode()) == [rules.NEWEST_FIRST.text]
    assert answer(judge, page(), query=b"currency=USDTERC20") == [rules.FILTER_EXACT.text]


def test_what_the_spec_documents_of_an_answer(judge):
    body = json.loads(page())
    body["history"][0]["amount"] = "1.00"
    assert answer(judge, json.dumps(body).encode()) == [rules.CONFORMS.text]
    assert answer(judge, b"<h1>404</h1>", status=404, headers={"content-type": "text/html"},
                  path="/nope/") == [rules.UNKNOWN_PATH_ENVELOPE.text]  # Django's own 404 page: drift
    assert answer(judge, b'{"error": "x"}', status=418) == [rules.UNDOCUMENTED_STATUS.text,
                                                              rules.ERRORS_USE_THE_ENVELOPE.text]


def test_a_refused_request_must_be_refused(judge):
    refused = judge.request("GET", HISTORY, b"", {}, b"")
    assert answer(judge, page(), refused=refused) == [REFUSED_NOT_ANSWERED.text]
    envelope = b'{"error": {"code": "server_error", "message": "boom", "details": {}}}'
    assert answer(judge, envelope, status=500, refused=refused) == [rules.NO_SERVER_ERROR.text]
    assert answer(judge, envelope, status=500) == []  # a documented 500 to a valid request is no break


def test_violations_read_as_log_lines_and_journal_errors(judge):
    violation = judge.request("GET", HISTORY, b"limit=x", BEARER_HEADERS, b"")[0]
    line = violation.line("curl -X GET 'http://upstream/user/balances/history/?limit=x'")
    assert line.startswith("contract violation (request): parameters are as the documentation allows [docs]; "
                           "expected `limit` an integer, as the documentation types it; got ")
    assert line.endswith("reproduce: curl -X GET 'http://upstream/user/balances/history/?limit=x'")
    error = violation.as_error()
    assert error["code"] == "request_violation" and error["details"]["basis"] == "docs"


@pytest.mark.parametrize(("query", "rule"), [(b"currency=", rules.EMPTY_FILTER_REFUSED),
                                             (b"limit=500", rules.LIMIT_RANGE),
                                             (b"offset=-1", rules.BAD_PARAMETER_REFUSED),
                                             (b"limit=abc", rules.BAD_PARAMETER_REFUSED)])
def test_an_answer_that_takes_a_decision_another_way_is_drift_never_a_break(judge, query, rule):
    """Issue 28: a 200 to an empty filter (the spec decides 400) is drift, logged as such."""
    refused = judge.request("GET", HISTORY, query, BEARER_HEADERS, b"")
    found = judge.answer("GET", HISTORY, query, refused, Answer(200, JSON, page()))
    assert [v.rule for v in found] == [rule] and all(v.kind == rules.DRIFT for v in found)
    assert found[0].line("curl").startswith("contract drift (response): ")
    assert found[0].as_error()["code"] == "response_drift"


@pytest.mark.parametrize(("method", "path", "status", "headers", "rule"), [
    ("HEAD", HISTORY, 405, {**JSON, "allow": "GET"}, rules.HEAD_LIKE_GET),
    ("OPTIONS", HISTORY, 405, {**JSON, "allow": "GET"}, rules.OPTIONS_METADATA),
    ("GET", "/user/balances", 404, JSON, rules.TRAILING_SLASH),
])
def test_the_old_answers_to_methods_and_slashes_are_drift(judge, method, path, status, headers, rule):
    body = b'{"error": {"code": "x", "message": "m", "details": {}}}'
    found = judge.answer(method, path, b"", judge.request(method, path, b"", BEARER_HEADERS, b""),
                         Answer(status, headers, body))
    assert [v.rule for v in found] == [rule] and found[0].kind == rules.DRIFT


def test_an_allow_that_lists_the_refused_method_is_a_break(judge):
    body = b'{"error": {"code": "x", "message": "m", "details": {}}}'
    found = judge.answer("HEAD", HISTORY, b"", [], Answer(405, {**JSON, "allow": "GET, HEAD, OPTIONS"}, body))
    assert rules.ALLOW_IS_TRUE in [v.rule for v in found]
    assert all(v.kind == rules.BREAK for v in found if v.rule is rules.ALLOW_IS_TRUE)


def test_a_case_insensitive_filter_is_drift(judge):
    found = judge.answer("GET", HISTORY, b"currency=eth", [], Answer(200, JSON, page()))
    assert [v.rule for v in found] == [rules.FILTERS_CASE_SENSITIVE]


def test_a_compressed_answer_is_checked_decompressed_and_an_unknown_encoding_is_not_checked():
    assert _decoded(gzip.compress(b"{}"), "gzip") == b"{}"
    assert _decoded(b"{}", None) == b"{}"
    assert _decoded(b"\x00", "br") is None
    assert _decoded(b"not gzip", "gzip") is None


def test_a_head_answer_has_no_body_to_hold_to_the_envelope(judge):
    challenge = {**JSON, "www-authenticate": 'Bearer realm="api"'}
    assert answer(judge, b"", status=401, method="HEAD", headers=challenge) == []


def test_a_reproduction_never_shows_a_secret():
    from contract_tests.reproduce import curl_command

    command = curl_command("POST", "http://upstream/o/token/", [
        ("Authorization", "Basic ZGVtbzpkZW1vLXNlY3JldA=="), ("Cookie", "session=abc"), ("X-API-Key", "k-123"),
        ("X-Refresh-Token", "t-456"), ("Accept", "application/json")], "grant_type=client_credentials&client_secret=s3")
    for secret in ("ZGVtbzpkZW1vLXNlY3JldA==", "session=abc", "k-123", "t-456", "s3"):
        assert secret not in command
    assert "Authorization: Basic [REDACTED]" in command and "Accept: application/json" in command
