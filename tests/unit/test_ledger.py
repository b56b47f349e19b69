"""The ledger alone: deterministic, internally consistent, and paged in O(limit)."""

from __future__ import annotations

import calendar
from collections import Counter

import pytest

from mock_server.ledger.ledger import (
    DOCUMENTED_CURRENCIES,
    REFERENCE_TIME,
    TYPES,
    Ledger,
    Profile,
    format_amount,
    format_timestamp,
    generate,
)


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    return generate(7, Profile(entries=2000))


def entries(ledger: Ledger):
    return [ledger.entry(i) for i in range(len(ledger))]


def page_of(ledger: Ledger, currency, type_, limit, offset):
    """One page of matching entries, newest first, and how many match in all."""
    positions, total = ledger.page_positions(currency, type_, limit, offset)
    return [ledger.entry(p) for p in positions], total


def test_same_seed_same_ledger_other_seed_other_ledger():
    assert entries(generate(3)) == entries(generate(3))
    assert generate(3).wallets == generate(3).wallets
    assert entries(generate(3)) != entries(generate(4))


def test_default_size_and_currencies():
    ledger = generate(1)
    assert len(ledger) == 300
    assert {"USDTERC20", "USDCERC20", "ETH"} <= set(ledger.currencies)
    assert len(ledger.currencies) == 5 and set(ledger.currencies) <= set(DOCUMENTED_CURRENCIES)


def test_time_is_anchored_not_wall_clock(ledger):
    stamps = [e.timestamp for e in entries(ledger)]
    assert stamps == sorted(stamps)
    assert stamps[-1] == REFERENCE_TIME


def test_balance_chain_per_currency(ledger):
    running = Counter()
    for e in entries(ledger):
        assert e.amount > 0
        running[e.currency] += e.amount if e.type == "deposit" else -e.amount
        assert running[e.currency] >= 0
        assert e.balance_after == running[e.currency], e


def test_balances_are_the_newest_balance_after(ledger):
    newest = {}
    for e in entries(ledger):
        newest[e.currency] = e.balance_after
    assert ledger.balances() == newest


def test_statistics_count_the_history(ledger):
    types = Counter(e.type for e in entries(ledger))
    assert ledger.statistics() == {"total_deposits": types["deposit"], "total_withdrawals": types["withdrawal"]}
    assert types["withdrawal"] > 0


def test_sub_accounts_total_the_wallets(ledger):
    totals = Counter()
    for wallet in ledger.wallets:
        assert wallet.name.startswith("player-")
        totals.update(wallet.balances)
    assert ledger.sub_account_totals() == {c: v for c, v in totals.items()}
    assert len(ledger.wallets) == 4


def test_pages_are_newest_first_and_cover_everything_once(ledger):
    everything = list(reversed(entries(ledger)))
    for limit in (1, 7, 100):
        walked, offset = [], 0
        while True:
            page, total = page_of(ledger, None, None, limit, offset)
            assert total == len(ledger)
            if not page:
                break
            assert len(page) == limit or offset + len(page) == total
            walked += page
            offset += limit
        assert walked == everything


@pytest.mark.parametrize("currency", [None, "USDTERC20", "ETH"])
@pytest.mark.parametrize("type_", [None, *TYPES])
def test_filters_match_exactly(ledger, currency, type_):
    expected = [e for e in reversed(entries(ledger))
                if currency in (None, e.currency) and type_ in (None, e.type)]
    page, total = page_of(ledger, currency, type_, 100, 5)
    assert total == len(expected)
    assert page == expected[5:105]


def test_unknown_filters_and_offsets_past_the_end(ledger):
    assert page_of(ledger, "DOGE", None, 20, 0) == ([], 0)
    assert page_of(ledger, "usdterc20", None, 20, 0) == ([], 0)
    assert page_of(ledger, None, "payment", 20, 0) == ([], 0)
    assert page_of(ledger, None, None, 20, 10**12) == ([], len(ledger))


def test_empty_ledger():
    empty = generate(1, Profile(entries=0))
    assert len(empty) == 0
    assert empty.balances() == {}
    assert empty.statistics() == {"total_deposits": 0, "total_withdrawals": 0}
    assert page_of(empty, None, None, 20, 0) == ([], 0)


def test_large_ledger_is_compact_and_reproducible():
    big = generate(5, Profile(entries=200_000))
    again = generate(5, Profile(entries=200_000))
    assert [big.entry(i) for i in (0, 99_999, 199_999)] == [again.entry(i) for i in (0, 99_999, 199_999)]
    page, total = page_of(big, "ETH", "withdrawal", 20, 1000)
    assert len(page) == 20 and all(e.currency == "ETH" and e.type == "withdrawal" for e in page)
    assert total == len(big.select("ETH", "withdrawal"))


@pytest.mark.parametrize(("micro", "text"), [
    (0, "0.000000"), (1, "0.000001"), (5_123_456, "5.123456"),
    (123_456_789_012_123_456, "123456789012.123456"),
])
def test_amounts_are_exact_six_place_strings(micro, text):
    assert format_amount(micro) == text


def test_timestamp_format():
    assert format_timestamp(REFERENCE_TIME) == "2025-01-15T09:30:00Z"


def test_a_year_before_1000_keeps_its_four_digits():
    """strftime's %Y writes year 25 as "25" (glibc): a ledger with such an entry (which loads)
    was written back by dump in a form it then refused (found by the loaders' fuzzing)."""
    assert format_timestamp(calendar.timegm((25, 1, 14, 10, 9, 26, 0, 0, 0))) == "0025-01-14T10:09:26Z"
