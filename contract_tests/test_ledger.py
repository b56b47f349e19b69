"""The ledger: history is "for reconciliation", so it must add up to the balances.

Marked ``ledger``: an account whose history the API truncates can deselect the group with
``-m "not ledger"``.
"""

from __future__ import annotations

import pytest

from . import checks
from .conftest import BALANCES

pytestmark = pytest.mark.ledger


@pytest.fixture
def balances(client, token):
    response = client.get(BALANCES, token)
    checks.status_is(response, [200], "the balances answer a read-and-write token")
    return response, response.json()


def test_each_balance_is_the_newest_balance_after(balances, walk, history):
    _, body = balances
    entries, _, _ = walk(100)
    for currency in dict.fromkeys([*body["account"], *(e["currency"] for e in entries)]):
        response, page = history(currency=currency, limit=1)
        newest = page["history"][0] if page["history"] else None
        checks.balance_is_newest_balance_after(response, currency, body["account"], newest)


def test_balance_after_moves_by_amount(balances, walk):
    _, body = balances
    for currency in body["account"]:
        entries, _, response = walk(100, currency=currency)
        checks.balance_chain(response, currency, entries)


def test_statistics_count_deposits_and_withdrawals(balances, history):
    response, body = balances
    _, deposits = history(type="deposit", limit=1)
    _, withdrawals = history(type="withdrawal", limit=1)
    checks.statistics_count_history(response, body["statistics"], deposits["total"], withdrawals["total"])
