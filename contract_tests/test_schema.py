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
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from . import (
    checks,  # noqa: F401  (registers the envelope and paging checks with schemathesis)
    rules,
)
from .client import BudgetExhausted, ContractClient, TokenSource
from .conftest import ContractSettings
from .paths import TOKEN_PATH
from .run_report import Finding, RunReport


@schemathesis.check
def error_responses_use_the_envelope(ctx: Any, response: Any, case: Any) -> None:
    checks.error_body_is_the_envelope(response, case.path, response.request.method or case.method)


@schemathesis.check
def history_pages_are_consistent(ctx: Any, response: Any, case: Any) -> None:
    """On pages answering schema-valid requests only: what a server makes of an invalid one
    (a clamped limit, an ignored offset) is its own business, judged as drift elsewhere."""
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    if case.path.rstrip("/").endswith("/balances/history") and case.method.upper() == "GET" and not negative:
        query = case.query or {}
        try:
            parsed = {k: v for k, v in query.items() if k in ("currency", "type")}
            parsed.update({k: int(query[k]) for k in ("limit", "offset") if k in query})
        except (TypeError, ValueError):
            return  # a negative case: the server must have refused it, which other checks verify
        checks.history_page_is_consistent(response, parsed)


@pytest.fixture(scope="session")
def contract_schema(spec: dict[str, Any], settings: ContractSettings, main_tokens: TokenSource) -> Any:
    schema = schemathesis.openapi.from_dict(spec)
    schema.config.update(base_url=settings.base_url)
    schema.config.seed = settings.seed
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=settings.examples,
        deterministic=True,
        database="none",
    )

    class Bearer:
        """Real tokens from the client-credentials flow on every operation but the token endpoint."""

        def get(self, case: Any, ctx: Any) -> str:
            return main_tokens.token()

        def set(self, case: Any, data: str, ctx: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    schema.auth(refresh_interval=None).skip_for(path=TOKEN_PATH)(Bearer)
    return schema


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
