"""``record --anonymize SEED``: a recording in which no real figure or date is left, and which is
still the same account in every other respect.

Every amount of a currency is multiplied by one factor of its own and every timestamp moves by
one offset, both drawn from the seed (the same seed gives the same bytes; the hash, not
Python's ``random``, so any version agrees). Each figure keeps its decimal places, rounded half
to even. The factor is above one (between 1.5 and 9.5), so a movement never rounds to nothing
and two balances one unit apart stay apart.

Where a link of the balance chain held (``balance_after`` is the balance before it plus or
minus ``amount``), the scaled amount is rebuilt as the difference of the scaled balances, so
rounding never breaks a chain that held, and balances still equal the newest
``balance_after``. Where it did not hold, each figure is scaled on its own: the link stays
broken by about the factor, and the report still names it. Fields the API does not document
are dropped, since nobody can tell what they reveal (an id, an address); the report lists them.
The history's length, the counts of the statistics, currency codes and types stay: they are
the account's shape, not its figures.

Pure: a recording's document in, another out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from mock_server.ledger.reconcile import NUMBER, forms
from mock_server.ledger.recorded import BODY, SOURCE

FACTOR_MILLIONTHS = (1_500_000, 9_500_000)
"""Factors between 1.5 and 9.5, to the millionth."""
OFFSET_SECONDS = (30 * 86_400, 5 * 365 * 86_400)
"""Timestamps move by 30 days to 5 years, into the past or the future."""
TIMESTAMP = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$")


class AnonymizeError(ValueError):
    """A figure that cannot be disguised; nothing is written rather than leak it."""


def _draw(seed: str, what: str, low: int, high: int) -> int:
    digest = hashlib.sha256(f"balances-mock anonymize\0{seed}\0{what}".encode()).digest()
    return low + int.from_bytes(digest[:8], "big") % (high - low + 1)


@dataclass(frozen=True)
class Disguise:
    """The factor of each currency and the offset of time, drawn from ``seed``."""

    seed: str

    def factor(self, currency: str) -> Decimal:
        return Decimal(_draw(self.seed, f"factor\0{currency}", *FACTOR_MILLIONTHS)) / 1_000_000

    def offset(self) -> int:
        seconds = _draw(self.seed, "offset", *OFFSET_SECONDS)
        return seconds if _draw(self.seed, "direction", 0, 1) else -seconds

    def scale(self, value: Any, currency: str) -> Any:
        """``value`` times the currency's factor, with its own decimal places; what is not a
        number is left as it is."""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return value
        text = value if isinstance(value, str) else repr(value)
        if not NUMBER.match(text):
            return value
        places = len(text.partition(".")[2])
        scaled = _quantize(Decimal(text) * self.factor(currency), places)
        if isinstance(value, str):
            return f"{scaled:.{places}f}"
        return int(scaled) if isinstance(value, int) else float(scaled)

    def shift(self, value: Any) -> Any:
        """A timestamp moved by the offset, in its own form (fraction and zone kept)."""
        if not isinstance(value, str):
            return value
        match = TIMESTAMP.match(value)
        if match is None:
            raise AnonymizeError(f"a timestamp is not an ISO 8601 time ({len(value)} characters), so it cannot be "
                                 "shifted; nothing was written")
        moved = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S") + timedelta(seconds=self.offset())
        # isoformat, not strftime: its year keeps four digits (glibc's %Y writes year 900 as "900")
        return f"{moved.isoformat(timespec='seconds')}{match.group(2) or ''}{match.group(3)}"


def _quantize(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def _places(value: Any) -> int | None:
    return len(value.partition(".")[2]) if isinstance(value, str) and NUMBER.match(value) else None


def anonymize(document: Mapping[str, Any], seed: str) -> tuple[dict[str, Any], list[str]]:
    """The recording with every amount scaled and every timestamp shifted, and the names of the
    fields dropped (``entries[].fee``, ``balances_body.updated_at``)."""
    disguise = Disguise(seed)
    dropped: dict[str, None] = {}
    partial = bool(document[SOURCE].get("partial"))
    opening = document.get("opening")
    opening_balances = opening.get("balances") if isinstance(opening, Mapping) else None
    # The balance before the next entry of each currency: (recorded, scaled).
    before_opening: dict[str, tuple[Any, Any]] = {}
    if isinstance(opening_balances, Mapping):
        before_opening = {c: (v, disguise.scale(v, c)) for c, v in opening_balances.items()}
    before = dict(before_opening)
    entries = []
    for entry in document["entries"]:
        kept = {name: value for name, value in entry.items() if name in forms().entry}
        dropped.update(dict.fromkeys(f"entries[].{name}" for name in entry if name not in kept))
        currency = entry.get("currency")
        if isinstance(currency, str):
            start = ("0.000000", "0.000000") if not partial else (None, None)
            previous = before.get(currency, start)
            if "balance_after" in kept:
                kept["balance_after"] = disguise.scale(entry["balance_after"], currency)
            if "amount" in kept:
                kept["amount"] = _amount(disguise, currency, entry, kept, previous)
            before[currency] = (entry.get("balance_after"), kept.get("balance_after"))
        if "timestamp" in kept:
            kept["timestamp"] = disguise.shift(entry["timestamp"])
        entries.append(kept)
    result: dict[str, Any] = {}
    for key, value in document.items():
        if key == SOURCE:
            result[key] = {**{k: v for k, v in value.items() if k != "recorded_at"}, "anonymized": True}
        elif key == "entries":
            result[key] = entries
        elif key == "opening" and isinstance(opening_balances, Mapping):
            result[key] = {**value, "balances": {c: scaled for c, (_, scaled) in before_opening.items()}}
        elif key == BODY:
            result[key] = _body(disguise, value, dropped)
        else:
            result[key] = value
    return result, list(dropped)


def _amount(disguise: Disguise, currency: str, entry: Mapping[str, Any], kept: Mapping[str, Any],
            previous: tuple[Any, Any]) -> Any:
    """The scaled amount: the difference of the scaled balances where the link held, so it still
    holds; else the amount scaled on its own."""
    amount, after, before = entry["amount"], entry.get("balance_after"), previous[0]
    places = _places(amount)
    if places is not None and places == _places(after) and _places(before) is not None \
            and _places(previous[1]) is not None and _places(kept.get("balance_after")) is not None:
        moved = Decimal(amount)
        if moved > 0 and abs(Decimal(after) - Decimal(before)) == moved:
            return f"{abs(Decimal(kept['balance_after']) - Decimal(previous[1])):.{places}f}"
    return disguise.scale(amount, currency)


def _body(disguise: Disguise, body: Any, dropped: dict[str, None]) -> Any:
    """The balances body with its documented parts only, amounts scaled per currency."""
    if not isinstance(body, Mapping):
        return body
    documented = forms()
    result: dict[str, Any] = {}
    for part, value in body.items():
        if part not in documented.body:
            dropped[f"{BODY}.{part}"] = None
        elif part == "statistics" and isinstance(value, Mapping):
            result[part] = {name: count for name, count in value.items() if name in documented.statistics}
            dropped.update(dict.fromkeys(f"{BODY}.statistics.{name}" for name in value
                                         if name not in documented.statistics))
        elif isinstance(value, Mapping):
            result[part] = {currency: disguise.scale(amount, currency) for currency, amount in value.items()}
        else:
            result[part] = value
    return result
