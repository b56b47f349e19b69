"""A recorded account: what ``balances-mock record`` read through an implementation's public API,
kept as it was answered.

A recording's ``ledger.json`` marks itself with ``source`` (``recorded_from``, and
``recorded_at`` unless anonymized) and keeps the entry objects and the balances body verbatim,
oldest entry first; ``opening`` (what the account held before its oldest entry) when only the
newest entries were recorded. ``ledger_file.load`` reads it as the mock's own ``Ledger`` when
that ledger renders every entry and the balances body exactly as recorded (the account
reconciles, its types are documented, its amounts have six places). Otherwise the mock serves
it as a ``Recorded`` account: the balances body as recorded, history pages as slices of the
recorded entries filtered by currency and type, nothing derived that the recording does not
say; and the sandbox refuses to book on it, since a booking would have to derive a balance.

Pure data: no HTTP, no files.
"""

from __future__ import annotations

import calendar
import time
from array import array
from collections.abc import Mapping, Sequence
from typing import Any

SOURCE = "source"
"""The key that marks a ledger.json as recorded, and says from where."""
BODY = "balances_body"
"""The key of the verbatim body of ``GET /user/balances/``."""
RECORDED_WALLET = "sub-accounts (recorded total)"
"""A recording sees the sub-accounts' totals, not the wallets: one wallet holds them."""


def is_recording(document: Any) -> bool:
    return isinstance(document, Mapping) and isinstance(document.get(SOURCE), Mapping) \
        and "recorded_from" in document[SOURCE]


def currency_order(body: Mapping[str, Any], entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """The currencies in an order that gives the balances body's ``account`` and ``sub_accounts``
    each in its recorded order (the mock lists both in its ledger's order), then the currencies
    only the history has, oldest first."""
    sequences = [list(part) for part in (body.get("account"), body.get("sub_accounts")) if isinstance(part, Mapping)]
    first_seen = list(dict.fromkeys(c for sequence in sequences for c in sequence))
    after: dict[str, set[str]] = {c: set() for c in first_seen}
    for sequence in sequences:
        for earlier, later in zip(sequence, sequence[1:], strict=False):
            after[later].add(earlier)
    ordered: list[str] = []
    while len(ordered) < len(first_seen):
        ready = [c for c in first_seen if c not in ordered and after[c] <= set(ordered)]
        if not ready:  # the two orders disagree: the rest as first seen
            ordered += [c for c in first_seen if c not in ordered]
            break
        ordered.append(ready[0])
    history = [e.get("currency") for e in entries if isinstance(e.get("currency"), str)]
    return list(dict.fromkeys([*ordered, *history]))


def as_ledger_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The ledger.json a recording stands for, if it reconciles: the entries as they are, the
    balances, statistics and sub-account totals of the recorded body (one wallet)."""
    body = document[BODY]
    sub_accounts = body.get("sub_accounts")
    candidate = {
        "format": document.get("format"),
        "currencies": currency_order(body, document["entries"]),
        "entries": document["entries"],
        "balances": body.get("account"),
        "statistics": body.get("statistics"),
        "sub_accounts": [{"name": RECORDED_WALLET, "balances": sub_accounts}] if sub_accounts else [],
    }
    if "opening" in document:
        candidate["opening"] = document["opening"]
    return candidate


class Recorded:
    """A recorded account served exactly as recorded: its balances body, and history pages cut
    from its entries (filtered by exact currency and type, newest first, ``total`` counting
    the matches), whatever their types and figures."""

    def __init__(self, entries: Sequence[Mapping[str, Any]], balances_body: Mapping[str, Any],
                 source: Mapping[str, Any], reasons: Sequence[str]) -> None:
        self.entries = list(entries)
        self.balances_body = balances_body
        self.source = dict(source)
        self.reasons = tuple(reasons)
        """Why it is served as recorded: what does not reconcile, one line each."""
        self.currencies = tuple(dict.fromkeys(entry["currency"] for entry in self.entries))
        self.wallets = ()
        self._index: dict[tuple[str | None, str | None], array] = {}
        for position, entry in enumerate(self.entries):
            for key in ((entry["currency"], entry["type"]), (entry["currency"], None), (None, entry["type"])):
                self._index.setdefault(key, array("I")).append(position)

    def __len__(self) -> int:
        return len(self.entries)

    def raw(self, position: int) -> Mapping[str, Any]:
        """The entry at ``position`` (0 is the oldest) as recorded."""
        return self.entries[position]

    def select(self, currency: str | None = None, type: str | None = None) -> Sequence[int]:
        """Positions of the matching entries, oldest first; unknown values match nothing."""
        if currency is None and type is None:
            return range(len(self.entries))
        return self._index.get((currency, type), ())

    def page_positions(self, currency: str | None, type: str | None, limit: int, offset: int
                       ) -> tuple[list[int], int]:
        """As ``Ledger.page_positions``: newest first, the later-recorded first on a tie."""
        positions = self.select(currency, type)
        total = len(positions)
        newest = total - 1 - offset
        oldest = max(newest - limit, -1)
        return [positions[i] for i in range(newest, oldest, -1)], total

    def newest_second(self) -> int | None:
        """The newest entry's time in whole epoch seconds (None: no entry, or not a time)."""
        if not self.entries:
            return None
        timestamp = self.entries[-1].get("timestamp")
        if not isinstance(timestamp, str):
            return None
        try:
            return calendar.timegm(time.strptime(timestamp.partition(".")[0].rstrip("Z"), "%Y-%m-%dT%H:%M:%S"))
        except ValueError:
            return None
