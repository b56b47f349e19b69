"""Schema conformance, property-based: schemathesis generates valid and invalid requests for
every operation of the spec and runs all its default checks, plus our envelope and paging
checks, on every response.

Each failure is sorted by ``rules.schemathesis_rule``: a break fails the example (and
hypothesis shrinks it); drift, such as accepting input the spec refuses, is recorded with a
curl that shows it and fails only under ``--contract-strict``."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from schemathesis.core.failures import FailureGroup

from . import rules
from .client import BudgetExhausted, ContractClient, TokenSource
from .conftest import ContractSettings
from .fuzzing import configured  # registers the envelope and paging checks with schemathesis
from .run_report import Finding, RunReport


@pytest.fixture(scope="session")
def contract_schema(spec: dict[str, Any], settings: ContractSettings, main_tokens: TokenSource) -> Any:
    return configured(schemathesis.openapi.from_dict(spec), settings.base_url, main_tokens, settings.seed,
                      settings.examples)


schema = schemathesis.pytest.from_fixture("contract_schema")


@schema.parametrize()
def test_operation_conforms_to_the_spec(case: Any, client: ContractClient, run_report: RunReport) -> None:
    try:
        case.call_and_validate(session=client.session)
    except BudgetExhausted as spent:
        pytest.skip(str(spent))
    except FailureGroup as group:
        breaks = [failure for failure in group.exceptions if rules.schemathesis_rule(failure).kind == rules.BREAK]
        for failure in group.exceptions:
            rule = rules.schemathesis_rule(failure)
            if rule.kind == rules.DRIFT:
                first_line = failure.message.strip().splitlines()[0] if failure.message else ""
                run_report.found(Finding.of(rule, run_report.current, rule.text,
                                            f"{failure.title}: {first_line}", case.as_curl_command()))
        if breaks or run_report.strict:
            raise
