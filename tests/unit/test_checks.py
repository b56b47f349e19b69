"""Each check of the contract suite on its own, without a server: the answers it lets pass, the
rule each broken answer breaks, and what its message says was expected and came back.

These are the tests ``python -m benchmarks.mutation`` runs against mutants of the checks: a
check that still passes these tests when changed is a check whose change no user would notice.
"""

from __future__ import annotations

import json
from itertools import pairwise
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict

from contract_tests import checks, rules
from contract_tests.checks import ContractViolation
from contract_tests.conformance import Item

URL = "https://api.test/user/balances/history/?limit=2"
HISTORY = "/user/balances/history/"
TOKEN = "/o/token/"
REPRODUCE = f"curl -X GET -H 'Authorization: Bearer [REDACTED]' '{URL}'"


def answer(status: int = 200, body: Any = None, headers: dict[str, str] | None = None,
           content_type: str | None = "application/json") -> requests.Response:
    """A response as the suite's client gets it, to a GET of ``URL`` with a bearer token."""
    response = requests.Response()
    response.status_code = status
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response.headers = CaseInsensitiveDict({**({"Content-Type": content_type} if content_type else {}),
                                            **(headers or {})})
    response.request = requests.Request("GET", URL, headers={"Authorization": "Bearer eyJsecret"}).prepare()
    return response


def broken(rule: rules.Rule, check: Any, *args: Any) -> ContractViolation:
    """The violation ``check(*args)`` raises; it must be of ``rule`` and say how to reproduce the
    answer it judged (every answer here is to a GET of ``URL``)."""
    with pytest.raises(ContractViolation) as caught:
        check(*args)
    assert caught.value.rule is rule, f"broke {caught.value.rule.text!r}, not {rule.text!r}"
    assert caught.value.reproduce == REPRODUCE, caught.value.reproduce
    return caught.value


def entry(timestamp: str = "2025-01-15T09:30:00Z", currency: str = "ETH", type: str = "deposit",
          amount: str = "1.000000", balance_after: str = "1.000000") -> dict[str, str]:
    return {"timestamp": timestamp, "currency": currency, "type": type, "amount": amount,
            "balance_after": balance_after}


ENVELOPE = {"error": {"code": "invalid_request", "message": "no", "details": {}}}


# -- the violation ---------------------------------------------------------------------------------

def test_a_violation_says_the_rule_its_basis_what_was_expected_what_came_and_how_to_reproduce():
    error = checks.violation(rules.NO_TOKEN, "401", "200", answer())
    assert str(error).splitlines() == [
        "Contract rule broken: a request without a token is 401", "  rests on: docs", "  expected: 401",
        "  got:      200", f"  reproduce: {REPRODUCE}"]
    assert (error.rule, error.expected, error.got) == (rules.NO_TOKEN, "401", "200")


def test_a_violation_of_a_decision_says_it_is_drift_and_one_without_a_request_has_no_reproduction():
    text = str(checks.violation(rules.LIMIT_RANGE, "400", "200"))
    assert "  rests on: the mock's decision `limit-range` (a server that differs here is drift)" in text
    assert "reproduce" not in text
    assert checks.violation(rules.NO_TOKEN, 1, 2, object()).reproduce is None  # a response without a request


# -- errors ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [200, 302, 399])
def test_a_success_or_redirect_needs_no_envelope(status):
    checks.error_body_is_the_envelope(answer(status, b"<p>fine</p>", content_type="text/html"), HISTORY, "GET")


def test_an_error_in_the_envelope_passes_and_one_not_in_json_breaks_errors_are_json():
    checks.error_body_is_the_envelope(answer(404, ENVELOPE, content_type="application/json; charset=utf-8"),
                                      HISTORY, "GET")
    error = broken(rules.ERRORS_ARE_JSON, checks.error_body_is_the_envelope,
                   answer(404, b"<h1>Not Found</h1>", content_type="Text/HTML; charset=utf-8"), HISTORY, "GET")
    assert (error.expected, error.got) == ("Content-Type: application/json", "Content-Type: text/html")
    error = broken(rules.ERRORS_ARE_JSON, checks.error_body_is_the_envelope, answer(500, b"x", content_type=None),
                   HISTORY, "GET")
    assert error.got == "Content-Type: (none)"


@pytest.mark.parametrize("body", [
    {"error": "invalid_request", "message": "flat, as v0.9 had it"},
    {"error": {"code": "x", "message": "m"}},
    {"error": {"code": "x", "message": 1, "details": {}}},
    {"error": {"code": 1, "message": "m", "details": {}}},
    {"error": {"code": "x", "message": "m", "details": []}},
    [ENVELOPE],
    b"not json",
])
def test_an_error_outside_the_envelope_breaks_it(body):
    error = broken(rules.ERRORS_USE_THE_ENVELOPE, checks.error_body_is_the_envelope, answer(400, body), HISTORY,
                   "GET")
    assert error.expected == '{"error": {"code": str, "message": str, "details": {}}}'
    assert error.got.startswith("400 ")


@pytest.mark.parametrize("path", [TOKEN, "/o/token", "/prefix/o/token/"])
@pytest.mark.parametrize("status", [400, 401])
def test_a_refused_token_request_answers_rfc_6749s_error(path, status):
    checks.error_body_is_the_envelope(answer(status, {"error": "invalid_client"}), path, "post")
    error = broken(rules.TOKEN_ERRORS, checks.error_body_is_the_envelope, answer(status, ENVELOPE), path, "POST")
    assert error.expected == '{"error": "<code>", ...}' and error.got == f"{status} {json.dumps(ENVELOPE)!r}"


@pytest.mark.parametrize(("status", "method"), [(405, "POST"), (500, "POST"), (401, "GET")])
def test_other_answers_of_the_token_path_use_the_envelope(status, method):
    checks.error_body_is_the_envelope(answer(status, ENVELOPE), TOKEN, method)
    broken(rules.ERRORS_USE_THE_ENVELOPE, checks.error_body_is_the_envelope, answer(status, {"error": "x"}), TOKEN,
           method)


def test_the_content_type_is_read_without_its_parameters_under_either_spelling():
    response = answer(404, ENVELOPE, content_type=None)
    response.headers = {"Content-Type": "application/json; charset=utf-8; profile=x"}  # a plain dict
    checks.error_body_is_the_envelope(response, HISTORY, "GET")


def test_schemathesis_headers_are_lists():
    response = answer(404, b"<h1>no</h1>", content_type=None)
    response.headers = {"content-type": ["text/html"]}  # as schemathesis keeps them
    assert broken(rules.ERRORS_ARE_JSON, checks.error_body_is_the_envelope, response, HISTORY, "GET").got == \
        "Content-Type: text/html"
    response.headers = {"content-type": []}
    assert broken(rules.ERRORS_ARE_JSON, checks.error_body_is_the_envelope, response, HISTORY, "GET").got == \
        "Content-Type: (none)"


def test_the_excerpt_of_an_answer_is_its_status_and_first_200_characters():
    error = broken(rules.NO_SERVER_ERROR, checks.not_a_server_error, answer(500, b"x" * 300))
    assert (error.expected, error.got) == ("a status below 500", f"500 {'x' * 200!r}")
    assert broken(rules.NO_SERVER_ERROR, checks.not_a_server_error, answer(503, b"")).got == "503 ''"
    bare = SimpleNamespace(status_code=502, headers={}, request=None)  # an answer with no text at all
    assert checks.violation(rules.NO_SERVER_ERROR, "", checks._excerpt(bare)).got == "502 ''"


@pytest.mark.parametrize("status", [200, 400, 499])
def test_below_500_is_no_server_error(status):
    checks.not_a_server_error(answer(status, ENVELOPE))


def test_a_header_is_there_or_breaks_its_rule():
    checks.has_header(answer(405, ENVELOPE, {"Allow": "GET"}), "Allow", rules.ALLOW_HEADER)
    error = broken(rules.ALLOW_HEADER, checks.has_header, answer(405, ENVELOPE, {"Allow": ""}), "Allow",
                   rules.ALLOW_HEADER)
    assert (error.expected, error.got) == ("a Allow header", "none")


def test_status_is_one_of_those_expected():
    checks.status_is(answer(401, ENVELOPE), [403, 401], rules.NO_TOKEN)
    error = broken(rules.NO_TOKEN, checks.status_is, answer(200, {}), [401, 403, 401], rules.NO_TOKEN)
    assert (error.expected, error.got) == ("401 or 403", "200 '{}'")


def test_the_error_code_of_an_envelope_or_of_rfc_6749():
    checks.error_code_is(answer(400, ENVELOPE), "invalid_request", rules.INVALID_REQUEST_CODE)
    checks.error_code_is(answer(401, {"error": "invalid_client"}), "invalid_client", rules.WRONG_SECRET)
    error = broken(rules.WRONG_SECRET, checks.error_code_is, answer(401, ENVELOPE), "invalid_client",
                   rules.WRONG_SECRET)
    assert error.expected == "error code 'invalid_client'" and error.got.startswith("'invalid_request' (401 ")
    assert broken(rules.WRONG_SECRET, checks.error_code_is, answer(401, b"no json"), "invalid_client",
                  rules.WRONG_SECRET).got.startswith("None (401 ")


# -- conformance -----------------------------------------------------------------------------------

def item(part: str, basis: str = "spec") -> Item:
    return Item("getBalanceHistory", "GET", HISTORY, "401", part, basis)


def test_no_problem_conforms():
    checks.conforms(answer(), [])


def test_problems_break_the_spec_listing_each_item():
    problems = [(item("body error.code"), "missing"), (item("header Content-Type"), "text/html, not json")]
    error = broken(rules.CONFORMS, checks.conforms, answer(401, {}), problems)
    assert error.expected == "as the spec documents: body error.code, header Content-Type"
    assert error.got == "getBalanceHistory 401 body error.code: missing; " \
                        "getBalanceHistory 401 header Content-Type: text/html, not json"


def test_an_item_a_rule_of_its_own_judges_breaks_that_rule_alone():
    challenge = (item("header WWW-Authenticate", "RFC 6750 §3"), "missing")
    assert broken(rules.BEARER_CHALLENGE, checks.conforms, answer(401, {}), [challenge]).got == \
        "getBalanceHistory 401 header WWW-Authenticate: missing"
    broken(rules.CONFORMS, checks.conforms, answer(401, {}), [challenge, (item("body error.code"), "missing")])
    allow = (item("header Allow", "RFC 9110 §15.5.6"), "missing")
    broken(rules.CONFORMS, checks.conforms, answer(401, {}), [challenge, allow])  # two rules of their own


# -- pagination ------------------------------------------------------------------------------------

def page(entries: list[dict] | None = None, total: Any = 1, limit: int = 20, offset: int = 0) -> dict[str, Any]:
    return {"history": [entry()] if entries is None else entries, "total": total, "limit": limit, "offset": offset}


def test_a_page_echoes_its_limit_and_offset():
    checks.page_echoes_paging(answer(), page(limit=5, offset=3), 5, 3)
    for limit, offset in [(6, 3), (5, 4)]:
        error = broken(rules.ECHOES_PAGING, checks.page_echoes_paging, answer(), page(limit=5, offset=3), limit,
                       offset)
        assert (error.expected, error.got) == (f"limit={limit}, offset={offset}", "limit=5, offset=3")


def test_a_page_holds_at_most_limit_and_is_full_but_at_the_end():
    three = [entry()] * 3
    checks.page_size_is_bounded(answer(), page(three, total=10), 3, 0)
    checks.page_size_is_bounded(answer(), page(three, total=10), 5, 7)  # the end: 3 left
    checks.page_size_is_bounded(answer(), page([], total=10), 5, 10)  # past the end
    checks.page_size_is_bounded(answer(), page([], total=10), 5, 12)
    checks.page_size_is_bounded(answer(), page(three, total="many"), 3, 0)  # no total to hold it to
    error = broken(rules.AT_MOST_LIMIT, checks.page_size_is_bounded, answer(), page(three, total=10), 2, 0)
    assert (error.expected, error.got) == ("<= 2 entries", "3 entries")
    error = broken(rules.FULL_BUT_AT_THE_END, checks.page_size_is_bounded, answer(), page(three, total=10), 5, 0)
    assert (error.expected, error.got) == ("5 entries (total 10, offset 0, limit 5)", "3 entries")
    broken(rules.FULL_BUT_AT_THE_END, checks.page_size_is_bounded, answer(), page([], total=10), 5, 9)


def test_a_walk_equals_its_reference_or_says_where_it_departs():
    a, b, c = entry("2025-01-03T00:00:00Z"), entry("2025-01-02T00:00:00Z"), entry("2025-01-01T00:00:00Z")
    checks.walk_matches_reference([a, b], [a, b], 7, answer())
    error = broken(rules.EVERY_ENTRY_ONCE, checks.walk_matches_reference, [a, c], [a, b, c], 7, answer())
    assert error.expected == f"with limit=7, 3 entries equal to the big page; entry 1: {b}"
    assert error.got == f"2 entries; entry 1: {c}"
    error = broken(rules.EVERY_ENTRY_ONCE, checks.walk_matches_reference, [a], [a, b], 1, answer())
    assert error.got == "1 entries; entry 1: (none)"
    error = broken(rules.EVERY_ENTRY_ONCE, checks.walk_matches_reference, [a, b], [a], 1, answer())
    assert error.expected.endswith("entry 1: (none)")


def test_a_walk_reaches_the_total_or_its_window():
    checks.walk_reaches_total(answer(), 7, 7, 300)
    checks.walk_reaches_total(answer(), 50, 300, 50)
    error = broken(rules.WALK_REACHES_TOTAL, checks.walk_reaches_total, answer(), 49, 300, 50)
    assert (error.expected, error.got) == ("50 entries (total 300, window 50)", "49 entries")
    broken(rules.WALK_REACHES_TOTAL, checks.walk_reaches_total, answer(), 8, 7, 300)


def test_total_is_one_value_on_every_page():
    checks.total_is_constant(answer(), [3, 3, 3])
    error = broken(rules.TOTAL_CONSTANT, checks.total_is_constant, answer(), [3, 4, 3])
    assert (error.expected, error.got) == ("one value", "3, 4")
    broken(rules.TOTAL_CONSTANT, checks.total_is_constant, answer(), [])


def test_past_the_end_the_status_is_decided_and_the_total_promised():
    """Issue 28: a 404 past the end is drift; a page with a total of 0 there is a break."""
    checks.past_the_end(answer(body=page([], total=4)), 4, 14)
    broken(rules.PAST_THE_END, checks.past_the_end, answer(404, ENVELOPE), 4, 14)
    error = broken(rules.TOTAL_PAST_THE_END, checks.past_the_end, answer(body=page([], total=0)), 4, 14)
    assert error.rule.kind == rules.BREAK and (error.expected, error.got) == (
        "total 4 (as on the first page)", "total 0 at offset 14")
    broken(rules.FULL_BUT_AT_THE_END, checks.past_the_end, answer(body=page(total=4)), 4, 14)


def test_an_unknown_path_is_404_and_its_envelope_is_decided():
    checks.unknown_path_answer(answer(404, ENVELOPE), "/nope/")
    broken(rules.UNKNOWN_PATH, checks.unknown_path_answer, answer(400, ENVELOPE), "/nope/")
    html = answer(404, b"<h1>Not Found</h1>", content_type="text/html")
    assert broken(rules.UNKNOWN_PATH_ENVELOPE, checks.unknown_path_answer, html, "/nope/").rule.kind == rules.DRIFT


def test_an_allow_header_is_tried_for_its_claim():
    refusal = answer(405, ENVELOPE, {"Allow": "GET, HEAD, OPTIONS"})
    assert checks.allowed_methods(refusal) == ["GET", "HEAD", "OPTIONS"]
    checks.allow_is_true(refusal, {"GET": answer(), "HEAD": answer(), "OPTIONS": answer()})
    error = broken(rules.ALLOW_IS_TRUE, checks.allow_is_true, refusal, {"GET": answer(), "HEAD": answer(405, ENVELOPE)})
    assert error.got == "HEAD answered 405" and error.rule.kind == rules.BREAK
    broken(rules.HEAD_LIKE_GET, checks.allow_lists, answer(405, ENVELOPE, {"Allow": "GET"}), "HEAD",
           rules.HEAD_LIKE_GET)


def test_head_and_options_as_django_and_drf_answer_them():
    checks.head_like_get(answer(), answer(body=b""))
    broken(rules.HEAD_LIKE_GET, checks.head_like_get, answer(), answer(405, b""))
    broken(rules.HEAD_HAS_NO_BODY, checks.head_like_get, answer(), answer(body=b"", content_type="text/html"))
    metadata = {"name": "Balance History", "description": "d", "renders": ["application/json"], "parses": []}
    checks.options_metadata(answer(body=metadata))
    broken(rules.OPTIONS_METADATA, checks.options_metadata, answer(405, ENVELOPE))
    broken(rules.OPTIONS_METADATA, checks.options_metadata, answer(body={"name": "x"}))


def test_a_redirect_to_the_slashed_path_is_decided():
    assert checks.redirected_to_slash(answer(301, b"", {"Location": "/user/balances/?a=1"}),
                                      "/user/balances") == "/user/balances/?a=1"
    broken(rules.TRAILING_SLASH, checks.redirected_to_slash, answer(404, ENVELOPE), "/user/balances")
    broken(rules.TRAILING_SLASH, checks.redirected_to_slash, answer(301, b"", {"Location": "/elsewhere/"}),
           "/user/balances")


def test_a_token_s_claims_are_tried():
    token = answer(body={"scope": "read write"})
    checks.scope_is_true(token, {"read", "write"}, answer(), answer())
    checks.scope_is_true(token, {"read"}, answer(403, ENVELOPE), answer())
    broken(rules.TOKEN_SCOPE_IS_TRUE, checks.scope_is_true, token, {"read", "write"}, answer(403, ENVELOPE), answer())
    assert checks.token_life(token, {"expires_in": 3600}, {"iat": 10, "exp": 3610}) is True
    assert checks.token_life(token, {"expires_in": 3600}, None) is False
    broken(rules.TOKEN_LIFE, checks.token_life, token, {"expires_in": 36000}, {"iat": 10, "exp": 3610})


def test_a_retry_after_must_be_seconds_or_a_date():
    for value in ("0", "42", "Wed, 21 Oct 2015 07:28:00 GMT"):
        checks.retry_after_is_honourable(answer(429, ENVELOPE, {"Retry-After": value}))
    broken(rules.RETRY_AFTER_HONOURABLE, checks.retry_after_is_honourable,
           answer(429, ENVELOPE, {"Retry-After": "soon"}))


def test_a_filter_matched_in_other_letters_is_drift():
    entries = [entry()]
    value = entries[0]["currency"]
    assert broken(rules.FILTERS_CASE_SENSITIVE, checks.entries_match_filters, answer(), entries,
                  {"currency": value.lower()}).rule.kind == rules.DRIFT
    broken(rules.FILTER_EXACT, checks.entries_match_filters, answer(), entries, {"currency": "OTHER"})

def test_a_history_page_is_checked_against_its_query():
    response = answer(200, page([entry()], total=1))
    checks.history_page_is_consistent(response, {})  # limit 20, offset 0 by default
    checks.history_page_is_consistent(response, {"currency": "ETH", "type": "deposit", "limit": 20})
    broken(rules.ECHOES_PAGING, checks.history_page_is_consistent, response, {"limit": 10})
    broken(rules.ECHOES_PAGING, checks.history_page_is_consistent, response, {"offset": 1})
    broken(rules.FILTER_EXACT, checks.history_page_is_consistent, response, {"currency": "BTC"})
    broken(rules.FILTER_EXACT, checks.history_page_is_consistent, response, {"type": "withdrawal"})
    older_first = page([entry("2025-01-01T00:00:00Z"), entry("2025-01-02T00:00:00Z")], total=2)
    broken(rules.NEWEST_FIRST, checks.history_page_is_consistent, answer(200, older_first), {})
    broken(rules.FULL_BUT_AT_THE_END, checks.history_page_is_consistent, answer(200, page([], total=3)), {})


@pytest.mark.parametrize(("status", "body"), [
    (400, ENVELOPE), (200, {"entries": []}), (200, []), (200, {"history": "none"}),
    (200, {"history": [1]}), (200, {"history": [{"timestamp": 1}]}),
])
def test_a_page_the_schema_checks_report_is_not_checked_again(status, body):
    checks.history_page_is_consistent(answer(status, body), {"limit": 1, "currency": "BTC"})


# -- ordering and filters --------------------------------------------------------------------------

def test_history_is_newest_first_to_the_fraction_of_a_second():
    checks.newest_first(answer(), [entry("2025-01-02T00:00:00.5Z"), entry("2025-01-02T00:00:00.5Z"),
                                   entry("2025-01-02T00:00:00Z"), entry("2025-01-01T23:59:59.999Z")])
    error = broken(rules.NEWEST_FIRST, checks.newest_first, answer(),
                   [entry("2025-01-02T00:00:00Z"), entry("2025-01-02T00:00:00.25Z")])
    assert (error.expected, error.got) == ("entry 1 at or before 2025-01-02T00:00:00Z",
                                           "entry 1 at 2025-01-02T00:00:00.25Z")
    broken(rules.NEWEST_FIRST, checks.newest_first, answer(),
           [entry("2025-01-03T00:00:00Z"), entry("2025-01-02T00:00:00Z"), entry("2025-01-04T00:00:00Z")])
    checks.newest_first(answer(), [entry("2025-01-02T00:00:00.5Z"), entry("2025-01-02T00:00:00.50Z")])  # one instant
    checks.newest_first(answer(), [entry("2025-01-02T00:00:00.05Z"), entry("2025-01-02T00:00:00Z")])


@pytest.mark.parametrize("not_a_date_time", ["2025-01.08T14:45:00Z", "2025-01-15T09:30:00+25:00", "yesterday", "\udfa3",
                                             "2025-01-02T00:00:00.x5Z"])
def test_a_timestamp_that_is_no_date_time_is_left_to_the_schema_and_the_others_still_ordered(not_a_date_time):
    checks.newest_first(answer(),
                        [entry("2025-01-03T00:00:00Z"), entry(not_a_date_time), entry("2025-01-01T00:00:00Z")])
    broken(rules.NEWEST_FIRST, checks.newest_first, answer(),
           [entry("2025-01-01T00:00:00Z"), entry(not_a_date_time), entry("2025-01-03T00:00:00Z")])


def test_instants_with_an_offset_are_ordered_at_utc():
    checks.newest_first(answer(), [entry("2025-01-02T01:30:00+02:00"), entry("2025-01-01T23:00:00Z")])
    checks.newest_first(answer(), [entry("2025-01-02T00:00:00Z"), entry("0999-01-02T01:30:00+01:00")])  # 4 digits
    broken(rules.NEWEST_FIRST, checks.newest_first, answer(),
           [entry("2025-01-02T00:30:00+02:00"), entry("2025-01-01T23:00:00Z")])


def test_the_same_request_twice_gives_the_same_page():
    checks.same_response(answer(200, page()), answer(200, page()))
    error = broken(rules.STABLE_ORDER, checks.same_response, answer(200, page()), answer(200, page(total=2)))
    assert (error.expected, error.got) == ("the same page twice", "two different pages")


def test_every_entry_matches_every_filter():
    entries = [entry(), entry(type="withdrawal")]
    checks.entries_match_filters(answer(), entries, {"currency": "ETH"})
    checks.entries_match_filters(answer(), [], {"currency": "BTC"})
    error = broken(rules.FILTER_EXACT, checks.entries_match_filters, answer(), entries,
                   {"currency": "ETH", "type": "deposit"})
    assert (error.expected, error.got) == ("every entry with type='deposit'", "entry 1 has type='withdrawal'")


def stamp(day: int) -> str:
    return f"2025-01-{day:02d}T00:00:00Z"


WALKED = [entry(stamp(9)), entry(stamp(8), currency="BTC"), entry(stamp(7)), entry(stamp(6), type="withdrawal"),
          entry(stamp(5))]
ETH_DEPOSITS = [WALKED[0], WALKED[2], WALKED[4]]


def found(filtered: list[dict], total: Any, complete: bool = True, limit: int = 100,
          walked: list[dict] = WALKED) -> int:
    return checks.filter_finds_every_match(answer(), {"history": filtered, "total": total},
                                           {"currency": "ETH", "type": "deposit"}, walked, complete, limit)


def test_a_filtered_page_holds_every_match_of_the_whole_history_and_counts_them():
    assert found(ETH_DEPOSITS, 3) == 3
    assert found([ETH_DEPOSITS[2], ETH_DEPOSITS[0], ETH_DEPOSITS[1]], 3) == 3  # the order is newest_first's
    error = broken(rules.FILTER_EXACT, found, [], 0)
    assert error.expected == "with currency=ETH, type=deposit, the 3 matching entries of the unfiltered history"
    assert error.got.startswith("3 missing (first: {") and error.got.endswith("0 not among them (first: none)")
    error = broken(rules.FILTER_EXACT, found, [*ETH_DEPOSITS, WALKED[1]], 4)
    assert error.got.startswith("0 missing (first: none), 1 not among them (first: {")
    error = broken(rules.FILTER_EXACT, found, ETH_DEPOSITS, 4)
    assert (error.expected, error.got) == (
        "with currency=ETH, type=deposit, total 3 (the matching entries of the unfiltered history)", "total 4")
    broken(rules.FILTER_EXACT, found, ETH_DEPOSITS, 2)
    broken(rules.FILTER_EXACT, found, ETH_DEPOSITS, "3")


def test_a_window_is_compared_over_the_instants_it_holds_whole_and_total_counts_at_least_its_matches():
    window = WALKED[:3]  # the newest three of a longer history: stamps 9 to 7
    beyond = entry(stamp(4))
    assert found([*ETH_DEPOSITS, beyond], 9, complete=False, walked=window) == 1  # newer than day 7: one
    error = broken(rules.FILTER_EXACT, found, [], 9, False, 100, window)
    assert error.expected.endswith("the 1 matching entries of the unfiltered history newer than " + stamp(7))
    error = broken(rules.FILTER_EXACT, found, ETH_DEPOSITS, 1, False, 100, window)
    assert (error.expected, error.got) == ("with currency=ETH, type=deposit, total at least 2 (the matching "
                                           "entries of the unfiltered history window)", "total 1")
    assert found(ETH_DEPOSITS, 2, complete=False, walked=window) == 1


def test_a_full_page_is_compared_down_to_its_oldest_instant():
    assert found(ETH_DEPOSITS[:2], 3, limit=2) == 1  # day 9 only: day 7 closes the page
    assert found([ETH_DEPOSITS[1], ETH_DEPOSITS[0]], 3, limit=2) == 1
    broken(rules.FILTER_EXACT, found, [ETH_DEPOSITS[0], ETH_DEPOSITS[2]], 3, True, 2)  # day 7 missing
    assert found([], 0, walked=[entry(stamp(9), currency="BTC")]) == 0  # nothing to compare: the caller says so


def test_instants_are_compared_as_instants_and_entries_whatever_the_order_of_their_fields():
    seven, five, zero = (entry(f"2025-01-07T00:00:00{fraction}Z") for fraction in (".7", ".5", ""))
    assert found([seven, zero], 3, limit=2, walked=[seven, zero, entry(stamp(6))]) == 1  # .7 is newer than .0
    assert found([seven, zero], 9, complete=False, limit=2, walked=[seven, five]) == 1  # down to .5, not to .0
    reordered = [dict(reversed(list(match.items()))) for match in ETH_DEPOSITS]  # as another server writes them
    assert found(reordered, 3) == 3


def test_a_filtered_page_with_timestamps_that_are_no_date_times_is_compared_over_the_others():
    odd = entry("2025-01.08T00:00:00Z")
    assert found([ETH_DEPOSITS[0], odd], 9, complete=False, limit=2, walked=[ETH_DEPOSITS[0], odd]) == 0
    assert found([odd], 1, walked=[odd]) == 1  # no cut: the whole history is compared, odd entries included


def test_the_per_currency_totals_add_up():
    checks.totals_add_up(answer(), {"ETH": 2, "BTC": 3}, 5, "currency")
    error = broken(rules.TOTALS_ADD_UP, checks.totals_add_up, answer(), {"ETH": 2, "BTC": 2}, 5, "currency")
    assert (error.expected, error.got) == ("the per-currency totals sum to 5", "sum = 4 ({'ETH': 2, 'BTC': 2})")


# -- the ledger ------------------------------------------------------------------------------------

def test_each_balance_after_moves_by_the_amount_in_the_direction_of_its_type():
    chain = [entry(stamp(5), type="payment", amount="9", balance_after="2.000000"),  # a direction not documented
             entry(stamp(4), type="withdrawal", amount="0.5", balance_after="2.000000"),
             entry(stamp(3), type="deposit", amount="1.5", balance_after="2.5"),
             entry(stamp(1), balance_after="1.000000")]
    assert checks.balance_chain(answer(), "ETH", chain) == 2
    assert checks.balance_chain(answer(), "ETH", chain[:1]) == 0
    chain[1]["balance_after"] = "3.0"
    error = broken(rules.BALANCE_CHAIN, checks.balance_chain, answer(), "ETH", chain)
    assert (error.expected, error.got) == ("ETH: 2.5 - 0.5 = 2.0", f"balance_after 3.0 at {stamp(4)} (withdrawal)")
    error = broken(rules.BALANCE_CHAIN, checks.balance_chain, answer(), "ETH",
                   [entry(balance_after="2"), entry(balance_after="2")])
    assert error.expected == "ETH: 2 + 1.000000 = 3.000000"


def test_a_balance_never_goes_negative():
    error = broken(rules.NEVER_NEGATIVE, checks.balance_chain, answer(), "ETH",
                   [entry(type="withdrawal", amount="2", balance_after="-1"), entry(balance_after="1")])
    assert (error.expected, error.got) == ("ETH: >= 0", "-1")
    checks.balance_chain(answer(), "ETH", [entry(type="withdrawal", amount="1", balance_after="0"),
                                           entry(balance_after="1")])


def test_a_balance_is_the_newest_balance_after_of_its_currency():
    newest = entry(balance_after="5.000000")
    checks.balance_is_newest_balance_after(answer(), "ETH", {"ETH": "5.0"}, newest)
    checks.balance_is_newest_balance_after(answer(), "ETH", {}, entry(balance_after="0.000000"))  # left out, drained
    checks.balance_is_newest_balance_after(answer(), "ETH", {"ETH": "0.000000"}, None)
    checks.balance_is_newest_balance_after(answer(), "ETH", {}, None)
    error = broken(rules.BALANCE_IS_NEWEST, checks.balance_is_newest_balance_after, answer(), "ETH", {"ETH": "4"},
                   newest)
    assert (error.expected, error.got) == (f"ETH: 5.000000 (entry at {newest['timestamp']})", "4")
    assert broken(rules.BALANCE_IS_NEWEST, checks.balance_is_newest_balance_after, answer(), "ETH", {},
                  newest).got is None
    error = broken(rules.BALANCE_IS_NEWEST, checks.balance_is_newest_balance_after, answer(), "ETH", {"ETH": "1"},
                   None)
    assert (error.expected, error.got) == ("ETH: 0 (no history)", "1")


def test_statistics_count_the_deposits_and_withdrawals():
    checks.statistics_count_history(answer(), {"total_deposits": 3, "total_withdrawals": 1}, 3, 1)
    error = broken(rules.STATISTICS_COUNT, checks.statistics_count_history, answer(),
                   {"total_deposits": "3", "total_withdrawals": 1}, 3, 1)
    assert (error.expected, error.got) == ("total_deposits=3, total_withdrawals=1",
                                           "total_deposits='3', total_withdrawals=1")
    broken(rules.STATISTICS_COUNT, checks.statistics_count_history, answer(), {"total_deposits": 3}, 3, 1)


# -- newest first, the quick way ------------------------------------------------------------------

STAMPS = st.builds(lambda whole, fraction, zs: whole + (f".{fraction}" if fraction is not None else "") + zs,
                   st.sampled_from(["2025-01-15T09:30:00", "2025-01-15T09:30:01", "2025-01-16T00:00:00"]),
                   st.none() | st.text("0123456789", max_size=7), st.sampled_from(["Z", "", "ZZ"]))


def _newest_first_by_decimal(stamps: list[str]) -> bool:
    """The date-times among ``stamps``, as decimals, each at or before the one before it."""
    placed = [instant for instant in map(checks._instant, stamps) if instant is not None]
    return all(later <= earlier for earlier, later in pairwise(placed))


@given(st.lists(STAMPS, max_size=6))
def test_newest_first_orders_fractions_of_a_second_as_decimals_do(stamps):
    """A page's digits compare as strings (the quick way) exactly as their decimals would."""
    entries = [{"timestamp": stamp} for stamp in stamps]
    try:
        checks.newest_first(None, entries)
        kept = True
    except ContractViolation as violation:
        assert violation.rule == rules.NEWEST_FIRST
        kept = False
    assert kept == _newest_first_by_decimal(stamps)


@pytest.mark.parametrize(("stamps", "kept"), [
    (["2025-01-15T09:30:00.5Z", "2025-01-15T09:30:00.49Z"], True),
    (["2025-01-15T09:30:00.05Z", "2025-01-15T09:30:00.5Z"], False),
    (["2025-01-15T09:30:00.50Z", "2025-01-15T09:30:00.5Z", "2025-01-15T09:30:00Z"], True),
    (["2025-01-15T09:30:00.5Z", "2025-01-15T09:30:00.500Z", "2025-01-15T09:30:00.000Z"], True),
    (["2025-01-15T09:30:00Z", "2025-01-15T09:30:00.0001Z"], False),
])
def test_newest_first_compares_fractions_of_a_second(stamps, kept):
    entries = [{"timestamp": stamp} for stamp in stamps]
    if kept:
        checks.newest_first(None, entries)
    else:
        with pytest.raises(ContractViolation):
            checks.newest_first(None, entries)


def test_a_fraction_that_is_not_plain_digits_is_no_date_time():
    """``1e2`` reads as a decimal (0.1e2 = 10) but is no fraction of a second RFC 3339 knows."""
    for stamps in (["2025-01-15T09:30:00.1e2Z", "2025-01-15T09:30:00.9Z"],
                   ["2025-01-15T09:30:00.9Z", "2025-01-15T09:30:00.1e2Z"]):
        checks.newest_first(None, [{"timestamp": stamp} for stamp in stamps])
