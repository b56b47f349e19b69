"""schemathesis over a spec, set up once for every property-based run: the suite's own checks
registered beside schemathesis' built-in ones, and a schema configured to generate valid and
invalid requests, deterministically, with real bearer tokens.

``test_schema`` runs it over the API's spec; balances-mock's own tests run it over the
sandbox's (``spec/sandbox.yaml``) against a real server, so both contracts are fuzzed the same
way. Every phase schemathesis has for a single operation (examples, coverage, fuzzing) and
every check it has are on, as its defaults leave them.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis import GenerationMode

from . import checks
from .client import TokenSource
from .paths import TOKEN_PATH

PHASES = ["examples", "coverage", "fuzzing"]
"""Stateful testing needs links between operations, which neither spec has."""
UNEXPECTED_METHODS = {"get", "post", "put", "patch", "delete"}
"""The methods schemathesis tries on a path that lacks them: only those a client of an API may
send, which the API's own code answers. ``TRACE``, ``QUERY`` and the like are often answered by
a front end (nginx, a load balancer) in its own format, which is no verdict on the API; HEAD and
OPTIONS are decisions of the spec, checked by rules of their own."""


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


def configured(schema: Any, base_url: str, tokens: TokenSource, seed: int, examples: int) -> Any:
    """``schema`` (from ``schemathesis.openapi``) set to send to ``base_url``: valid and invalid
    requests, ``examples`` per operation and mode in the fuzzing phase, the same ones for the
    same ``seed``, each with a bearer token from ``tokens`` except on the token endpoint."""
    schema.config.update(base_url=base_url)
    schema.config.seed = seed
    schema.config.phases.update(phases=PHASES)
    schema.config.phases.coverage.unexpected_methods = set(UNEXPECTED_METHODS)
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=examples,
        deterministic=True,
        database="none",
    )

    class Bearer:
        """Real tokens from the client-credentials flow on every operation but the token endpoint."""

        def get(self, case: Any, ctx: Any) -> str:
            return tokens.token()

        def set(self, case: Any, data: str, ctx: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    schema.auth(refresh_interval=None).skip_for(path=TOKEN_PATH)(Bearer)
    return schema
