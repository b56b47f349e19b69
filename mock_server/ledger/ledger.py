"""The ledger: one deterministic account, the only source of every response.

Pure data and no HTTP, so the mock and the fixture generator serve the same account.
Money is integer micro-units (the API shows 6 decimal places) and time is integer epoch
seconds anchored to REFERENCE_TIME, never the wall clock: the same seed gives the same
ledger in any process on any machine.

Entries are kept in compact columns (``array``) with per-filter position indexes, so a
ledger of a million entries fits in tens of megabytes and a page costs O(limit).
"""

from __future__ import annotations

import random
import time
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple, Protocol

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
    """The calendar date of a day since the epoch; a page's entries share a few days. The year
    is written with its four digits: ``strftime``'s ``%Y`` writes year 25 as ``25`` (glibc)."""
    day = time.gmtime(days * 86_400)
    return f"{day.tm_year:04d}-{day.tm_mon:02d}-{day.tm_mday:02d}"


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


@dataclass(frozen=True)
class Opening:
    """What an account held before its oldest entry, for a ledger that starts mid-history (the
    newest entries of a recorded account): each currency's balance, and the deposits and
    withdrawals counted before. A generated ledger starts from nothing."""

    balances: dict[str, int] = field(default_factory=dict)
    statistics: dict[str, int] = field(default_factory=lambda: {"total_deposits": 0, "total_withdrawals": 0})


NOTHING = Opening()


class LedgerView(Protocol):
    """What the renderers ask of an account: a ``Ledger``, or one with sandbox bookings on top
    (``sandbox.Stacked``)."""

    @property
    def currencies(self) -> tuple[str, ...]: ...
    @property
    def wallets(self) -> tuple[Wallet, ...]: ...
    def __len__(self) -> int: ...
    def entry(self, position: int) -> Entry: ...
    def page_positions(self, currency: str | None, type: str | None, limit: int, offset: int
                       ) -> tuple[list[int], int]: ...
    def balances(self) -> dict[str, int]: ...
    def statistics(self) -> dict[str, int]: ...
    def sub_account_totals(self) -> dict[str, int]: ...


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
        index: dict[tuple[int | None, int | None], array] | None = None,
        opening: Opening = NOTHING,
    ) -> None:
        self.currencies = tuple(currencies)
        self.wallets = tuple(wallets)
        self.opening = opening
        self._timestamps = timestamps
        self._currency_codes = currency_codes
        self._type_codes = type_codes
        self._amounts = amounts
        self._balances_after = balances_after
        self._index = index if index is not None else _build_index(len(self.currencies), currency_codes, type_codes)

    @classmethod
    def from_entries(cls, currencies: Sequence[str], entries: Iterable[Entry],
                     wallets: Sequence[Wallet] = (), opening: Opening = NOTHING) -> Ledger:
        """A ledger of given entries in booking order (oldest first), e.g. read from a file."""
        empty = cls(currencies, array("q"), array("H"), array("B"), array("q"), array("q"), wallets, opening=opening)
        return empty.extended(entries)

    def extended(self, entries: Iterable[Entry]) -> Ledger:
        """This ledger with ``entries`` booked after its own; a currency it does not know yet is
        coded after its own. The columns and indexes are copied (in C, fast) and only the new
        entries appended, so a sandbox's booked entries grow at the cost of the new ones."""
        currencies = list(self.currencies)
        code = {currency: i for i, currency in enumerate(currencies)}
        # Up to 65,536 currencies: a sandbox account may book any number of new ones.
        columns = (self._timestamps[:], array("H", self._currency_codes), self._type_codes[:], self._amounts[:],
                   self._balances_after[:])
        index = {key: positions[:] for key, positions in self._index.items()}
        for e in entries:
            if e.currency not in code:
                code[e.currency] = len(currencies)
                currencies.append(e.currency)
                _add_currency(index, code[e.currency])
            c, t = code[e.currency], TYPES.index(e.type)
            _index_position(index, len(columns[0]), c, t)
            for column, value in zip(columns, (e.timestamp, c, t, e.amount, e.balance_after), strict=True):
                column.append(value)
        return Ledger(currencies, *columns, wallets=self.wallets, index=index, opening=self.opening)

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

    def page_positions(
        self, currency: str | None, type: str | None, limit: int, offset: int
    ) -> tuple[list[int], int]:
        """The positions of one page of matching entries, newest first, and how many match in
        all: O(limit) whatever the ledger's size.

        Newest first means the reverse of booking order, which breaks timestamp ties
        deterministically: of two entries at the same second, the later-booked comes first.
        """
        positions = self.select(currency, type)
        total = len(positions)
        newest = total - 1 - offset
        oldest = max(newest - limit, -1)
        return [positions[i] for i in range(newest, oldest, -1)], total

    def balances(self) -> dict[str, int]:
        """Per currency, the ``balance_after`` of its newest entry, or its opening balance if it
        has no entry (currencies with history or an opening balance)."""
        latest: dict[str, int] = {}
        opening = self.opening.balances
        for code, currency in enumerate(self.currencies):
            positions = self._index[(code, None)]
            if positions:
                latest[currency] = self._balances_after[positions[-1]]
            elif currency in opening:
                latest[currency] = opening[currency]
        return latest

    def statistics(self) -> dict[str, int]:
        """Counts of deposits and withdrawals in the history (and before it, if it opens mid-history)."""
        before = self.opening.statistics
        return {
            "total_deposits": before["total_deposits"] + len(self._index[(None, 0)]),
            "total_withdrawals": before["total_withdrawals"] + len(self._index[(None, 1)]),
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
    index: dict[tuple[int | None, int | None], array] = {(None, t): array("I") for t in range(len(TYPES))}
    for c in range(currency_count):
        _add_currency(index, c)
    for position, (c, t) in enumerate(zip(currency_codes, type_codes, strict=True)):
        _index_position(index, position, c, t)
    return index


def _add_currency(index: dict[tuple[int | None, int | None], array], c: int) -> None:
    for t in [*range(len(TYPES)), None]:
        index[(c, t)] = array("I")


def _index_position(index: dict[tuple[int | None, int | None], array], position: int, c: int, t: int) -> None:
    index[(c, t)].append(position)
    index[(c, None)].append(position)
    index[(None, t)].append(position)


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


# How the generator draws. Each ``*_DRAW`` is one ``rng.randrange(n)`` read as "yes" unless it
# is 0: a chance of (n - 1) in n. The committed fixtures pin these numbers and the order of
# every draw: changing either changes every generated ledger.
EXAMPLE_CURRENCIES = DOCUMENTED_CURRENCIES[:3]
"""USDTERC20, USDCERC20 and ETH: the currencies of the docs' example, in every default account."""
EXTRA_CURRENCIES = 2
"""How many more documented currencies the seed picks for a default account."""
STABLECOIN_WEIGHT = 3
"""Stablecoins dominate a payment account: each is booked 3 times as often as ETH, WETH or BTC."""
MAX_MEAN_GAP = 6 * 3600
"""Entries are at most six hours apart on average, so a short history reads like a busy account's
days rather than a few entries a year."""
ROUND_DEPOSIT_DRAW = 2
"""Half the deposits larger than one unit are whole units: "500.000000" is common in real ledgers."""
ORDINARY_WITHDRAWAL_DRAW = 4
"""Three withdrawals in four move an ordinary amount; the fourth takes 1 to 100 percent of the
balance, so balances come close to zero now and then."""
WALLET_CURRENCY_DRAW = 3
"""A sub-account wallet holds each of the account's currencies with a chance of two in three."""


def generate(seed: int | str, profile: Profile = Profile()) -> Ledger:
    """The ledger for ``seed``: a pure function of its arguments.

    Faker (seeded per instance) names the sub-account wallets; its seeded ``random``
    draws every number, so one seed drives everything. The draws come in a fixed order
    (currencies, booking times, movements, wallets): reordering them changes every ledger.
    """
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = fake.random
    currencies = _currencies(rng, profile.currencies)
    digits = [profile.amount_digits or _DIGITS.get(c, _STABLECOIN_DIGITS) for c in currencies]
    timestamps = _timestamps(rng, profile.entries)
    currency_codes, type_codes, amounts, after = _movements(rng, currencies, digits, profile)
    wallets = _wallets(fake, currencies, digits, profile.wallets if currencies else 0)
    return Ledger(currencies, timestamps, currency_codes, type_codes, amounts, after, wallets)


def _currencies(rng: random.Random, chosen: tuple[str, ...] | None) -> tuple[str, ...]:
    """The profile's currencies, or the example ones plus a few drawn, in the documented order."""
    if chosen is not None:
        return chosen
    extra = rng.sample(DOCUMENTED_CURRENCIES[len(EXAMPLE_CURRENCIES):], EXTRA_CURRENCIES)
    return tuple(c for c in DOCUMENTED_CURRENCIES if c in {*EXAMPLE_CURRENCIES, *extra})


def _timestamps(rng: random.Random, count: int) -> array:
    """``count`` booking times, oldest first, the newest at REFERENCE_TIME: gaps drawn evenly
    from 0 to twice the mean gap, the mean chosen so the history spans at most HISTORY_SPAN."""
    mean_gap = max(1, min(MAX_MEAN_GAP, HISTORY_SPAN // max(count, 1)))
    gaps = [rng.randrange(2 * mean_gap + 1) for _ in range(count)]
    if not count:
        return array("q")
    # One gap fewer than entries separates them; the first gap is drawn all the same.
    return array("q", accumulate(gaps[1:], initial=REFERENCE_TIME - sum(gaps[1:])))


def _movements(rng: random.Random, currencies: Sequence[str], digits: Sequence[tuple[int, int]],
               profile: Profile) -> tuple[array, array, array, array]:
    """Every entry's currency code, type code, amount and balance after, in booking order.

    A withdrawal never overdraws: an empty balance always takes a deposit, and a withdrawal
    moves at most what the balance holds (at least one micro-unit).
    """
    weights = [1 if c in _DIGITS else STABLECOIN_WEIGHT for c in currencies]
    cumulative = [sum(weights[: i + 1]) for i in range(len(weights))]
    currency_codes, type_codes, amounts, after = array("B"), array("B"), array("q"), array("q")
    balance = [0] * len(currencies)
    deposit, withdrawal = TYPES.index(DEPOSIT), TYPES.index(WITHDRAWAL)
    for _ in range(profile.entries):
        c = bisect_right(cumulative, rng.randrange(cumulative[-1]))
        low, high = digits[c]
        # The size's order of magnitude first, then the size: small amounts as common as large.
        size = rng.randrange(10 ** low, 10 ** (rng.randrange(low, high) + 1))
        if balance[c] == 0 or rng.randrange(100) < profile.deposit_percent:
            t = deposit
            if size > MICRO and rng.randrange(ROUND_DEPOSIT_DRAW):
                size -= size % MICRO
            balance[c] += size
        else:
            t = withdrawal
            if rng.randrange(ORDINARY_WITHDRAWAL_DRAW):
                size = min(size, balance[c])
            else:
                size = balance[c] * rng.randrange(1, 100 + 1) // 100  # 1 to 100 percent of it
            size = max(size, 1)
            balance[c] -= size
        currency_codes.append(c)
        type_codes.append(t)
        amounts.append(size)
        after.append(balance[c])
    return currency_codes, type_codes, amounts, after


def _wallets(fake: Faker, currencies: Sequence[str], digits: Sequence[tuple[int, int]], count: int) -> list[Wallet]:
    """``count`` sub-account wallets named like players, each holding some of the currencies
    (the first, if the draws leave it none), up to ten times a currency's largest movement."""
    rng = fake.random
    wallets = []
    for _ in range(count):
        held = [c for c in currencies if rng.randrange(WALLET_CURRENCY_DRAW)] or [currencies[0]]
        balances = {}
        for c in held:
            _, high = digits[currencies.index(c)]
            balances[c] = rng.randrange(0, 10 ** (high + 1))
        wallets.append(Wallet(name=f"player-{fake.user_name()}", balances=balances))
    return wallets
