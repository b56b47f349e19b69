"""Filters: a filtered page holds exactly the entries of the unfiltered history that match,
``total`` counts them, and the per-currency totals add up to the whole.

Each filter is compared with the unfiltered walk (the reference): an empty page passes only
where the reference has no match. A rule whose comparison covered no entry says so.
"""

from __future__ import annotations

import pytest

from . import checks, rules
from .conftest import BALANCES, HISTORY

LIMIT = 100
"""The largest page: one request per filter."""


def reference(walk) -> tuple[list[dict], int, bool]:
    """The unfiltered walk, its total, and whether it read the whole history (not only the window)."""
    entries, totals, _ = walk(LIMIT)
    return entries, totals[0], len(entries) >= totals[0]


def matches_exactly(history, filters: dict[str, str], entries: list[dict], complete: bool) -> tuple[object, dict, int]:
    """One filtered page against the reference: its entries all match, and all matches are in it."""
    response, page = history(limit=LIMIT, **filters)
    checks.entries_match_filters(response, page["history"], filters)
    compared = checks.filter_finds_every_match(response, page, filters, entries, complete, LIMIT)
    return response, page, compared


def checked_nothing(compared: int, what: str) -> None:
    if not compared:
        pytest.skip(f"{what} compared no entry with the history: every match lies at or before the instant where "
                    "the comparison must stop (the oldest of a full page, or of the window)")


def test_currency_filter_matches_exactly_and_totals_add_up(client, token, history, walk):
    entries, total, complete = reference(walk)
    account = client.get(BALANCES, token).json().get("account", {})
    currencies = list(dict.fromkeys([*account, *(e["currency"] for e in entries)]))
    if not currencies:
        pytest.skip("the account has no currency (no balance, no history): the currency filter checked nothing")
    parts, response, compared = {}, None, 0
    for currency in currencies:
        response, page, count = matches_exactly(history, {"currency": currency}, entries, complete)
        parts[currency], compared = page["total"], compared + count
    if entries:
        checked_nothing(compared, "the currency filter")
    checks.totals_add_up(response, parts, total, "currency")


def test_type_filter_matches_exactly(history, walk):
    entries, _, complete = reference(walk)
    if not entries:
        pytest.skip("the history is empty: the type filter checked nothing")
    compared = 0
    for type_ in dict.fromkeys(["deposit", "withdrawal", *(e["type"] for e in entries)]):
        compared += matches_exactly(history, {"type": type_}, entries, complete)[2]
    checked_nothing(compared, "the type filter")


def test_combined_filters_match_exactly(history, walk):
    entries, _, complete = reference(walk)
    if not entries:
        pytest.skip("the history is empty: the combined filters checked nothing")
    filters = {"currency": entries[0]["currency"], "type": entries[0]["type"]}
    checked_nothing(matches_exactly(history, filters, entries, complete)[2], "the combined filters")


@pytest.mark.parametrize("filters", [{"currency": "NOT-A-CURRENCY-XYZ"}, {"type": "not_a_type_xyz"}],
                         ids=["currency", "type"])
def test_unknown_filter_values_give_an_empty_page(client, token, filters):
    """200 is the spec's decision; the page then holds what the documentation promises: only
    matching entries (none), and a ``total`` that counts them."""
    response = client.get(HISTORY, token, params=filters)
    checks.not_a_server_error(response)
    checks.status_is(response, [200], rules.UNKNOWN_FILTER)
    page = response.json()
    checks.entries_match_filters(response, page["history"], filters)
    checks.page_size_is_bounded(response, page, page["limit"], page["offset"])


def test_filters_are_case_sensitive(client, token, history):
    """A filter value in other letters than the data's matches nothing (the spec's decision):
    a server that matches it case-insensitively is drift."""
    _, page = history(limit=LIMIT)
    if not page["history"]:
        pytest.skip("the history is empty: letter case cannot be shown")
    entry = page["history"][0]
    for key, value in (("currency", entry["currency"].lower()), ("type", entry["type"].upper())):
        if value in (entry[key],):
            continue  # a code without letters of another case
        response = client.get(HISTORY, token, params={key: value, "limit": LIMIT})
        checks.status_is(response, [200], rules.UNKNOWN_FILTER)
        answered = response.json()
        checks.entries_match_filters(response, answered["history"], {key: value})
        checks.page_size_is_bounded(response, answered, LIMIT, 0)
