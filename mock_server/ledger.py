"""The ledger: one deterministic account, the only source of every response.

Pure data and no HTTP, so the mock and the fixture generator serve the same account.
Money is integer micro-units (the API shows 6 decimal places) and time is integer epoch
seconds anchored to REFERENCE_TIME, never the wall clock: the same seed gives the same
ledger in any process on any machine.

Entries are kept in compact columns (``array``) with per-filter position indexes, so a
ledger of a million entries fits in tens of megabytes and a page costs O(limit).
"""

from __future__ import annotations

import time
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from faker import Faker

MICRO = 1_000_000
"""Micro-units per unit: amounts are shown with exactly 6 decimal places."""

REFERENCE_TIME = 1_736_933_400
"""2025-01-15T09:30:00Z, the newest entry of every generated ledger (the docs' example)."""

HISTORY_SPAN = 3 * 365 * 86_400
"""A long ledger spreads over at most about three years before REFERENCE_TIME."""

DEPOSIT = "deposit"
WITHDRAWAL = "withdrawal"
TYPES = (DEPOSIT, WITHDRAWAL)

DOCUMENTED_CURRENCIES = (
    "USDTERC20", "USDCERC20", "ETH", "WETH", "USDTTRC20",
    "USDTPOLYGON", "USDTBSC", "USDTARB", "DAIERC20", "BTC",
)

# The size of an ordinary deposit, as a range of decimal digits of micro-units:
# (6, 9) means 1 to 1,000 units. Stablecoins move hundreds, ETH a few, BTC fractions.
_DIGITS = {"ETH": (4, 6), "WETH": (4, 6), "BTC": (3, 5)}
_STABLECOIN_DIGITS = (7, 9)


def format_amount(micro: int) -> str:
    """The API's amount string: ``5000000000`` -> ``"5000.000000"``."""
    units, fraction = divmod(micro, MICRO)
    return f"{units}.{fraction:06d}"


def format_timestamp(epoch_seconds: int) -> str:
    """ISO 8601 in UTC with ``Z``, as the docs show: ``2025-01-15T09:30:00Z``."""
    days, seconds = divmod(epoch_seconds, 86_400)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{_date(days)}T{hour:02d}:{minute:02d}:{second:02d}Z"


@lru_cache(maxsize=4096)
def _date(days: int) -> str:
    """The calendar date of a day since the epoch; a page's entries share a few days."""
    return time.strftime("%Y-%m-%d", time.gmtime(days * 86_400))


class Entry(NamedTuple):
    """One history entry; ``amount`` and ``balance_after`` are micro-units. A tuple, as
    pages build tens of them per request."""

    timestamp: int
    currency: str
    type: str
    amount: int
    balance_after: int


@dataclass(frozen=True, slots=True)
class Wallet:
    """A sub-account wallet (e.g. one per player); ``balances`` are micro-units."""

    name: str
    balances: dict[str, int]


class Ledger:
    """An account: its history (oldest first, as booked), balances and sub-account wallets."""

    def __init__(
        self,
        currencies: Sequence[str],
        timestamps: array,
        currency_codes: array,
        type_codes: array,
        amounts: array,
        balances_after: array,
        wallets: Sequence[Wallet] = (),
    ) -> None:
        self.currencies = tuple(currencies)
        self.wallets = tuple(wallets)
        self._timestamps = timestamps
        self._currency_codes = currency_codes
        self._type_codes = type_codes
        self._amounts = amounts
        self._balances_after = balances_after
        self._index = _build_index(len(self.currencies), currency_codes, type_codes)

    @classmethod
    def from_entries(cls, currencies: Sequence[str], entries: Iterable[Entry],
                     wallets: Sequence[Wallet] = ()) -> Ledger:
        """A ledger of given entries in booking order (oldest first), e.g. read from a file."""
        columns = array("q"), array("B"), array("B"), array("q"), array("q")
        code = {currency: i for i, currency in enumerate(currencies)}
        for e in entries:
            for column, value in zip(columns, (e.timestamp, code[e.currency], TYPES.index(e.type), e.amount,
                                               e.balance_after), strict=True):
                column.append(value)
        return cls(currencies, *columns, wallets=wallets)

    def __len__(self) -> int:
        return len(self._timestamps)

    def entry(self, position: int) -> Entry:
        """The entry at ``position`` in booking order (0 is the oldest)."""
        return Entry(
            timestamp=self._timestamps[position],
            currency=self.currencies[self._currency_codes[position]],
            type=TYPES[self._type_codes[position]],
            amount=self._amounts[position],
            balance_after=self._balances_after[position],
        )

    def select(self, currency: str | None = None, type: str | None = None) -> Sequence[int]:
        """Positions of the matching entries, oldest first; unknown values match nothing."""
        try:
            c = None if currency is None else self.currencies.index(currency)
            t = None if type is None else TYPES.index(type)
        except ValueError:
            return ()
        if c is None and t is None:
            return range(len(self))
        return self._index[(c, t)]

    def page(
        self, currency: str | None, type: str | None, limit: int, offset: int
    ) -> tuple[list[Entry], int]:
        """One page of matching entries, newest first, and how many match in all.

        Newest first means the reverse of booking order, which breaks timestamp ties
        deterministically: of two entries at the same second, the later-booked comes first.
        """
        positions, total = self.page_positions(currency, type, limit, offset)
        return [self.entry(p) for p in positions], total

    def page_positions(
        self, currency: str | None, type: str | None, limit: int, offset: int
    ) -> tuple[list[int], int]:
        """Like ``page``, but the entries' positions: O(limit) whatever the ledger's size."""
        positions = self.select(currency, type)
        total = len(positions)
        newest = total - 1 - offset
        oldest = max(newest - limit, -1)
        return [positions[i] for i in range(newest, oldest, -1)], total

    def balances(self) -> dict[str, int]:
        """Per currency, the ``balance_after`` of its newest entry (currencies with history)."""
        latest: dict[str, int] = {}
        for code, currency in enumerate(self.currencies):
            positions = self._index[(code, None)]
            if positions:
                latest[currency] = self._balances_after[positions[-1]]
        return latest

    def statistics(self) -> dict[str, int]:
        """Counts of deposits and withdrawals in the history."""
        return {
            "total_deposits": len(self._index[(None, 0)]),
            "total_withdrawals": len(self._index[(None, 1)]),
        }

    def sub_account_totals(self) -> dict[str, int]:
        """Per currency, the sum over the sub-account wallets, in the ledger's currency order."""
        totals: dict[str, int] = {}
        for currency in self.currencies:
            held = [w.balances[currency] for w in self.wallets if currency in w.balances]
            if held:
                totals[currency] = sum(held)
        return totals


def _build_index(
    currency_count: int, currency_codes: array, type_codes: array
) -> dict[tuple[int | None, int | None], array]:
    """Positions per currency, per type and per (currency, type), each oldest first."""
    index: dict[tuple[int | None, int | None], array] = {}
    for c in [*range(currency_count), None]:
        for t in [*range(len(TYPES)), None]:
            if (c, t) != (None, None):
                index[(c, t)] = array("I")
    for position, (c, t) in enumerate(zip(currency_codes, type_codes, strict=True)):
        index[(c, t)].append(position)
        index[(c, None)].append(position)
        index[(None, t)].append(position)
    return index


@dataclass(frozen=True)
class Profile:
    """How an account behaves: the knobs a scenario turns. Integers only, so no float
    rounding can differ between machines."""

    entries: int = 300
    currencies: tuple[str, ...] | None = None
    """None: USDTERC20, USDCERC20 and ETH (the docs' example) plus two picked by the seed."""
    deposit_percent: int = 65
    """Chance in percent that an entry is a deposit (always one when the balance is zero)."""
    wallets: int = 4
    """How many sub-account wallets the account has."""
    amount_digits: tuple[int, int] | None = None
    """Size of an ordinary movement in decimal digits of micro-units, for every currency;
    None: per currency (stablecoins hundreds of units, ETH a few, BTC fractions)."""


def generate(seed: int | str, profile: Profile = Profile()) -> Ledger:
    """The ledger for ``seed``: a pure function of its arguments.

    Faker (seeded per instance) names the sub-account wallets; its seeded ``random``
    draws every number, so one seed drives everything.
    """
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = fake.random

    currencies = profile.currencies
    if currencies is None:
        extra = rng.sample(DOCUMENTED_CURRENCIES[3:], 2)
        currencies = tuple(c for c in DOCUMENTED_CURRENCIES if c in {*DOCUMENTED_CURRENCIES[:3], *extra})
    digits = [profile.amount_digits or _DIGITS.get(c, _STABLECOIN_DIGITS) for c in currencies]
    # Stablecoins dominate the traffic of a payment account.
    weights = [1 if c in _DIGITS else 3 for c in currencies]
    cumulative = [sum(weights[: i + 1]) for i in range(len(weights))]

    count = profile.entries
    mean_gap = max(1, min(6 * 3600, HISTORY_SPAN // max(count, 1)))
    gaps = [rng.randrange(2 * mean_gap + 1) for _ in range(count)]
    moment = REFERENCE_TIME - sum(gaps[1:])

    timestamps, amounts, after = array("q"), array("q"), array("q")
    currency_codes, type_codes = array("B"), array("B")
    balance = [0] * len(currencies)
    for i in range(count):
        moment += gaps[i] if i else 0
        c = bisect_right(cumulative, rng.randrange(cumulative[-1]))
        low, high = digits[c]
        size = rng.randrange(10 ** low, 10 ** (rng.randrange(low, high) + 1))
        if balance[c] == 0 or rng.randrange(100) < profile.deposit_percent:
            t = 0
            if size > MICRO and rng.randrange(2):
                size -= size % MICRO  # round deposits are common: "500.000000"
            balance[c] += size
        else:
            t = 1
            size = min(size, balance[c]) if rng.randrange(4) else balance[c] * rng.randrange(1, 101) // 100
            size = max(size, 1)
            balance[c] -= size
        timestamps.append(moment)
        currency_codes.append(c)
        type_codes.append(t)
        amounts.append(size)
        after.append(balance[c])

    wallets = []
    for _ in range(profile.wallets if currencies else 0):
        held = [c for c in currencies if rng.randrange(3)] or [currencies[0]]
        balances = {}
        for c in held:
            low, high = digits[currencies.index(c)]
            balances[c] = rng.randrange(0, 10 ** (high + 1))
        wallets.append(Wallet(name=f"player-{fake.user_name()}", balances=balances))

    return Ledger(currencies, timestamps, currency_codes, type_codes, amounts, after, wallets)

