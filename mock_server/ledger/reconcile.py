"""What in a recorded account does not add up, and where: the report of ``balances-mock record``.

A recording keeps an account exactly as an implementation answered it (``recorded.py``). The
mock's own ledger holds only what reconciles: entries of the documented types, amounts with
six decimal places, whole-second timestamps, newest first, each ``balance_after`` following
from the one before it, balances equal to the newest ``balance_after`` and statistics counting
the history. This module lists every place where a recording is not like that, so a user
learns what the mock will serve as recorded (and why the sandbox cannot book on it), and
nothing is ever mended in silence.

Every finding names the currency and the entry (by its ``offset`` in the history as the API
pages it, newest first, and its timestamp) and gives what was expected and what came back.
Pure: the recording's document in, findings out; no HTTP, no files.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from mock_server.ledger.ledger import DEPOSIT, TYPES, WITHDRAWAL
from mock_server.spec import load_spec

NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


@dataclass(frozen=True)
class Finding:
    """One thing that does not reconcile. ``kind`` groups them: fields, type, amount, timestamp,
    order, chain, balance, statistics."""

    kind: str
    message: str
    currency: str | None = None
    offset: int | None = None
    """Where the entry is in the history, newest first: ``?limit=1&offset=N`` fetches it."""
    timestamp: str | None = None
    expected: Any = None
    got: Any = None
    count: int | None = None
    """For a finding about many entries: how many (the rest describes the first)."""

    def to_json(self) -> dict[str, Any]:
        return {name: value for name, value in vars(self).items() if value is not None}


@dataclass(frozen=True)
class _Forms:
    """What the spec says an answer holds: the entry's fields in order, the balances body's,
    the statistics', and the patterns of amounts and timestamps."""

    entry: tuple[str, ...]
    body: tuple[str, ...]
    statistics: tuple[str, ...]
    amount: re.Pattern[str]
    timestamp: re.Pattern[str]


@cache
def forms() -> _Forms:
    schemas = load_spec()["components"]["schemas"]
    return _Forms(tuple(schemas["HistoryEntry"]["properties"]), tuple(schemas["Balances"]["properties"]),
                  tuple(schemas["Statistics"]["properties"]), re.compile(schemas["Amount"]["pattern"]),
                  re.compile(schemas["Timestamp"]["pattern"]))


def reconcile(entries: Sequence[Mapping[str, Any]], body: Mapping[str, Any],
              opening: Mapping[str, Any] | None = None, partial: bool = False) -> list[Finding]:
    """Everything in a recording that the mock's ledger could not hold as it is.

    ``entries`` are oldest first (the reverse of the API's order), ``body`` is the balances
    body. A full recording starts from nothing; a ``partial`` one (the newest entries only)
    from ``opening`` (``{"balances": ..., "statistics": ...}``) where it gives one, and a
    currency it gives none for has its first link unchecked. What makes the sandbox refuse to
    book comes first: types, the chain, balances and statistics; then the forms.
    """
    opening = opening or {}
    balances = opening.get("balances") or {}
    return [*_types(entries), *_chain(entries, balances, partial), *_balances(entries, body, balances, partial),
            *_statistics(entries, body, opening.get("statistics"), partial), *_timestamps(entries),
            *_amounts(entries, body), *_fields(entries)]


def _offset(entries: Sequence[Any], index: int) -> int:
    return len(entries) - 1 - index


def _text(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def _many(kind: str, hits: list[tuple[int, str]], entries: Sequence[Mapping[str, Any]], describe: str,
          **extra: Any) -> list[Finding]:
    """One finding for ``hits`` (index, what) of the same kind: how many, and the newest."""
    if not hits:
        return []
    index, what = max(hits)  # the highest index is the newest entry
    offset = _offset(entries, index)
    timestamp = entries[index].get("timestamp")
    count = len(hits)
    where = f"at offset {offset}" if count == 1 else f"{count} entries, the newest at offset {offset}"
    return [Finding(kind, f"{describe} ({where}: {what})", offset=offset, count=count,
                    timestamp=timestamp if isinstance(timestamp, str) else None, **extra)]


def _fields(entries: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """Entries lacking a documented field, carrying undocumented ones, or ordering them otherwise."""
    documented = forms().entry
    missing: dict[str, list[tuple[int, str]]] = {}
    extra: dict[str, list[tuple[int, str]]] = {}
    reordered: list[tuple[int, str]] = []
    for i, entry in enumerate(entries):
        for name in documented:
            if name not in entry:
                missing.setdefault(name, []).append((i, f"no {name}"))
        for name in entry:
            if name not in documented:
                extra.setdefault(name, []).append((i, f"{name}: {_text(entry[name])}"))
        present = [name for name in entry if name in documented]
        if present != [name for name in documented if name in entry]:
            reordered.append((i, ", ".join(present)))
    findings = []
    for name, hits in missing.items():
        findings += _many("fields", hits, entries, f"entries without {name!r}, a field every entry has")
    for name, hits in extra.items():
        findings += _many("fields", hits, entries, f"entries with {name!r}, a field the API does not document; "
                          "served as recorded")
    findings += _many("fields", reordered, entries, "entries list their fields in another order than the API's "
                      f"({', '.join(documented)}); served as recorded")
    return findings


def _types(entries: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """Entries of types whose direction the documentation does not give."""
    hits: dict[str, list[tuple[int, str]]] = {}
    for i, entry in enumerate(entries):
        kind = entry.get("type")
        if kind not in TYPES:
            hits.setdefault(_text(kind), []).append((i, f"{_text(entry.get('amount'))} {_text(entry.get('currency'))}"))
    findings = []
    for kind, found in hits.items():
        findings += _many("type", found, entries,
                          f"entries of type {kind!r}: the mock books {' and '.join(TYPES)} only, and the documentation "
                          f"does not say whether {kind!r} adds or subtracts", got=kind)
    return sorted(findings, key=lambda finding: finding.offset or 0)


def _amounts(entries: Sequence[Mapping[str, Any]], body: Mapping[str, Any]) -> list[Finding]:
    """Amounts not in the API's form (strings with six decimal places) and movements of nothing."""
    pattern = forms().amount
    malformed: list[tuple[int, str]] = []
    nothing: list[tuple[int, str]] = []
    for i, entry in enumerate(entries):
        for name in ("amount", "balance_after"):
            value = entry.get(name)
            if name in entry and not (isinstance(value, str) and pattern.match(value)):
                malformed.append((i, f"{name} {_text(value)}"))
        if _decimal(entry.get("amount")) == 0:
            nothing.append((i, f"{_text(entry.get('type'))} {_text(entry.get('amount'))}"))
    findings = _many("amount", malformed, entries, "amounts not in the API's form (a string with 6 decimal places)")
    findings += _many("amount", nothing, entries, "entries that move nothing (an amount of 0)")
    for part in ("account", "sub_accounts"):
        amounts = body.get(part)
        for currency, value in (amounts.items() if isinstance(amounts, Mapping) else ()):
            if not (isinstance(value, str) and pattern.match(value)):
                findings.append(Finding("amount", f"{currency}: {part} holds {_text(value)}, not in the API's form "
                                        "(a string with 6 decimal places)", currency=currency, got=value))
    return findings


def _timestamps(entries: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """Timestamps not in the API's form, with fractions of seconds, or out of the history's order."""
    pattern = forms().timestamp
    malformed: list[tuple[int, str]] = []
    fractional: list[tuple[int, str]] = []
    disordered: list[tuple[int, str]] = []
    previous: str | None = None
    for i, entry in enumerate(entries):
        value = entry.get("timestamp")
        if not (isinstance(value, str) and pattern.match(value)):
            malformed.append((i, _text(value)))
            continue
        if "." in value:
            fractional.append((i, value))
        moment = _sortable(value)
        if previous is not None and moment < _sortable(previous):
            disordered.append((i, f"{value}, older than {previous} below it"))
        previous = value
    return [*_many("timestamp", malformed, entries, "timestamps not in the API's form (UTC, ISO 8601, with Z)"),
            *_many("timestamp", fractional, entries, "timestamps with fractions of a second; the mock's own ledger "
                   "keeps whole seconds, so they are served as recorded"),
            *_many("order", disordered, entries, "entries older than the entry after them: the history is not "
                   "newest first")]


def _sortable(timestamp: str) -> tuple[str, Decimal]:
    seconds, _, fraction = timestamp.rstrip("Z").partition(".")
    return seconds, Decimal(f"0.{fraction or 0}")


def _chain(entries: Sequence[Mapping[str, Any]], opening: Mapping[str, Any], partial: bool) -> list[Finding]:
    """Per currency, each deposit adds its amount to the balance before it, each withdrawal
    subtracts it. A link ending at an entry of another type is not checked (its direction is
    not documented), but the chain goes on from its balance_after."""
    running: dict[str, Decimal | None] = {currency: _decimal(value) for currency, value in opening.items()}
    findings = []
    for i, entry in enumerate(entries):
        currency = entry.get("currency")
        if not isinstance(currency, str):
            continue
        before = running.get(currency, None if partial else Decimal(0))
        amount, after = _decimal(entry.get("amount")), _decimal(entry.get("balance_after"))
        kind = entry.get("type")
        if kind in TYPES and None not in (before, amount, after):
            expected = before + amount if kind == DEPOSIT else before - amount  # type: ignore[operator]
            if after != expected:
                sign = "+" if kind == DEPOSIT else "-"
                shown = _shown(expected, entry.get("amount"), entry.get("balance_after"))
                offset = _offset(entries, i)
                findings.append(Finding(
                    "chain", f"{currency}: balance_after of the entry at offset {offset} ({entry.get('timestamp')}, "
                    f"{kind} {entry['amount']}) is {entry['balance_after']}, expected {shown} "
                    f"({_shown(before, entry.get('amount'))} {sign} {entry['amount']})",  # type: ignore[arg-type]
                    currency, offset, _str_or_none(entry.get("timestamp")), shown, entry["balance_after"]))
        running[currency] = after
    return sorted(findings, key=lambda finding: finding.offset or 0)


def _balances(entries: Sequence[Mapping[str, Any]], body: Mapping[str, Any], opening: Mapping[str, Any],
              partial: bool) -> list[Finding]:
    """Each balance is its currency's newest balance_after; a currency without entries holds
    its opening balance (nothing, in a full recording)."""
    account = body.get("account")
    if not isinstance(account, Mapping):
        return []
    newest: dict[str, int] = {}
    for i, entry in enumerate(entries):
        if isinstance(entry.get("currency"), str):
            newest[entry["currency"]] = i
    findings = []
    for currency, value in account.items():
        got = _decimal(value)
        if currency in newest:
            entry = entries[newest[currency]]
            expected_text, source = entry.get("balance_after"), (
                f"the newest balance_after, at offset {_offset(entries, newest[currency])}")
        elif currency in opening:
            expected_text, source = opening[currency], "the opening balance: it has no entry in the recording"
        elif partial:
            continue
        else:
            expected_text, source = "0.000000", "the history has no entry in it"
        expected = _decimal(expected_text)
        if got is not None and expected is not None and got != expected:
            shown = _text(expected_text)
            findings.append(Finding("balance", f"{currency}: the balance is {_text(value)}, expected {shown} "
                                    f"({source})", currency, expected=shown, got=value))
    for currency, index in newest.items():
        if currency not in account:
            after = entries[index].get("balance_after")
            findings.append(Finding("balance", f"{currency}: the history has entries in it but the balances list none "
                                    f"(expected {_text(after)}, the newest balance_after)", currency,
                                    expected=after, got=None))
    return findings


def _statistics(entries: Sequence[Mapping[str, Any]], body: Mapping[str, Any], opening: Mapping[str, Any] | None,
                partial: bool) -> list[Finding]:
    """The balances body has its documented parts, and the statistics count the history's
    deposits and withdrawals (with the opening's, in a partial recording)."""
    documented = forms()
    findings = [Finding("fields", f"the balances body has no {part!r}", got=None)
                for part in documented.body if part not in body]
    findings += [Finding("fields", f"the balances body has {part!r}, which the API does not document; served as "
                         "recorded", got=body[part]) for part in body if part not in documented.body]
    statistics = body.get("statistics")
    if not isinstance(statistics, Mapping):
        return findings
    findings += [Finding("fields", f"the statistics have {name!r}, which the API does not document; served as "
                         "recorded", got=statistics[name]) for name in statistics if name not in documented.statistics]
    if partial and opening is None:
        return findings
    counted = Counter(entry.get("type") for entry in entries)
    for name, kind in zip(documented.statistics, (DEPOSIT, WITHDRAWAL), strict=True):
        before = (opening or {}).get(name, 0)
        expected = counted[kind] + (before if isinstance(before, int) else 0)
        got = statistics.get(name)
        if got != expected:
            what = f"the {counted[kind]} {kind}s of the history" + (f" and the {before} before it" if before else "")
            findings.append(Finding("statistics", f"statistics: {name} is {_text(got)}, expected {expected} ({what})",
                                    expected=expected, got=got))
    return findings


def _decimal(value: Any) -> Decimal | None:
    """An amount's value, whatever its form; None for what is not a number."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    text = value if isinstance(value, str) else repr(value)
    if not NUMBER.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _places(value: Any) -> int:
    text = value if isinstance(value, str) else ""
    return len(text.partition(".")[2]) if NUMBER.match(text) else 6


def _shown(value: Decimal, *like: Any) -> str:
    """``value`` written with as many decimal places as the amounts it comes from (6 in the API)."""
    places = max((_places(v) for v in like), default=6)
    return f"{value:.{places}f}"


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def summary(findings: Iterable[Finding]) -> dict[str, int]:
    """How many findings of each kind."""
    return dict(Counter(finding.kind for finding in findings))
