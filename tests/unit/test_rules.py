"""The rules themselves: what a decided rule is, which rule judges a documented item, and the
rule each of schemathesis' failures breaks (named by the failure's class, as schemathesis
names them; the classes here are stand-ins with those names)."""

from __future__ import annotations

from typing import Any

import pytest

from contract_tests import rules
from contract_tests.checks import ContractViolation


def failure(name: str, **attributes: Any) -> Any:
    """A stand-in for one of schemathesis' failures: an object of a class called ``name``."""
    return type(name, (), attributes)()


def test_a_decided_rule_is_drift_resting_on_its_decision_and_another_a_break_resting_on_its_basis():
    assert (rules.LIMIT_RANGE.text, rules.LIMIT_RANGE.basis, rules.LIMIT_RANGE.decision) == (
        "`limit` above 100 is refused with 400", "decision", "limit-range")
    assert (rules.LIMIT_RANGE.kind, rules.LIMIT_RANGE.source) == (rules.DRIFT, "decision: limit-range")
    assert (rules.WRONG_SECRET.kind, rules.WRONG_SECRET.source) == (rules.BREAK, "RFC 6749 §5.2")


@pytest.mark.parametrize(("part", "basis", "rule"), [
    ("header WWW-Authenticate", "RFC 6750 §3", rules.BEARER_CHALLENGE),
    ("header WWW-Authenticate", "RFC 6749 §5.2", rules.BASIC_CHALLENGE),
    ("header Allow", "RFC 9110 §15.5.6", rules.ALLOW_HEADER),
    ("header WWW-Authenticate", "spec", rules.CONFORMS),  # the item, but not on the rule's RFC
    ("header Allow", "RFC 6750 §3", rules.CONFORMS),  # the RFC, but not the rule's item
    ("body total", "spec", rules.CONFORMS),
])
def test_an_item_is_judged_by_the_rule_naming_it_on_the_rfc_the_spec_cites(part, basis, rule):
    assert rules.judged_by(part, basis) is rule


@pytest.mark.parametrize(("failed", "rule"), [
    (failure("AcceptedNegativeData"), rules.ACCEPTED_INVALID_INPUT),
    (failure("RejectedPositiveData"), rules.REJECTED_VALID_INPUT),
    (failure("UndefinedStatusCode", status_code=400), rules.UNDOCUMENTED_REFUSAL),
    (failure("UndefinedStatusCode", status_code=404), rules.UNDOCUMENTED_REFUSAL),
    (failure("UndefinedStatusCode", status_code=499), rules.UNDOCUMENTED_REFUSAL),
    (failure("UndefinedStatusCode", status_code=399), rules.UNDOCUMENTED_STATUS),
    (failure("UndefinedStatusCode", status_code=401), rules.UNDOCUMENTED_STATUS),
    (failure("UndefinedStatusCode", status_code=403), rules.UNDOCUMENTED_STATUS),
    (failure("UndefinedStatusCode", status_code=500), rules.UNDOCUMENTED_STATUS),
    (failure("UndefinedStatusCode"), rules.UNDOCUMENTED_STATUS),
    (failure("UnsupportedMethodResponse", failure_reason="missing_allow_header", status_code=405), rules.ALLOW_HEADER),
    (failure("UnsupportedMethodResponse", failure_reason="wrong_status_code", status_code=200),
     rules.WRONG_METHOD),
    (failure("UnsupportedMethodResponse", status_code=499), rules.WRONG_METHOD),
    (failure("UnsupportedMethodResponse", status_code=500), rules.NO_SERVER_ERROR),
    (failure("UnsupportedMethodResponse"), rules.NO_SERVER_ERROR),
    (failure("AllowHeaderMismatch", missing_methods=["GET"]), rules.ALLOW_HEADER),
    (failure("AllowHeaderMismatch", missing_methods=[]), rules.ALLOW_LISTS_MORE),
    (failure("AllowHeaderMismatch"), rules.ALLOW_LISTS_MORE),
    *[(failure(name), rules.CONFORMS) for name in (
        "JsonSchemaError", "MissingHeaders", "MalformedJson", "MissingContentType", "UndefinedContentType",
        "MalformedMediaType", "ContentDeserializationError")],
    (failure("ServerError"), rules.NO_SERVER_ERROR),
    (failure("ContentTypeServerError"), rules.NO_SERVER_ERROR),
    (failure("ServerError", exception=AssertionError("a plain assertion, no rule")), rules.NO_SERVER_ERROR),
    (failure("IgnoredAuth"), rules.NO_TOKEN),
], ids=lambda value: type(value).__name__ if not isinstance(value, rules.Rule) else "")
def test_each_schemathesis_failure_breaks_its_rule(failed, rule):
    assert rules.schemathesis_rule(failed) is rule


def test_our_own_check_inside_schemathesis_keeps_its_rule_whatever_the_failure_is_called():
    own = ContractViolation(rules.TOTALS_ADD_UP, "5", "4", None)
    assert rules.schemathesis_rule(failure("ServerError", exception=own)) is rules.TOTALS_ADD_UP


def test_a_failure_the_suite_does_not_know_is_a_break_named_by_its_title_or_its_class():
    titled = rules.schemathesis_rule(failure("BrandNewCheck", title="A new check"))
    assert (titled.text, titled.basis, titled.kind) == ("schemathesis: A new check", "spec", rules.BREAK)
    assert rules.schemathesis_rule(failure("BrandNewCheck")).text == "schemathesis: BrandNewCheck"
