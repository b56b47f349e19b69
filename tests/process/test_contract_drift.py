"""A server that keeps every documented promise but takes one of the spec's decisions its own
way is drift, not a broken contract: the run passes, reports the difference with a curl that
shows it, and fails only when asked to be strict.

Each lenient variant runs every named rule, then the rules on bad parameters again under
``--contract-strict``; all of them together run the property-based test too, with a few
examples (schemathesis sends the invalid input as well, and must see drift, not a break).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from contract_tests import rules

from ..support.contract import CREDENTIALS, SMALL_WINDOW, WITHOUT_SCHEMA, variant_url
from ..support.variants import ALL_LENIENT, LENIENT, Variant

LIMIT_CLAMPED = next(v for v in LENIENT if v.name == "lenient-limit-clamped-to-100")

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("variant", LENIENT, ids=lambda v: v.name)
def test_a_lenient_server_passes_with_its_drift_reported_and_fails_strictly(contract, variants_server,
                                                                           variant: Variant, tmp_path, monkeypatch):
    url = variant_url(variants_server, variant)
    run = contract(url, *CREDENTIALS, *SMALL_WINDOW, *WITHOUT_SCHEMA, "--junitxml", str(tmp_path / "junit.xml"))
    assert run.returncode == 0 and not run.failed, run.output
    assert not run.broken, run.broken
    expected = {rule.text for rule in variant.drifts}
    assert expected <= run.drifted, f"{variant.name}: expected drift {expected}, got {run.drifted}\n{run.output}"
    assert "where this server differs from the mock's assumptions (drift)" in run.output
    assert f"[decision: {variant.drifts[0].decision}]" in run.output
    assert "reproduce: curl" in run.output and "Bearer [REDACTED]" in run.output
    assert "balances contract: PASS (no breaks; " in run.output
    assert 'name="drift"' in (tmp_path / "junit.xml").read_text()  # JUnit carries it as a test property

    monkeypatch.setenv("BALANCES_STRICT", "1")  # as a CI job would set it; the flag is --contract-strict
    strict = contract(url, *CREDENTIALS, "-k", "test_bad_parameters")
    assert strict.returncode == 1, strict.output
    assert expected <= strict.drifted and not strict.broken
    assert "balances contract: FAIL (strict: " in strict.output


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
