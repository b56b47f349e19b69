"""The ledger: history is "for reconciliation", so it must add up to the balances.

Marked ``ledger``: an account whose history the API truncates can deselect the group with
``-m "not ledger"``.
"""

from __future__ import annotations

import pytest

from . import checks, rules
from .conftest import BALANCES

pytestmark = pytest.mark.ledger


@pytest.fixture
def balances(client, token):
    response = client.get(BALANCES, token)
    checks.status_is(response, [200], rules.VALID_BALANCES_REQUEST)
    return response, response.json()


def test_each_balance_is_the_newest_balance_after(balances, walk, history):
    _, body = balances
    entries, _, _ = walk(100)
    currencies = list(dict.fromkeys([*body["account"], *(e["currency"] for e in entries)]))
    if not currencies:
        pytest.skip("the account has no currency (no balance, no history): there is no balance to compare")
    for currency in currencies:
        response, page = history(currency=currency, limit=1)
        newest = page["history"][0] if page["history"] else None
        checks.balance_is_newest_balance_after(response, currency, body["account"], newest)


def test_balance_after_moves_by_amount(balances, walk):
    """Per currency, each link of the chain of entries checked. A link ending at an entry of a
    type the contract does not know the direction of is not checked; if no link was, the rule
    says so rather than pass."""
    _, body = balances
    links = checked = 0
    for currency in body["account"]:
        entries, _, response = walk(100, currency=currency)
        links += max(len(entries) - 1, 0)
        checked += checks.balance_chain(response, currency, entries)
    if not links:
        pytest.skip("no currency has two entries in the history: the balance chain checked nothing")
    if not checked:
        pytest.skip(f"no link of the balance chain could be checked ({links} links, none ending at a deposit or a "
                    "withdrawal; the direction of other types is not documented)")


def test_statistics_count_deposits_and_withdrawals(balances, history):
    response, body = balances
    _, deposits = history(type="deposit", limit=1)
    _, withdrawals = history(type="withdrawal", limit=1)
    checks.statistics_count_history(response, body["statistics"], deposits["total"], withdrawals["total"])
