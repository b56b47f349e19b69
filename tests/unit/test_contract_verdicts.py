"""The contract suite's judgement, without a server: which rules rest on decisions, how
schemathesis' failures are sorted into breaks and drift, what a response shows of the
documented items, and what a run report adds up to."""

from __future__ import annotations

import copy
import json
import re

import pytest
from schemathesis.core.failures import AcceptedNegativeData, CustomFailure, ServerError
from schemathesis.openapi.checks import UndefinedStatusCode

from contract_tests import rules
from contract_tests.checks import ContractViolation
from contract_tests.conformance import Contract
from contract_tests.html_report import render_html
from contract_tests.run_report import Finding, RunReport
from mock_server.spec import load_spec

from ..support import ROOT

SPEC = load_spec()
HISTORY = "/user/balances/history/"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract(SPEC)


# -- decisions ---------------------------------------------------------------------------------

def test_every_decision_a_rule_rests_on_is_in_the_spec_and_every_listed_one_is_checked():
    assert rules.check_decisions(SPEC["x-decisions"]) == []
    used = {rule.decision for rule in rules.all_rules() if rule.decision}
    assert used == set(SPEC["x-decisions"]), "a decision the suite never checks, or one the spec lacks"


def suite_tests() -> set[str]:
    """Every test of the contract suite, as ``test_file.py::test_name``."""
    return {f"{path.name}::{match}" for path in (ROOT / "contract_tests").glob("test_*.py")
            for match in re.findall(r"^def (test_\w+)\(", path.read_text(encoding="utf-8"), re.M)}


def test_every_decision_of_the_spec_names_the_check_that_holds_it():
    """Issue 28: the spec's decisions, in one machine-readable place, each with its check (a
    test of the suite) and a rule resting on it; a decision without one fails here."""
    assert [d.id for d in rules.decisions(SPEC)] == list(SPEC["x-decisions"])
    assert rules.unchecked_decisions(SPEC, suite_tests()) == []


def test_a_decision_without_a_check_is_reported():
    spec = copy.deepcopy(SPEC)
    del spec["x-decisions"]["filters-case-sensitive"]["check"]
    spec["x-decisions"]["trailing-slash"]["check"] = "test_errors.py::test_no_such_test"
    spec["x-decisions"]["made-up"] = {"decision": "no rule rests on it", "check": "test_auth.py::test_no_token_is_401"}
    assert rules.unchecked_decisions(spec, suite_tests()) == ["filters-case-sensitive", "trailing-slash", "made-up"]


def test_the_promises_a_decision_holds_name_documented_items_and_listed_decisions():
    keys = {item.key for item in Contract(SPEC).items}
    for rule in rules.all_rules():
        assert rule.decision is None or not rule.within, rule.text  # a promise, or a decision: not both
        assert set(rule.within) <= set(SPEC["x-decisions"]), rule.text
        assert set(rule.holds) <= keys, rule.text
    assert rules.TOTAL_PAST_THE_END in rules.promises_within("offset-past-the-end")


def test_every_decision_has_a_variant_that_differs_in_it_alone():
    from ..support.variants import DECIDING

    covered = {rule.decision for variant in DECIDING for rule in variant.drifts}
    assert covered >= set(SPEC["x-decisions"]), set(SPEC["x-decisions"]) - covered


def test_a_spec_without_a_decision_the_rules_need_is_reported():
    decisions = {k: v for k, v in SPEC["x-decisions"].items() if k != "limit-range"}
    assert rules.check_decisions(decisions) == ["limit-range"]


def test_parameters_name_only_listed_decisions():
    parameters = SPEC["paths"][HISTORY]["get"]["parameters"]
    named = {decision for p in parameters for decision in p.get("x-decisions", [])}
    assert named and named <= set(SPEC["x-decisions"])


# -- sorting schemathesis' failures -------------------------------------------------------------

def undocumented(status: int) -> UndefinedStatusCode:
    return UndefinedStatusCode(operation="GET /x", status_code=status, defined_status_codes=["200"],
                               allowed_status_codes=[200], message="m")


@pytest.mark.parametrize(("failure", "kind"), [
    (AcceptedNegativeData(operation="GET /x", message="m", status_code=200, expected_statuses=["400"]), rules.DRIFT),
    (undocumented(422), rules.DRIFT),
    (undocumented(401), rules.BREAK),
    (undocumented(204), rules.BREAK),
    (undocumented(502), rules.BREAK),
    (ServerError(operation="GET /x", status_code=500), rules.BREAK),
    (CustomFailure(operation="GET /x", title="t", message="m", exception=RuntimeError("x")), rules.BREAK),
], ids=["accepted-invalid-input", "refused-with-422", "undocumented-401", "undocumented-204", "502", "500",
        "unknown-failure"])
def test_schemathesis_failures_are_breaks_unless_only_a_decision_differs(failure, kind):
    assert rules.schemathesis_rule(failure).kind == kind


def test_our_own_checks_keep_their_rule_inside_schemathesis():
    decided = ContractViolation(rules.PAST_THE_END, "empty", "404", None)
    failure = CustomFailure(operation="GET /x", title="t", message=str(decided), exception=decided)
    assert rules.schemathesis_rule(failure) is rules.PAST_THE_END


# -- what a response shows ---------------------------------------------------------------------

def test_items_are_every_header_and_field_of_every_documented_answer(contract):
    keys = {item.key for item in contract.items}
    assert "getBalanceHistory 200 body history[].amount" in keys
    assert "getAccountBalances 200 body account.*" in keys
    assert "obtainToken 200 header Pragma" in keys and "getBalanceHistory 405 header Allow" in keys
    statuses = {(op["operationId"], status) for path in SPEC["paths"].values() for op in path.values()
                for status in op["responses"]}
    assert {(item.operation, item.status) for item in contract.items} == statuses
    assert {item.basis for item in contract.items} >= {"spec", "RFC 6749 §5.1", "RFC 6750 §3", "RFC 9110 §15.5.6"}


def page(**changes) -> bytes:
    body = {"history": [{"timestamp": "2025-01-15T09:30:00Z", "currency": "ETH", "type": "deposit",
                         "amount": "1.000000", "balance_after": "1.000000"}], "total": 1, "limit": 20, "offset": 0}
    body.update(changes)
    return json.dumps(body).encode()


def test_a_conforming_page_shows_every_item_as_documented(contract):
    seen = contract.observe("GET", HISTORY, 200, JSON, page())
    assert len(seen) == 9 and all(problem is None for problem in seen.values())


def test_each_broken_field_is_blamed_on_its_own_item(contract):
    body = json.loads(page())
    body["history"][0]["amount"] = 1
    del body["total"]
    seen = {item.part: problem for item, problem in
            contract.observe("GET", HISTORY, 200, JSON, json.dumps(body).encode()).items()}
    assert seen["body history[].amount"] == "1 is not of type 'string'"
    assert seen["body total"] == "missing"
    assert seen["body history[].currency"] is None and seen["body limit"] is None


def test_an_empty_page_shows_no_entry_fields_and_an_extra_field_is_no_item(contract):
    seen = {item.part for item in contract.observe("GET", HISTORY, 200, JSON, page(history=[], next=None))}
    assert seen == {"header Content-Type", "body total", "body limit", "body offset"}


def test_required_headers_and_the_content_type(contract):
    seen = {item.part: problem for item, problem in contract.observe(
        "DELETE", HISTORY, 405, {"Content-Type": "text/html"}, b"<h1>no</h1>").items()}
    assert seen["header Allow"] == "missing"
    assert seen["header Content-Type"] == "text/html, not application/json"
    assert seen["body error.code"] == "no JSON body"


def test_a_head_answer_has_no_body_to_check(contract):
    seen = {item.part for item in contract.observe("HEAD", HISTORY, 405, {**JSON, "Allow": "GET"}, b"")}
    assert seen == {"header Allow", "header Content-Type"}


def test_an_undocumented_answer_shows_no_item(contract):
    assert contract.observe("GET", HISTORY, 418, JSON, b"{}") == {}
    assert contract.observe("GET", "/nowhere/", 404, JSON, b"{}") == {}



@pytest.mark.parametrize(("method", "status", "headers", "body"), [
    ("GET", 200, JSON, page()),
    ("GET", 200, JSON, page(total="1", history=[{"timestamp": 5}])),
    ("GET", 200, {"Content-Type": "text/plain"}, b"{}"),
    ("GET", 200, JSON, b"not json"),
    ("DELETE", 405, {"Content-Type": "text/html"}, b"<h1>no</h1>"),
    ("HEAD", 405, JSON, b""),
    ("GET", 418, JSON, b"{}"),
], ids=["as-documented", "broken-fields", "not-json-type", "not-json-body", "405-html", "head", "undocumented"])
def test_problems_are_what_observe_finds_wrong_from_a_body_parsed_once(contract, method, status, headers, body):
    parsed = []

    def document():
        parsed.append(body)
        return json.loads(body)

    found = contract.problems(method, HISTORY, status, headers, document)
    assert found == {item: problem for item, problem in contract.observe(method, HISTORY, status, headers,
                                                                          body).items() if problem is not None}
    assert len(parsed) <= 1

# -- the run report ------------------------------------------------------------------------------

def test_a_run_report_credits_responses_to_the_running_rule_and_counts_holes(contract):
    run = RunReport(contract, "http://api.test/prefix", settings={"max_requests": 10})
    run.current = "test_pagination.py::test_x"
    problems = run.observe("GET", "http://api.test/prefix/user/balances/history/?limit=1", 200, JSON,
                           page(total="1"))
    assert [(item.part, problem) for item, problem in problems] == [("body total", "'1' is not of type 'integer'")]
    report = run.as_dict()
    amount = next(i for i in report["coverage"]["items"]
                  if i["part"] == "body history[].amount" and i["status"] == "200")
    assert amount["rules"] == [{"rule": "test_pagination.py::test_x", "passed": 1, "failed": 0}]
    assert report["coverage"]["reached"] == 9 and report["coverage"]["total"] == len(contract.items)
    assert len(run.holes) == len(contract.items) - 9


def test_drift_fails_a_run_only_when_strict(contract):
    drift = Finding.of(rules.LIMIT_RANGE, "t", "400", "200", "curl x")
    for strict, verdict in [(False, "pass"), (True, "fail")]:
        run = RunReport(contract, "http://api.test", settings={"max_requests": 10}, strict=strict)
        run.found(drift)
        run.found(copy.copy(drift))
        assert run.verdict == verdict and len(run.drift) == 1 and not run.breaks
    run.found(Finding.of(rules.NEWEST_FIRST, "t", "a", "b", None))
    report = run.as_dict()
    assert report["verdict"] == "fail" and report["breaks"][0]["basis"] == "docs"
    assert report["drift"][0]["decision"] == "limit-range"
    assert "limit-range" in render_html(report)
