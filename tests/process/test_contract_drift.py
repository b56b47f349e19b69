"""A server that keeps every documented promise but takes one of the spec's decisions its own
way is drift, not a broken contract: the run passes, reports the difference with a curl that
shows it, and fails only when asked to be strict.

Each decision-only variant (one per decision of the spec, ``DECIDING``) runs every named rule,
then its decision's check (the spec's ``x-decisions``) again under ``--contract-strict``; the
decisions only the property-based test checks run it, with a few examples; the lenient ones
together run it too (schemathesis sends the invalid input as well, and must see drift, not a
break).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from contract_tests import rules

from ..support import ROOT, read_yaml
from ..support.contract import CREDENTIALS, SMALL_WINDOW, WITHOUT_SCHEMA, variant_url
from ..support.variants import ALL_LENIENT, DECIDING, EARLIER_TWIN, LENIENT, Variant

LIMIT_CLAMPED = next(v for v in LENIENT if v.name == "lenient-limit-clamped-to-100")
SPEC = read_yaml(ROOT / "spec" / "openapi.yaml")
CHECKS = {decision.id: decision.check for decision in rules.decisions(SPEC)}
SCHEMA_EXAMPLES = ("--examples", "5")

pytestmark = pytest.mark.slow


def checks_of(variant: Variant) -> tuple[str, ...]:
    """``-k`` for the checks of the decisions a variant departs from (their test functions)."""
    names = sorted({CHECKS[rule.decision].split("::", 1)[1] for rule in variant.drifts})
    return ("-k", " or ".join(names))


@pytest.mark.parametrize("variant", [v for v in DECIDING if not v.schema], ids=lambda v: v.name)
def test_a_decision_only_server_passes_with_its_drift_reported_and_fails_strictly(contract, variants_server,
                                                                                  variant: Variant, tmp_path,
                                                                                  monkeypatch):
    """Every rule runs and passes, the decision's drift reported (JUnit too); under --strict the
    decision's check fails the run (issue 28: every decision is checked under --strict)."""
    url = variant_url(variants_server, variant)
    run = contract(url, *CREDENTIALS, *SMALL_WINDOW, *WITHOUT_SCHEMA, "--junitxml", str(tmp_path / "junit.xml"))
    assert run.returncode == 0 and not run.failed, run.output
    assert not run.broken, run.broken
    expected = {rule.text for rule in variant.drifts}
    assert expected <= run.drifted, f"{variant.name}: expected drift {expected}, got {run.drifted}\n{run.output}"
    decided = {finding.decision for finding in run.report.drift}
    assert decided == {rule.decision for rule in variant.drifts}, decided
    assert "where this server differs from the mock's assumptions (drift)" in run.output
    assert f"[decision: {variant.drifts[0].decision}]" in run.output
    assert f"   drift  {variant.drifts[0].decision}  ({CHECKS[variant.drifts[0].decision]})" in run.output
    assert "reproduce: curl" in run.output and "eyJ" not in run.output  # no token leaks into the report
    assert "balances contract: PASS (no breaks; " in run.output
    assert 'name="drift"' in (tmp_path / "junit.xml").read_text()  # JUnit carries it as a test property

    monkeypatch.setenv("BALANCES_STRICT", "1")  # as a CI job would set it; the flag is --contract-strict
    strict = contract(url, *CREDENTIALS, *SMALL_WINDOW, *checks_of(variant))
    assert strict.returncode == 1, strict.output
    assert expected <= strict.drifted and not strict.broken
    assert "balances contract: FAIL (strict: " in strict.output


@pytest.mark.parametrize("variant", [v for v in DECIDING if v.schema], ids=lambda v: v.name)
def test_a_decision_only_the_schema_checks_is_drift_and_fails_strictly(contract, variants_server, variant: Variant):
    url = variant_url(variants_server, variant)
    run = contract(url, *CREDENTIALS, *SMALL_WINDOW, *SCHEMA_EXAMPLES, "-k", "test_schema")
    assert run.returncode == 0 and not run.broken, run.output
    assert {rule.text for rule in variant.drifts} <= run.drifted, run.output
    strict = contract(url, *CREDENTIALS, *SMALL_WINDOW, *SCHEMA_EXAMPLES, "-k", "test_schema", "--contract-strict")
    assert strict.returncode == 1 and not strict.broken, strict.output


def test_the_twin_s_earlier_answers_are_drift_and_fail_strictly(contract, variants_server):
    """Issue 28: the 405 to HEAD and OPTIONS, the 404 for a missing slash and the old realm,
    which the twin answered before, are drift like any other server's; --strict fails them."""
    url = variant_url(variants_server, EARLIER_TWIN)
    run = contract(url, *CREDENTIALS, *SMALL_WINDOW, *WITHOUT_SCHEMA)
    assert run.returncode == 0 and not run.broken, run.output
    assert {f.decision for f in run.report.drift} == {"trailing-slash", "head-like-get", "options-metadata",
                                                      "bearer-realm"}, run.output
    verdicts = {row["id"]: row["verdict"] for row in run.report.decision_verdicts()}
    assert verdicts["trailing-slash"] == "drift" and verdicts["paging-defaults"] == "held"
    assert verdicts["valid-input-accepted"] == "not run"  # its check, the schema test, was deselected


def test_schemathesis_sees_a_lenient_server_as_drift(contract, variants_server):
    run = contract(variant_url(variants_server, ALL_LENIENT), *CREDENTIALS, *SMALL_WINDOW, "--examples", "5",
                   "-k", "test_schema")
    assert run.returncode == 0 and not run.broken, run.output
    assert rules.ACCEPTED_INVALID_INPUT.text in run.drifted, run.output


def test_the_command_fails_strictly_and_writes_the_html(variants_server, tmp_path):
    command = [sys.executable, "-m", "mock_server", "contract", variant_url(variants_server, LIMIT_CLAMPED),
               "--client-id", "demo", "--client-secret", "demo-secret", "-k", "test_bad_parameters",
               "--strict", "--html", "report.html"]
    strict = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "balances contract: FAIL (strict: 2 drift)" in strict.stdout
    assert "strict: 2 drift fail the run" in (tmp_path / "report.html").read_text()
