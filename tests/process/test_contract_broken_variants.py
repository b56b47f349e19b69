"""Each deliberately broken variant of the mock is caught by the rule meant for it, by no other
rule, and as a break (never drift). A variant only the property-based test can catch runs it
with few examples; the others run every named rule without it.
"""

from __future__ import annotations

import pytest

from ..support.contract import CREDENTIALS, SMALL_WINDOW, USER_TRACEBACKS, WITHOUT_SCHEMA, variant_url
from ..support.variants import BROKEN, Variant

pytestmark = pytest.mark.slow
SCHEMA_EXAMPLES = ("--examples", "5")


def texts(rules) -> set[str]:
    return {rule.text for rule in rules}


@pytest.mark.parametrize("variant", BROKEN, ids=lambda v: v.name)
def test_suite_catches_each_broken_variant_by_its_rule(contract, variants_server, variant: Variant):
    scope = SCHEMA_EXAMPLES if variant.schema else WITHOUT_SCHEMA
    read_as_a_user = variant.name == "ledger-statistics-off"  # its failure report is read below, tracebacks and all
    run = contract(variant_url(variants_server, variant), *CREDENTIALS, *scope, *SMALL_WINDOW,
                   *(USER_TRACEBACKS if read_as_a_user else ()))
    assert run.returncode == 1, run.output
    missed = texts(variant.breaks) - run.broken
    assert not missed, f"{variant.name} was not caught by {missed}:\n{run.output}"
    accidental = run.broken - texts(variant.breaks + variant.may_break)
    assert not accidental, f"{variant.name} also broke unrelated rules: {accidental}\n{run.output}"
    assert run.drifted <= texts(variant.may_drift), f"{variant.name} was taken for drift: {run.drifted}"
    uncaught = [test for test in variant.caught_by if f"contract_tests/{test}" not in run.failed]
    assert not uncaught, f"{variant.name} got past {uncaught} (failed: {sorted(run.failed)})\n{run.output}"
    if variant.alone:  # one broken item, one failure: every other rule still ran, and held
        assert run.failed == {f"contract_tests/{test}" for test in variant.caught_by}, sorted(run.failed)
        assert run.passed >= 50, run.output
    assert "balances contract: FAIL" in run.output
    if read_as_a_user:  # one failure report, read as a user reads it
        assert "Contract rule broken: statistics count the history's deposits and withdrawals" in run.output
        assert "expected: total_deposits=" in run.output and "got:      total_deposits=" in run.output
        assert "reproduce: curl -X GET" in run.output and "Authorization: Bearer [REDACTED]" in run.output
        assert "eyJ" not in run.output  # no token leaks into the report
