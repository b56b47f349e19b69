"""The contract suite proves its own strength: it passes against the mock, fails against each
deliberately broken variant by the rule meant to catch it, and passes against the
backward-compatible variants.

The suite runs in-process (``support.contract``), each variant with only what it needs: the three
variants meant for the schema rules run the property-based test with few examples, the
others run every named rule without it, and the compatible variants run together once.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator

import pytest
import requests

from mock_server.launcher import ServerProcess, launch

from ..support import ROOT
from ..support.contract import CREDENTIALS, WITHOUT_SCHEMA, Run, run_contract
from ..support.mock import start_server
from ..support.variants import ALL_COMPATIBLE, BROKEN, Variant

pytestmark = pytest.mark.slow
SCHEMA_EXAMPLES = ("--examples", "5")


@pytest.fixture(scope="module")
def variants_server() -> Iterator[ServerProcess]:
    server = launch([sys.executable, "-m", "tests.support.variants"], cwd=ROOT)
    yield server
    server.stop()


@pytest.fixture
def contract(capsys, monkeypatch, tmp_path) -> Callable[..., Run]:
    """``contract(base_url, *args)`` runs the suite in-process, from a folder of its own."""
    monkeypatch.chdir(tmp_path)
    return functools.partial(run_contract, capsys)


def variant_url(server: ServerProcess, variant: Variant) -> str:
    return f"{server.url}/v/{variant.name}"


def matches(test: str, patterns: tuple[str, ...]) -> bool:
    return any(pattern in test for pattern in patterns)


def test_suite_passes_against_the_mock(contract, server):
    run = contract(server.url, *CREDENTIALS)
    assert run.returncode == 0 and not run.failed, run.output
    assert not run.skipped, run.skipped
    assert run.passed >= 35


@pytest.mark.parametrize("variant", BROKEN, ids=lambda v: v.name)
def test_suite_catches_each_broken_variant_by_its_rule(contract, variants_server, variant: Variant):
    scope = SCHEMA_EXAMPLES if matches("test_schema", variant.must_fail) else WITHOUT_SCHEMA
    run = contract(variant_url(variants_server, variant), *CREDENTIALS, *scope)
    assert run.returncode == 1, run.output
    caught = {test for test in run.failed if matches(test, variant.must_fail)}
    assert caught, f"{variant.name} was not caught by {variant.must_fail}:\n{run.output}"
    accidental = {test for test in run.failed if not matches(test, variant.must_fail + variant.may_fail)}
    assert not accidental, f"{variant.name} also failed unrelated rules: {accidental}\n{run.output}"
    if variant.name == "ledger-statistics-off":  # one failure report, read as a user reads it
        assert "Contract rule broken: statistics count the history's deposits and withdrawals" in run.output
        assert "expected: total_deposits=" in run.output and "got:      total_deposits=" in run.output
        assert "reproduce: curl -X GET" in run.output and "Authorization: Bearer [REDACTED]" in run.output
        assert "eyJ" not in run.output  # no token leaks into the report


def test_suite_passes_backward_compatible_variants_together(contract, variants_server):
    """Extra fields and headers, a new currency at zero, fractional seconds and 429s with
    Retry-After, all at once: the suite, schema examples included, passes."""
    run = contract(variant_url(variants_server, ALL_COMPATIBLE), *CREDENTIALS)
    assert run.returncode == 0 and not run.failed, run.output
    assert run.passed >= 35


def test_ledger_rules_can_be_switched_off_by_marker(contract, variants_server):
    broken = next(v for v in BROKEN if v.name == "ledger-balance-disagrees")
    run = contract(variant_url(variants_server, broken), *CREDENTIALS, *WITHOUT_SCHEMA,
                       "-m", "not ledger")
    assert run.returncode == 0, run.output


def test_scope_rules_skip_with_a_reason_without_a_read_credential(contract, server):
    run = contract(server.url, "--client-id", "demo", "--client-secret", "demo-secret",
                       *WITHOUT_SCHEMA)
    assert run.returncode == 0, run.output
    assert {test.split("::")[1] for test in run.skipped} == {"test_read_only_token_on_balances_is_403",
                                                             "test_read_only_token_reads_history"}
    assert "scope rules need a read-only credential" in run.output


def test_ready_tokens_and_environment_variables(contract, server, monkeypatch):
    monkeypatch.setenv("BALANCES_BASE_URL", server.url)
    monkeypatch.setenv("BALANCES_TOKEN", server.token())
    monkeypatch.setenv("BALANCES_READ_TOKEN", server.token(("demo-read", "demo-secret")))
    run = contract(None, "-k", "pagination or auth")
    assert run.returncode == 0 and run.passed > 10 and not run.failed, run.output


def test_request_budget_skips_instead_of_failing(contract, server):
    run = contract(server.url, *CREDENTIALS, "--max-requests", "10")
    assert run.returncode == 0, run.output
    assert run.skipped and "request budget of 10 is spent" in run.output


def test_missing_base_url_is_a_usage_error(contract, monkeypatch):
    for name in ("BALANCES_BASE_URL", "BALANCES_TOKEN", "BALANCES_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    run = contract(None)
    assert run.returncode == 4
    assert "--base-url" in run.output


def test_generated_requests_are_the_same_on_every_run(contract):
    """The default run is deterministic: two runs send the same requests (read from the access
    log, sorted, since log lines of concurrent threads may interleave). One worker: each worker
    writes its lines in batches, so only within one are the lines before the marker out with it."""
    mock = start_server("--workers", "1")
    try:
        def requests_sent(run: int) -> list[str]:
            before = len(mock.output)
            result = contract(mock.url, "--client-id", "demo", "--client-secret", "demo-secret",
                                  "-k", "test_schema")
            assert result.returncode == 0, result.output
            marker = f"/end-of-run-{run}"
            requests.get(mock.url + marker, timeout=10)
            mock.wait_for_line(marker, start=before)
            lines = [line for line in mock.output[before:] if 'query="' in line and marker not in line]
            return sorted(line.split('" ', 1)[0] + line.split('query="', 1)[1].split('"')[0]
                          for line in lines if "/o/token/" not in line)

        first, second = requests_sent(1), requests_sent(2)
        assert len(first) > 50 and first == second
    finally:
        mock.stop()
