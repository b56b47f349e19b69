"""The resource operations: their query, then the ledger, then JSON (pipeline.py says what
runs before: faults, routing, the token, the rate limit, the scopes).

Which operations exist, their paths, methods and scopes all come from the spec; this module
adds what the spec cannot say: how each operation reads the ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from flask import Response

from .errors import ApiError
from .ledger import Ledger
from .render import entry_renderer, render_balances, render_history
from .serializer import json_response, to_json
from .validation import RequestInvalid, SpecValidator

if TYPE_CHECKING:
    from .pipeline import RequestState


@dataclass(frozen=True)
class Operation:
    """One resource operation of the spec."""

    operation_id: str
    path: str
    method: str
    scopes: frozenset[str]


def resource_operations(spec: Mapping[str, Any]) -> list[Operation]:
    """The operations secured by OAuth bearer tokens, with the scopes each requires."""
    operations = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for requirement in operation.get("security", []):
                if "oauth2" in requirement:
                    operations.append(Operation(operation["operationId"], path, method,
                                                frozenset(requirement["oauth2"])))
    return operations


class Resources:
    """Answers the resource operations, each client from its own account's ledger."""

    def __init__(self, ledgers: Mapping[str, Ledger], validator: SpecValidator) -> None:
        self._ledgers = dict(ledgers)
        self._validator = validator
        # Ledgers never change, so neither do their balances bodies nor their rendered
        # entries; clients re-read the newest pages far more than old ones, so a bounded
        # memo of rendered entries saves formatting the same amounts again and again.
        balances = {id(ledger): to_json(render_balances(ledger)) for ledger in self._ledgers.values()}
        rendered = {id(ledger): _memoised_entries(ledger) for ledger in self._ledgers.values()}
        self._handlers: dict[str, Callable[[Ledger, Mapping[str, Any]], Response]] = {
            "getAccountBalances": lambda ledger, params: json_response(balances[id(ledger)]),
            "getBalanceHistory": lambda ledger, params: json_response(
                render_history(ledger, params, rendered[id(ledger)])),
        }

    def validate(self, state: RequestState) -> None:
        """Pipeline step: the query parameters of a resource request, as the spec allows them (400
        otherwise). The token endpoint checks its own form."""
        operation = state.operation
        if operation is None:
            return
        try:
            state.params = self._validator.query(operation.path, operation.method, state.request.query_string)
        except RequestInvalid as invalid:
            names = ", ".join(invalid.details)
            raise ApiError(400, "invalid_request", f"Invalid query parameters: {names}.",
                           invalid.details) from None

    def answer(self, state: RequestState) -> Response:
        """A verified, authorized, validated request's answer, from its client's ledger."""
        handler = self._handlers[state.operation.operation_id]  # type: ignore[union-attr]
        return handler(self._ledgers[state.identity.client_id], state.params)  # type: ignore[union-attr,arg-type]


RENDERED_ENTRIES_PER_LEDGER = 16_384
"""About 8 MB per worker and ledger at most."""


def _memoised_entries(ledger: Ledger) -> Callable[[int], dict[str, str]]:
    return lru_cache(maxsize=RENDERED_ENTRIES_PER_LEDGER)(entry_renderer(ledger))
