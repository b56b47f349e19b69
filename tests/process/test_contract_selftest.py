"""The contract suite proves its own strength: it passes against the mock, fails against each
deliberately broken variant by the rule meant to catch it, and passes against every
backward-compatible variant."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import ROOT, MockServer, launch
from .variants import BROKEN, COMPATIBLE, VARIANTS, Variant

CREDENTIALS = ["--client-id", "demo", "--client-secret", "demo-secret",
               "--read-client-id", "demo-read", "--read-client-secret", "demo-secret"]


@dataclass
class Run:
    returncode: int
    failed: set[str]
    skipped: set[str]
    passed: int
    output: str


def run_contract(base_url: str, tmp: Path, *args: str, command: list[str] | None = None) -> Run:
    """The contract suite in its own process, as a user runs it; results read from JUnit XML."""
    report = tmp / f"junit-{abs(hash((base_url, args)))}.xml"
    command = command or [sys.executable, "-m", "pytest", str(ROOT / "contract_tests"), "--base-url", base_url]
    result = subprocess.run([*command, *args, "--junitxml", str(report), "-q"],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    failed, skipped, passed = set(), set(), 0
    for case in ET.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            failed.add(name)
        elif case.find("skipped") is not None:
            skipped.add(name)
        else:
            passed += 1
    return Run(result.returncode, failed, skipped, passed, result.stdout + result.stderr)


@pytest.fixture(scope="session")
def variants_server() -> MockServer:
    server = launch([sys.executable, "-m", "tests.variants"], cwd=ROOT)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def variant_runs(variants_server, tmp_path_factory) -> dict[str, Run]:
    """Every variant's run, two at a time (the machine has two cores)."""
    tmp = tmp_path_factory.mktemp("variants")
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = pool.map(lambda v: run_contract(f"{variants_server.url}/v/{v.name}", tmp, *CREDENTIALS),
                        VARIANTS.values())
        return dict(zip(VARIANTS, runs, strict=True))


def matches(test: str, patterns: tuple[str, ...]) -> bool:
    return any(pattern in test for pattern in patterns)


def test_suite_passes_against_the_mock(server, tmp_path):
    run = run_contract(server.url, tmp_path, *CREDENTIALS)
    assert run.returncode == 0 and not run.failed, run.output
    assert not run.skipped, run.skipped
    assert run.passed >= 35


@pytest.mark.parametrize("variant", BROKEN, ids=lambda v: v.name)
def test_suite_catches_each_broken_variant_by_its_rule(variant_runs, variant: Variant):
    run = variant_runs[variant.name]
    assert run.returncode == 1, run.output
    caught = {test for test in run.failed if matches(test, variant.must_fail)}
    assert caught, f"{variant.name} was not caught by {variant.must_fail}:\n{run.output}"
    accidental = {test for test in run.failed if not matches(test, variant.must_fail + variant.may_fail)}
    assert not accidental, f"{variant.name} also failed unrelated rules: {accidental}\n{run.output}"


@pytest.mark.parametrize("variant", COMPATIBLE, ids=lambda v: v.name)
def test_suite_passes_backward_compatible_variants(variant_runs, variant: Variant):
    run = variant_runs[variant.name]
    assert run.returncode == 0 and not run.failed, run.output


def test_failure_messages_name_rule_expectation_and_curl(variant_runs):
    output = variant_runs["ledger-statistics-off"].output
    assert "Contract rule broken: statistics count the history's deposits and withdrawals" in output
    assert "expected: total_deposits=" in output and "got:      total_deposits=" in output
    assert "reproduce: curl -X GET" in output and "Authorization: Bearer [REDACTED]" in output
    assert "eyJ" not in output  # no token leaks into the report


def test_ledger_rules_can_be_switched_off_by_marker(variants_server, tmp_path):
    url = f"{variants_server.url}/v/ledger-balance-disagrees"
    run = run_contract(url, tmp_path, *CREDENTIALS, "-m", "not ledger")
    assert run.returncode == 0, run.output


def test_scope_rules_skip_with_a_reason_without_a_read_credential(server, tmp_path):
    run = run_contract(server.url, tmp_path, "--client-id", "demo", "--client-secret", "demo-secret")
    assert run.returncode == 0, run.output
    assert run.skipped == {"contract_tests.test_auth::test_read_only_token_on_balances_is_403",
                           "contract_tests.test_auth::test_read_only_token_reads_history"}


def test_ready_tokens_and_environment_variables(server, tmp_path):
    env_run = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "contract_tests"), "-q", "-k", "pagination or auth"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
        env={**os.environ, "BALANCES_BASE_URL": server.url, "BALANCES_TOKEN": server.token(),
             "BALANCES_READ_TOKEN": server.token("demo-read")})
    assert env_run.returncode == 0, env_run.stdout + env_run.stderr
    assert "passed" in env_run.stdout and "failed" not in env_run.stdout


def test_request_budget_skips_instead_of_failing(server, tmp_path):
    run = run_contract(server.url, tmp_path, *CREDENTIALS, "--max-requests", "10")
    assert run.returncode == 0, run.output
    assert run.skipped and "request budget of 10 is spent" in run.output


def test_missing_base_url_is_a_usage_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "contract_tests"), "-q"],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env={k: v for k, v in os.environ.items() if not k.startswith("BALANCES_")})
    assert result.returncode == 4
    assert "--base-url" in result.stderr


def test_contract_tests_import_nothing_from_mock_server():
    for source in (ROOT / "contract_tests").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.split(".")[0] == "mock_server" for n in names), source
