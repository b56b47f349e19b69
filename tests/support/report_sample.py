"""A realistic run report of the contract suite, in the shape ``contract_tests.html_report`` reads.

One failing run against a local mock: a break, two drifts, a skipped scope rule, and a coverage
matrix with two holes. ``sample_report(**overrides)`` replaces top-level keys, so a test states
only what it is about (``sample_report(breaks=[], verdict="pass")``).
"""

from __future__ import annotations

import copy
from typing import Any

BASE_URL = "http://127.0.0.1:8000"
BALANCES = "/user/balances/"
HISTORY = "/user/balances/history/"
REDACTED = "-H 'Authorization: Bearer [REDACTED]'"


def _curl(path: str) -> str:
    return f"curl -X GET {REDACTED} '{BASE_URL}{path}'"


def _schema_rule(method: str, path: str) -> str:
    return f"test_schema.py::test_operation_conforms_to_the_spec[{method} {path}]"


def _item(operation: str, path: str, status: str, part: str, basis: str,
          rules: list[tuple[str, int, int]], method: str = "GET") -> dict[str, Any]:
    return {"operation": operation, "method": method, "path": path, "status": status, "part": part, "basis": basis,
            "rules": [{"rule": rule, "passed": passed, "failed": failed} for rule, passed, failed in rules]}


def _coverage_items() -> list[dict[str, Any]]:
    history, balances = _schema_rule("GET", HISTORY), _schema_rule("GET", BALANCES)
    newest_first = "test_pagination.py::test_history_is_newest_first"
    envelope = "test_errors.py::test_errors_use_the_envelope"
    return [
        _item("getBalanceHistory", HISTORY, "200", "header Content-Type", "spec", [(history, 12, 0)]),
        _item("getBalanceHistory", HISTORY, "200", "body history[].amount", "spec",
              [(history, 12, 0), ("test_ledger.py::test_history_sums_to_the_balance", 3, 0)]),
        _item("getBalanceHistory", HISTORY, "200", "body history[].created_at", "docs",
              [(history, 12, 0), (newest_first, 0, 1)]),
        _item("getBalanceHistory", HISTORY, "200", "body count", "spec", [(history, 12, 0)]),
        _item("getBalanceHistory", HISTORY, "400", "body error.code", "decision", [(envelope, 4, 0)]),
        _item("getBalanceHistory", HISTORY, "400", "body error.details", "decision", []),
        _item("getBalanceHistory", HISTORY, "429", "header Retry-After", "RFC 6585 §4", []),
        _item("getBalances", BALANCES, "200", "header Content-Type", "spec", [(balances, 6, 0)]),
        _item("getBalances", BALANCES, "200", "body account.*", "spec", [(balances, 6, 0)]),
        _item("getBalances", BALANCES, "401", "header WWW-Authenticate", "RFC 6750 §3",
              [("test_auth.py::test_missing_token_is_401", 2, 0)]),
        _item("getToken", "/o/token/", "200", "body access_token", "RFC 6749 §5.1",
              [("test_auth.py::test_token_endpoint_issues_a_bearer_token", 1, 0)], method="POST"),
    ]


def _timings() -> list[dict[str, Any]]:
    tests = [(f"contract_tests/test_schema.py::test_operation_conforms_to_the_spec[GET {HISTORY}]", 2.41),
             (f"contract_tests/test_schema.py::test_operation_conforms_to_the_spec[GET {BALANCES}]", 1.37),
             ("contract_tests/test_ledger.py::test_history_sums_to_the_balance", 0.58),
             ("contract_tests/test_pagination.py::test_history_is_newest_first", 0.31)]
    tests += [(f"contract_tests/test_filters.py::test_currency_filter[case-{n}]", round(0.01 * n, 2))
              for n in range(1, 15)]
    return [{"test": test, "seconds": seconds} for test, seconds in tests]


def sample_report(**overrides: Any) -> dict[str, Any]:
    """A failing run's report (1 break, 2 drift, 1 skipped, 2 holes); ``overrides`` replace top-level keys."""
    report: dict[str, Any] = {
        "verdict": "fail",
        "strict": False,
        "settings": {"base_url": BASE_URL, "seed": 1, "examples": 25, "max_requests": 3000, "window": 300,
                     "spec": "/work/balances-mock/spec/openapi.yaml"},
        "requests_sent": 812,
        "started_at": "2026-11-25T10:00:00Z",
        "duration_s": 6.2,
        "counts": {"passed": 40, "failed": 1, "drift": 2, "skipped": 1, "rules": 44},
        "breaks": [{
            "rule": "history is newest first", "basis": "docs",
            "test": "contract_tests/test_pagination.py::test_history_is_newest_first",
            "expected": "entry 3 at or before 2025-01-14T15:20:00Z", "got": "entry 3 at 2025-01-15T09:30:00Z",
            "reproduce": _curl(f"{HISTORY}?limit=100"),
        }],
        "drift": [
            {"rule": "bad parameters are refused with 400", "basis": "decision",
             "decision": "invalid-parameters-refused",
             "test": "contract_tests/test_errors.py::test_bad_parameters_are_refused[limit=0]",
             "expected": "400", "got": "200 '{\"count\": 0, \"history\": []}'",
             "reproduce": _curl(f"{HISTORY}?limit=0")},
            {"rule": "an unknown currency is refused", "basis": "decision", "decision": "unknown-currency-refused",
             "test": "contract_tests/test_filters.py::test_unknown_currency_is_refused",
             "expected": "400 with error.code invalid_request", "got": "200 with an empty history",
             "reproduce": _curl(f"{HISTORY}?currency=NOPE")},
        ],
        "skipped": [{
            "test": "contract_tests/test_auth.py::test_read_scope_cannot_read_balances",
            "rule": "balances need the write scope",
            "reason": "scope rules need a read-only credential: pass --read-client-id or --read-token",
        }],
        "coverage": {"reached": 9, "total": 11, "items": _coverage_items()},
        "timings": _timings(),
    }
    report.update(copy.deepcopy(overrides))
    return report
