"""The ledger as the API shows it: amounts as 6-place strings, entries in the docs' field order.

One renderer for the mock's responses, the exported fixtures and ledger.json, so all three
show the same account in the same words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from mock_server.ledger.ledger import Entry, LedgerView, format_amount, format_timestamp


def format_amounts(amounts: Mapping[str, int]) -> dict[str, str]:
    """``{currency: micro-units}`` as the API's ``{currency: "5000.000000"}``, in the same order."""
    return {currency: format_amount(micro) for currency, micro in amounts.items()}


def render_entry(entry: Entry) -> dict[str, str]:
    """One history entry as the API shows it, fields in the documentation's order."""
    return {
        "timestamp": format_timestamp(entry.timestamp),
        "currency": entry.currency,
        "type": entry.type,
        "amount": format_amount(entry.amount),
        "balance_after": format_amount(entry.balance_after),
    }


def entry_renderer(ledger: LedgerView) -> Callable[[int], dict[str, str]]:
    """The rendered entry at a position of ``ledger`` (the mock memoises this)."""
    return lambda position: render_entry(ledger.entry(position))


def render_balances(ledger: LedgerView) -> dict[str, Any]:
    """The body of ``GET /user/balances/``."""
    return {
        "account": format_amounts(ledger.balances()),
        "sub_accounts": format_amounts(ledger.sub_account_totals()),
        "statistics": ledger.statistics(),
    }


class Paged(Protocol):
    """What a history page is cut from: a ledger, or a recording served as recorded."""

    def page_positions(self, currency: str | None, type: str | None, limit: int, offset: int
                       ) -> tuple[list[int], int]: ...


def render_history(ledger: Paged, params: Mapping[str, Any],
                   rendered: Callable[[int], Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The body of ``GET /user/balances/history/`` for validated parameters. ``rendered``
    gives the rendered entry at a position (the mock passes a memoised one; a recording served
    as recorded, its entries as recorded)."""
    rendered = rendered or entry_renderer(ledger)  # type: ignore[arg-type]
    limit, offset = params["limit"], params["offset"]
    positions, total = ledger.page_positions(params.get("currency"), params.get("type"), limit, offset)
    return {"history": [rendered(p) for p in positions], "total": total, "limit": limit, "offset": offset}
