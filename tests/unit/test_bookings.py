"""The sandbox's pure rules: decisions on a tail, and booked entries stacked on a base ledger."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from mock_server.errors import ApiError
from mock_server.ledger.bookings import (
    MAX_MICRO,
    MAX_TIME,
    Stacked,
    Tail,
    Transaction,
    book,
    initial_tail,
    move_clock,
)
from mock_server.ledger.ledger import MICRO, Entry, Ledger
from mock_server.ledger.scenarios import build_ledger


def test_stacked_pages_equal_one_ledger_of_base_and_booked_entries():
    base = build_ledger("default", 3, "demo", 40)
    tail, rows = initial_tail(base), []
    moves = [("deposit", "USDTERC20", 5), ("withdrawal", "USDTERC20", 1), ("deposit", "SOL", 2),
             ("deposit", "ETH", 1), ("withdrawal", "SOL", 1)]
    for kind, currency, units in moves:
        outcome = book(Transaction(kind, currency, units * MICRO))(tail, None)
        tail, rows = outcome.tail, [*rows, *outcome.rows]
    stacked = Stacked.on(base, rows)
    grown = Stacked.on(base, rows[:2]).extended(rows[2:4]).extended(rows[4:])  # as a worker catches up
    whole = Ledger.from_entries(stacked.currencies, [*map(base.entry, range(len(base))), *rows], base.wallets)
    assert len(stacked) == len(whole) == 45
    assert stacked.balances() == whole.balances() and stacked.statistics() == whole.statistics()
    for currency, kind in itertools.product((None, "USDTERC20", "SOL", "BTC", "nope"), (None, "deposit", "withdrawal")):
        for limit, offset in ((1, 0), (3, 2), (10, 4), (100, 0), (5, 44), (5, 60)):
            expected, expected_total = whole.page_positions(currency, kind, limit, offset)
            for ledger in (stacked, grown):
                positions, total = ledger.page_positions(currency, kind, limit, offset)
                assert total == expected_total
                assert [ledger.entry(p) for p in positions] == [whole.entry(p) for p in expected]


def test_booking_follows_the_balance_and_moves_the_clock():
    tail = Tail(clock=100, newest=100, balances={"ETH": 5 * MICRO})
    outcome = book(Transaction("withdrawal", "ETH", 2 * MICRO))(tail, None)
    assert outcome.rows == (Entry(100, "ETH", "withdrawal", 2 * MICRO, 3 * MICRO),)
    assert outcome.tail == Tail(clock=101, newest=100, balances={"ETH": 3 * MICRO}, booked=1)
    later = book(Transaction("deposit", "ETH", 1, timestamp=500))(outcome.tail, None)
    assert later.tail.clock == 501 and later.rows[0].timestamp == 500


@pytest.mark.parametrize(("transaction", "status", "code"), [
    (Transaction("withdrawal", "ETH", 5 * MICRO + 1), 409, "insufficient_funds"),
    (Transaction("withdrawal", "SOL", 1), 409, "insufficient_funds"),
    (Transaction("deposit", "ETH", MAX_MICRO - 5 * MICRO + 1), 409, "balance_limit_exceeded"),
    (Transaction("deposit", "ETH", 1, timestamp=99), 409, "backdated_transaction"),
])
def test_refusals_change_nothing(transaction, status, code):
    tail = Tail(clock=100, newest=100, balances={"ETH": 5 * MICRO})
    with pytest.raises(ApiError) as refused:
        book(transaction)(tail, None)
    assert (refused.value.status, refused.value.code) == (status, code)


def test_the_clock_moves_forward_only():
    tail = Tail(clock=100, newest=None, balances={})
    assert move_clock({"advance": 0})(tail, None).tail is None  # nothing to write
    assert move_clock({"advance": 60})(tail, None).tail.clock == 160
    assert move_clock({"set": moment("1970-01-01T00:01:40Z")})(tail, None).tail is None
    with pytest.raises(ApiError):
        move_clock({"set": moment("1970-01-01T00:01:39Z")})(tail, None)


def moment(text: str) -> datetime:
    """A ``date-time`` as the spec's validation hands it over."""
    return datetime.fromisoformat(text)


NEAR_THE_END = Tail(clock=MAX_TIME - 10, newest=MAX_TIME - 20, balances={"ETH": MICRO})
AT_THE_END = Tail(clock=MAX_TIME, newest=MAX_TIME - 20, balances={"ETH": MICRO})
EARLY = Tail(clock=1000, newest=900, balances={"ETH": MICRO})
END = "9999-12-31T23:59:59Z"


@pytest.mark.parametrize(("decision", "state", "other_state", "code", "details"), [
    (move_clock({"set": moment("1970-01-01T00:16:39Z")}), EARLY, Tail(clock=900, newest=900, balances={}),
     "clock_backwards", {"clock": "1970-01-01T00:16:40Z", "requested": "1970-01-01T00:16:39Z"}),
    (move_clock({"advance": 11}), NEAR_THE_END, EARLY,
     "clock_limit_exceeded", {"clock": "9999-12-31T23:59:49Z", "advance": 11, "maximum": END}),
    (book(Transaction("deposit", "ETH", 1, timestamp=899)), EARLY, Tail(clock=800, newest=800, balances={}),
     "backdated_transaction", {"newest_entry": "1970-01-01T00:15:00Z", "requested": "1970-01-01T00:14:59Z"}),
    (book(Transaction("deposit", "ETH", 1)), AT_THE_END, NEAR_THE_END,
     "clock_limit_exceeded", {"clock": END, "timestamp": END, "maximum": END}),
], ids=["set-backwards", "advance-past-the-end", "backdated", "booked-at-the-end"])
def test_a_well_formed_request_the_state_refuses_is_a_409_that_says_what_the_state_is(
        decision, state, other_state, code, details):
    """Not a 400: the request is well formed, and on an account in another state it succeeds."""
    with pytest.raises(ApiError) as refused:
        decision(state, None)
    assert (refused.value.status, refused.value.code, refused.value.details) == (409, code, details)
    assert all(value in refused.value.message for value in details.values() if isinstance(value, str))
    assert decision(other_state, None).tail is not None
