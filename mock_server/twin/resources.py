"""The resource operations: the client's account as it is now, then JSON (pipeline.py says
what runs before: faults, routing, the token, the rate limit, the scopes, validation).

Which operations exist, their paths, methods and scopes all come from the spec; this module
adds what the spec cannot say: how each operation reads the account.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from flask import Response

from mock_server.serializer import json_response
from mock_server.twin.accounts import Accounts, View

if TYPE_CHECKING:
    from mock_server.twin.request import RequestState


class Resources:
    """Answers the resource operations, each client from its own account."""

    def __init__(self, accounts: Accounts) -> None:
        self._accounts = accounts
        self._handlers: dict[str, Callable[[View, Mapping[str, Any]], Response]] = {
            "getAccountBalances": lambda view, params: json_response(view.balances_json),
            "getBalanceHistory": lambda view, params: json_response(
                view.page(params.get("currency"), params.get("type"), params["limit"], params["offset"])),
        }

    def answer(self, state: RequestState) -> Response:
        """A verified, authorized, validated request's answer, from its client's account."""
        handler = self._handlers[state.operation.operation_id]  # type: ignore[union-attr]
        view = self._accounts.view(state.identity.client_id, state.version)  # type: ignore[union-attr]
        return handler(view, state.params)  # type: ignore[arg-type]
