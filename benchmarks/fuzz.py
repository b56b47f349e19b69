"""Fuzzing, against the mock, in two stages:

1. schemathesis, positive and negative generation, 1,000 examples per operation and mode,
   with all its checks and ours (the envelope and JSON on every error);
2. Hypothesis on what the spec does not describe: arbitrary query strings, Authorization
   and Prefer values, 1,000 cases per operation (the balances operation has no parameters,
   so schemathesis alone finds only a handful of cases for it).

The mock's own log is then read for what came back: zero 5xx is the target.

    python -m benchmarks.fuzz [--examples 1000]
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from collections import Counter

import click
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.harness import ROOT, started, table, token
from contract_tests.checks import ContractViolation, error_body_is_the_envelope
from contract_tests.client import TOKEN_PATH

OPERATIONS = [("GET", "/user/balances/"), ("GET", "/user/balances/history/"), ("POST", TOKEN_PATH)]
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=300)


def raw_fuzz(base_url: str, examples: int) -> list[str]:
    """Arbitrary query strings and header values; every answer must be < 500 and, when an
    error, JSON in the envelope (or RFC 6749's shape at the token endpoint)."""
    failures: list[str] = []
    good = f"Bearer {token(base_url)}"
    session = requests.Session()
    for method, path in OPERATIONS:
        failures += _fuzz_operation(session, base_url, method, path, good, examples)
    return failures


def _fuzz_operation(session: requests.Session, base_url: str, method: str, path: str, good: str,
                    examples: int) -> list[str]:
    failures: list[str] = []

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(query=st.text(max_size=200), authorization=st.one_of(st.just(good), HEADER_TEXT),
           prefer=st.one_of(st.none(), HEADER_TEXT), body=st.binary(max_size=200))
    def case(query: str, authorization: str, prefer: str | None, body: bytes) -> None:
        # As bytes: HTTP header values are latin-1; leading blanks are not a value at all.
        headers = {"Authorization": authorization.encode("latin-1").lstrip()}
        if prefer is not None:
            headers["Prefer"] = prefer.encode("latin-1").lstrip()
        url = f"{base_url}{path}?{requests.utils.quote(query, safe='=&%')}"
        response = session.request(method, url, headers=headers, data=body or None, timeout=30)
        problem = _problem(response, method, path)
        if problem:
            failures.append(f"{method} {url} -> {response.status_code}: {problem}")

    case()
    return failures


def _problem(response: requests.Response, method: str, path: str) -> str | None:
    """What is wrong with an answer: a 5xx nobody asked for with ``Prefer``, or an error body
    that the contract suite's own check refuses."""
    if response.status_code >= 500 and not response.request.headers.get("Prefer"):
        return "a server error"
    # The token endpoint answers both bodies: RFC 6749's from the token view, and the envelope
    # for a Prefer the mock refuses before any view runs (the contract knows no Prefer, so
    # that answer is judged as it would be on any other path).
    problem = _broken_rule(response, method, path)
    if problem and path == TOKEN_PATH and _broken_rule(response, method, "/") is None:
        return None
    return problem


def _broken_rule(response: requests.Response, method: str, path: str) -> str | None:
    try:
        error_body_is_the_envelope(response, path, method)
    except ContractViolation as violation:
        return "; ".join(" ".join(line.split()) for line in str(violation).splitlines()[:3])
    return None


@click.command()
@click.option("--examples", default=1000, show_default=True)
def main(examples: int) -> None:
    command = [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--token-secret",
               secrets.token_urlsafe(32)]
    with started(command) as mock:
        before = len(mock.output)
        suite = subprocess.run(
            [sys.executable, "-m", "pytest", str(ROOT / "contract_tests"), "-q", "-p", "no:cacheprovider",
             "-k", "test_schema", "--base-url", mock.url, "--client-id", "demo", "--client-secret", "demo-secret",
             "--examples", str(examples), "--max-requests", "10000000"],
            capture_output=True, text=True, cwd=ROOT)
        raw_failures = raw_fuzz(mock.url, examples)
    log = mock.output[before:]  # read once the mock has stopped: its workers write their last lines as they exit
    counts: Counter[tuple[str, str]] = Counter()
    for line in log:
        if match := re.search(r'"(\w+) (\S+)" query="[^"]*" (\d{3})', line):
            method, path, status = match.groups()
            counts[(f"{method} {path}", f"{status[0]}xx")] += 1
    operations = sorted({operation for operation, _ in counts})
    rows = [[operation, *(str(counts[(operation, kind)]) for kind in ("2xx", "4xx", "5xx"))]
            for operation in operations]
    print(table(["request", "2xx", "4xx", "5xx"], rows))
    server_errors = sum(n for (_, kind), n in counts.items() if kind == "5xx")
    print(f"\nschemathesis: {suite.stdout.strip().splitlines()[-1] if suite.stdout.strip() else suite.stderr}")
    print(f"requests: {sum(counts.values())}, 5xx: {server_errors}")
    print(f"raw fuzz: {examples} cases per operation, {len(raw_failures)} broken answers")
    for failure in raw_failures[:10]:
        print(f"  {failure}")
    ok = suite.returncode == 0 and server_errors == 0 and not raw_failures
    print("fuzz target met" if ok else "fuzz target MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
