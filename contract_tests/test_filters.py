"""Filters: every entry matches, and the per-currency totals add up to the whole."""

from __future__ import annotations

import pytest

from . import checks, rules
from .conftest import BALANCES, HISTORY


def currencies_in(client, token, walk) -> tuple[list[str], int]:
    account = client.get(BALANCES, token).json().get("account", {})
    entries, totals, _ = walk(100)
    seen = list(dict.fromkeys([*account, *(e["currency"] for e in entries)]))
    return seen, totals[0]


def test_currency_filter_matches_exactly_and_totals_add_up(client, token, history, walk):
    currencies, total = currencies_in(client, token, walk)
    if not currencies:
        pytest.skip("the account has no currency (no balance, no history): the currency filter checked nothing")
    parts, response = {}, None
    for currency in currencies:
        response, page = history(currency=currency, limit=100)
        checks.entries_match_filters(response, page["history"], {"currency": currency})
        parts[currency] = page["total"]
    checks.totals_add_up(response, parts, total, "currency")


def test_type_filter_matches_exactly(history, walk):
    entries, _, _ = walk(100)
    if not entries:
        pytest.skip("the history is empty: the type filter checked nothing")
    for type_ in dict.fromkeys(["deposit", "withdrawal", *(e["type"] for e in entries)]):
        response, page = history(type=type_, limit=100)
        checks.entries_match_filters(response, page["history"], {"type": type_})


def test_combined_filters_match_exactly(history, walk):
    entries, _, _ = walk(100)
    if not entries:
        pytest.skip("the history is empty: the combined filters checked nothing")
    filters = {"currency": entries[0]["currency"], "type": entries[0]["type"]}
    response, page = history(limit=100, **filters)
    checks.entries_match_filters(response, page["history"], filters)
    expected = [e for e in entries if all(e[k] == v for k, v in filters.items())]
    if len(entries) == page["total"] or len(expected) >= 100:
        checks.walk_matches_reference(page["history"], expected[: len(page["history"])], 100, response)


@pytest.mark.parametrize("filters", [{"currency": "NOT-A-CURRENCY-XYZ"}, {"type": "not_a_type_xyz"}],
                         ids=["currency", "type"])
def test_unknown_filter_values_give_an_empty_page(client, token, filters):
    response = client.get(HISTORY, token, params=filters)
    checks.not_a_server_error(response)
    checks.status_is(response, [200], rules.UNKNOWN_FILTER)
    checks.empty_page(response, response.json(), 0, rules.UNKNOWN_FILTER)
