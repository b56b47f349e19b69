"""Bookings on top of the immutable ledger: pure rules, no HTTP and no store.

The generated (or loaded) ledger never changes. What the sandbox books is kept apart, in
the state store, as the account's ``Tail`` (what booking the next entry needs to know) and
its booked entries; ``Stacked`` shows the two as one ledger, the booked entries always the
newest. Every decision is a pure function of the tail and the request, so each store only
has to run it atomically (see ``state``).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from mock_server.errors import ApiError
from mock_server.ledger.ledger import (
    MICRO,
    REFERENCE_TIME,
    WITHDRAWAL,
    Entry,
    Ledger,
    Wallet,
    format_amount,
    format_timestamp,
)
from mock_server.ledger.recorded import Recorded

MAX_MICRO = 2**63 - 1
"""The largest balance: 9223372036854.775807, as 64-bit micro-units (the ledger's columns)."""
MAX_TIME = 253_402_300_799
"""9999-12-31T23:59:59Z: the last second a timestamp can show."""


@dataclass(frozen=True)
class Tail:
    """What booking the next entry needs to know of an account, base and booked together."""

    clock: int
    """The account's "now", in epoch seconds; never the wall clock."""
    newest: int | None
    """The timestamp of the newest entry; None for an account without history."""
    balances: Mapping[str, int]
    """Every currency's balance, in micro-units."""
    booked: int = 0
    """Entries booked since start or the last reset."""

    def to_json(self) -> dict[str, Any]:
        return {"clock": self.clock, "newest": self.newest, "balances": dict(self.balances), "booked": self.booked}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Tail:
        return cls(data["clock"], data["newest"], dict(data["balances"]), data["booked"])


def initial_tail(ledger: Ledger | Recorded) -> Tail:
    """A ledger's tail before anything is booked: the clock at its newest entry (the reference
    time for an empty account). A recording served as recorded takes no bookings, so its tail
    holds only its clock."""
    if isinstance(ledger, Recorded):
        newest = ledger.newest_second()
        return Tail(clock=REFERENCE_TIME if newest is None else newest, newest=newest, balances={})
    newest = ledger.entry(len(ledger) - 1).timestamp if len(ledger) else None
    return Tail(clock=REFERENCE_TIME if newest is None else newest, newest=newest, balances=ledger.balances())


MAX_REASONS = 10
"""The reasons a refusal on a recorded account lists in its details; the first is in its message."""


def refuse_on_recorded(recorded: Recorded) -> ApiError:
    """409 for a booking on a recording served as recorded: a booking's balance_after must
    follow from the balance before it, which such a recording does not give (or gives in a
    type whose direction is not documented). The mock never mends a recording to make room."""
    reasons = recorded.reasons
    more = f"; and {len(reasons) - 1} more" if len(reasons) > 1 else ""
    source = recorded.source.get("recorded_from")
    return ApiError(409, "ledger_read_only",
                    f"This account is a recording (from {source}) served as recorded, because it does not reconcile: "
                    f"{reasons[0] if reasons else 'see its record-report.json'}{more}. The sandbox books only on a "
                    "ledger whose balances follow from its history.",
                    {"recorded_from": source, "reasons": list(reasons[:MAX_REASONS])})


@dataclass(frozen=True)
class Remembered:
    """What an idempotency key booked: the transaction (normalised) and the entry."""

    fingerprint: str
    entry: Entry


@dataclass(frozen=True)
class Outcome:
    """What a decision changes, for a store to write atomically, and what it answers."""

    result: Any
    tail: Tail | None = None
    """The new tail; None when nothing changes."""
    rows: tuple[Entry, ...] = ()
    """Entries to append, oldest first."""
    remember: tuple[str, Remembered] | None = None
    """An idempotency key and what it booked."""


Decision = Callable[[Tail, Remembered | None], Outcome]
"""A pure function of the current tail (and what the request's idempotency key remembers)."""


@dataclass(frozen=True)
class Booked:
    entry: Entry
    replayed: bool = False


# -- transactions -------------------------------------------------------------------------

@dataclass(frozen=True)
class Transaction:
    """A transaction to book: the request body, validated by the spec and read into units."""

    type: str
    currency: str
    amount: int
    timestamp: int | None = None

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Transaction:
        """A body the spec has checked: its pattern keeps an amount above zero with at most 6
        places. An amount no balance can hold is refused by the account, as any amount it cannot
        take (409), not here: whether a deposit fits depends on the balance."""
        timestamp = epoch_seconds(body["timestamp"]) if "timestamp" in body else None
        return cls(body["type"], body["currency"], to_micro(body["amount"]), timestamp)

    def fingerprint(self) -> str:
        """The same transaction, however its amount was written."""
        return f"{self.type}|{self.currency}|{self.amount}|{'' if self.timestamp is None else self.timestamp}"


def book(transaction: Transaction, idempotency_key: str | None = None) -> Decision:
    """Book ``transaction`` as the newest entry, or refuse it and change nothing."""
    fingerprint = transaction.fingerprint()

    def decide(tail: Tail, remembered: Remembered | None) -> Outcome:
        if remembered is not None:
            if remembered.fingerprint != fingerprint:
                raise ApiError(409, "idempotency_key_reused",
                               "This Idempotency-Key was used for another transaction; use a new key.",
                               {"idempotency_key": idempotency_key})
            return Outcome(Booked(remembered.entry, replayed=True))
        moment = tail.clock if transaction.timestamp is None else transaction.timestamp
        if tail.newest is not None and moment < tail.newest:
            raise backdated(moment, tail.newest)
        if moment >= MAX_TIME:
            raise past_the_end(tail.clock, "timestamp", format_timestamp(moment),
                               f"an entry at {format_timestamp(moment)} would move it on past")
        balance = _after(transaction, tail.balances.get(transaction.currency, 0))
        entry = Entry(moment, transaction.currency, transaction.type, transaction.amount, balance)
        new_tail = Tail(clock=max(tail.clock, moment + 1), newest=moment,
                        balances={**tail.balances, transaction.currency: balance}, booked=tail.booked + 1)
        remember = (idempotency_key, Remembered(fingerprint, entry)) if idempotency_key else None
        return Outcome(Booked(entry), new_tail, (entry,), remember)

    return decide


def _after(transaction: Transaction, balance: int) -> int:
    """The balance after the transaction; 409 when a withdrawal overdraws or a deposit overflows."""
    currency, amount = transaction.currency, transaction.amount
    if transaction.type == WITHDRAWAL:
        if amount > balance:
            raise ApiError(409, "insufficient_funds",
                           f"Insufficient funds: {format_amount(balance)} {currency} available, "
                           f"{format_amount(amount)} requested.",
                           {"currency": currency, "available": format_amount(balance),
                            "requested": format_amount(amount)})
        return balance - amount
    if balance + amount > MAX_MICRO:
        raise ApiError(409, "balance_limit_exceeded",
                       f"A balance holds at most {format_amount(MAX_MICRO)}; this deposit would pass it.",
                       {"currency": currency, "balance": format_amount(balance), "requested": format_amount(amount),
                        "maximum": format_amount(MAX_MICRO)})
    return balance + amount


# -- the clock ----------------------------------------------------------------------------

def move_clock(body: Mapping[str, Any]) -> Decision:
    """``{"advance": seconds}`` or ``{"set": timestamp}``: forward only, and never past
    ``MAX_TIME``. Both refusals depend on where the clock is, so both are 409s."""
    target = epoch_seconds(body["set"]) if "set" in body else None

    def decide(tail: Tail, remembered: Remembered | None) -> Outcome:
        if target is None:
            now = tail.clock + body["advance"]
            if now > MAX_TIME:
                raise past_the_end(tail.clock, "advance", body["advance"],
                                   f"advancing it by {body['advance']} s would pass")
        else:
            now = target
            if now < tail.clock:
                raise clock_backwards(tail.clock, now)
        new_tail = replace(tail, clock=now)
        return Outcome(new_tail, new_tail if now != tail.clock else None)

    return decide


# -- refusals of a well-formed request, by the account's state (409) -----------------------

def clock_backwards(clock: int, requested: int) -> ApiError:
    """409 for a ``set`` before the clock: the clock only moves forward."""
    return ApiError(409, "clock_backwards",
                    f"The clock only moves forward: it reads {format_timestamp(clock)}, and "
                    f"{format_timestamp(requested)} is before that.",
                    {"clock": format_timestamp(clock), "requested": format_timestamp(requested)})


def backdated(requested: int, newest: int) -> ApiError:
    """409 for a ``timestamp`` before the account's newest entry: the sandbox appends."""
    return ApiError(409, "backdated_transaction",
                    f"{format_timestamp(requested)} is before the account's newest entry "
                    f"({format_timestamp(newest)}): the sandbox appends, it never rewrites history.",
                    {"newest_entry": format_timestamp(newest), "requested": format_timestamp(requested)})


def past_the_end(clock: int, field: str, value: int | str, why: str) -> ApiError:
    """409 for a move that would take the clock past ``MAX_TIME``, the last second a timestamp
    can show: ``why`` says which move (``field`` and ``value``: the request's)."""
    end = format_timestamp(MAX_TIME)
    return ApiError(409, "clock_limit_exceeded",
                    f"The clock reads {format_timestamp(clock)}; {why} {end}, the last second it can show.",
                    {"clock": format_timestamp(clock), field: value, "maximum": end})


def epoch_seconds(moment: datetime) -> int:
    """A ``date-time`` the spec has checked (openapi-core reads it as an aware datetime)."""
    return calendar.timegm(moment.utctimetuple())


def to_micro(text: str) -> int:
    """``"100"``, ``"0.5"`` or ``"1.000001"`` (the spec's pattern) in micro-units."""
    units, _, fraction = text.partition(".")
    return int(units) * MICRO + int(fraction.ljust(6, "0"))


# -- the ledger as clients see it ---------------------------------------------------------

@dataclass(frozen=True)
class Stacked:
    """A base ledger with booked entries on top: the same questions as ``Ledger``, answered for
    both, the booked entries newest. Positions 0..len(base)-1 are the base's; the booked
    entries follow in booking order."""

    base: Ledger
    booked: Ledger
    _base_size: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_base_size", len(self.base))

    @classmethod
    def on(cls, base: Ledger, rows: Sequence[Entry]) -> Stacked:
        return cls(base, Ledger.from_entries((), rows))

    def extended(self, rows: Sequence[Entry]) -> Stacked:
        """The same base with more entries booked on top."""
        return Stacked(self.base, self.booked.extended(rows))

    @property
    def currencies(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.base.currencies, *self.booked.currencies)))

    @property
    def wallets(self) -> tuple[Wallet, ...]:
        return self.base.wallets

    def __len__(self) -> int:
        return self._base_size + len(self.booked)

    def entry(self, position: int) -> Entry:
        if position < self._base_size:
            return self.base.entry(position)
        return self.booked.entry(position - self._base_size)

    def page_positions(self, currency: str | None, type: str | None, limit: int, offset: int
                       ) -> tuple[list[int], int]:
        """As ``Ledger.page_positions``: the booked entries first (they are the newest)."""
        top = self.booked.select(currency, type)
        below = self.base.select(currency, type)
        on_top, size = len(top), self._base_size
        total = on_top + len(below)
        positions = []
        for k in range(offset, min(offset + limit, total)):
            if k < on_top:
                positions.append(size + top[on_top - 1 - k])
            else:
                positions.append(below[len(below) - 1 - (k - on_top)])
        return positions, total

    def balances(self) -> dict[str, int]:
        return {**self.base.balances(), **self.booked.balances()}

    def statistics(self) -> dict[str, int]:
        base, booked = self.base.statistics(), self.booked.statistics()
        return {name: base[name] + booked[name] for name in base}

    def sub_account_totals(self) -> dict[str, int]:
        return self.base.sub_account_totals()

