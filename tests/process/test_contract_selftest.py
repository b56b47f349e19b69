"""The contract suite proves its own strength: it passes against the mock (strictly, every
documented item checked), fails against each deliberately broken variant by the rule meant to
catch it and by no other, and passes against the backward-compatible variants.

The suite runs in-process (``support.contract``), each variant with only what it needs: the
variants only the property-based test can catch run it with few examples, the others run
every named rule without it, and the compatible variants run together once. The broken
variants, the lenient ones (drift) and the item-by-item breaks of the coverage matrix have
files of their own, so that test files spread evenly over the workers.
"""

from __future__ import annotations

import pytest
import requests

from ..support.contract import CREDENTIALS, WITHOUT_SCHEMA, variant_url
from ..support.mock import start_server
from ..support.variants import ALL_COMPATIBLE, BROKEN, UNKNOWN_TYPES

pytestmark = pytest.mark.slow
def test_suite_passes_against_the_mock_strictly_and_checks_every_documented_item(contract, server, tmp_path):
    run = contract(server.url, *CREDENTIALS, "--contract-strict", "--contract-html", str(tmp_path / "report.html"))
    assert run.returncode == 0 and not run.failed, run.output
    assert not run.skipped, run.skipped
    assert run.passed >= 50
    assert not run.report.findings, run.report.findings
    assert not run.report.holes, [item.key for item in run.report.holes]
    total = len(run.report.contract.items)
    assert f"{total} of {total} documented items checked by this run" in run.output
    assert "balances contract: PASS (no breaks, no drift)" in run.output
    assert (tmp_path / "report.html").stat().st_size > 10_000


def test_suite_passes_backward_compatible_variants_together(contract, variants_server):
    """Extra fields and headers, a new currency at zero, fractional seconds and 429s with
    Retry-After, all at once: the suite, schema examples included, passes."""
    run = contract(variant_url(variants_server, ALL_COMPATIBLE), *CREDENTIALS)
    assert run.returncode == 0 and not run.failed, run.output
    assert run.passed >= 50 and not run.report.findings, run.report.findings


def test_a_rule_that_can_check_nothing_says_so(contract, variants_server):
    """Every entry of a type the contract does not know the direction of: the balance chain
    rule is skipped with its reason, never passed."""
    run = contract(variant_url(variants_server, UNKNOWN_TYPES), *CREDENTIALS, *WITHOUT_SCHEMA)
    assert run.returncode == 0 and not run.report.findings, run.output
    chain = "contract_tests/test_ledger.py::test_balance_after_moves_by_amount"
    assert chain in run.skipped, run.output
    assert "no link of the balance chain could be checked" in run.output
    assert any(skip["test"].endswith("test_balance_after_moves_by_amount") for skip in run.report.skipped)


def test_against_an_empty_account_the_rules_that_need_data_say_so(contract):
    mock = start_server("--scenario", "empty")
    try:
        run = contract(mock.url, *CREDENTIALS, *WITHOUT_SCHEMA)
    finally:
        mock.stop()
    assert run.returncode == 0 and not run.report.findings, run.output
    skipped = {test.split("::", 1)[1].split("[", 1)[0] for test in run.skipped}
    assert skipped == {"test_currency_filter_matches_exactly_and_totals_add_up", "test_type_filter_matches_exactly",
                       "test_combined_filters_match_exactly", "test_filters_are_case_sensitive",
                       "test_each_balance_is_the_newest_balance_after",
                       "test_balance_after_moves_by_amount", "test_paging_gives_every_entry_once_in_order",
                       "test_history_is_newest_first", "test_order_is_stable_between_calls"}, run.output
    assert "rules that checked nothing" in run.output and "the history is empty" in run.output


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
