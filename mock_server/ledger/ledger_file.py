"""``ledger.json``: a whole account in one file, the one format the mock loads back.

Written by ``balances-mock fixtures``, read by ``serve --fixtures``, and editable by hand. A
file is refused unless it is well formed (the spec's own schemas for amounts, timestamps,
currencies and entries) and consistent (the balance chain, the balances, the statistics),
with the file, the JSON path and what is wrong. A ledger that starts mid-history (the newest
entries of a long account) says in ``opening`` what the account held before its oldest entry.
"""

from __future__ import annotations

import calendar
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson
from openapi_schema_validator import OAS31Validator

from mock_server.ledger.ledger import DEPOSIT, MICRO, NOTHING, TYPES, Entry, Ledger, Opening, Wallet, format_amount
from mock_server.ledger.reconcile import forms, reconcile
from mock_server.ledger.recorded import BODY, SOURCE, Recorded, as_ledger_document, is_recording
from mock_server.ledger.render import format_amounts, render_balances, render_entry
from mock_server.spec import load_spec

FORMAT = "balances-mock/ledger@1"
MAX_MICRO = 2**63 - 1
"""Amounts are stored as signed 64-bit micro-units: up to 9,223,372,036,854.775807."""


class LedgerFileError(ValueError):
    """A ledger file the mock cannot serve; the message names the file, the path and the fault,
    on one line: a key or a value of the file is shown with its control characters escaped, so
    a file cannot write lines of its own into a terminal or a log."""

    def __init__(self, message: str) -> None:
        super().__init__("".join(c if c.isprintable() else repr(c)[1:-1] for c in message))


def dump(ledger: Ledger, meta: Mapping[str, Any]) -> bytes:
    """The file's bytes: sorted keys and fixed indentation, so equal ledgers give equal bytes."""
    document = {
        "format": FORMAT,
        **meta,
        "currencies": list(ledger.currencies),
        "entries": [render_entry(ledger.entry(i)) for i in range(len(ledger))],
        "balances": format_amounts(ledger.balances()),
        "statistics": ledger.statistics(),
        "sub_accounts": [{"name": w.name, "balances": format_amounts(w.balances)} for w in ledger.wallets],
    }
    if ledger.opening != NOTHING:
        document["opening"] = {"balances": format_amounts(ledger.opening.balances),
                               "statistics": ledger.opening.statistics}
    return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def load(path: Path) -> Ledger | Recorded:
    """The ledger in ``path`` (a ledger.json, or a folder holding one), checked through; a
    recording that does not reconcile is a ``Recorded`` account, served as recorded."""
    path = Path(path)
    if path.is_dir():
        path = path / "ledger.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise LedgerFileError(f"{path}: cannot read: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LedgerFileError(f"{path}: not valid JSON: {error}") from None
    return from_document(path, document)


def from_document(path: Path, document: Any) -> Ledger | Recorded:
    """The account a parsed ledger.json holds; ``path`` names it in messages."""
    _check_text(path, document)
    if is_recording(document):
        return _recording(path, document)
    _check_shape(path, document)
    return _check_consistency(path, document)


def _check_text(path: Path, document: Any) -> None:
    """Every string is text the mock can answer again: JSON's ``\\u`` escapes can spell a lone
    surrogate, which no UTF-8 body can carry (a recording served as recorded failed every read)."""
    try:
        orjson.dumps(document)
        return
    except TypeError:  # a lone surrogate, or an integer beyond 64 bits (which the serializer writes)
        pass
    stack: list[tuple[Any, str]] = [(document, "$")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str) and not _is_text(value):
            raise LedgerFileError(f"{path}: {where}: {value!r} holds a lone surrogate, which is not text")
        if isinstance(value, dict):
            for key, item in value.items():
                if not _is_text(key):
                    raise LedgerFileError(f"{path}: {where}: the key {key!r} holds a lone surrogate, which is not text")
                stack.append((item, f"{where}.{key}"))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(value))


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _schema() -> dict[str, Any]:
    """ledger.json's schema, built on the spec's own component schemas."""
    spec = load_spec()
    wallet = {"type": "object", "required": ["name", "balances"], "additionalProperties": False,
              "properties": {"name": {"type": "string", "minLength": 1},
                             "balances": {"$ref": "#/components/schemas/CurrencyAmounts"}}}
    return {
        "type": "object",
        "required": ["format", "currencies", "entries", "balances", "statistics", "sub_accounts"],
        "properties": {
            "format": {"const": FORMAT},
            "currencies": {"type": "array", "uniqueItems": True,
                           "items": {"$ref": "#/components/schemas/CurrencyCode"}},
            "entries": {"type": "array", "items": {"$ref": "#/components/schemas/HistoryEntry"}},
            "balances": {"$ref": "#/components/schemas/CurrencyAmounts"},
            "statistics": {"$ref": "#/components/schemas/Statistics"},
            "sub_accounts": {"type": "array", "items": wallet},
            "opening": {"type": "object", "required": ["balances", "statistics"], "additionalProperties": False,
                        "properties": {"balances": {"$ref": "#/components/schemas/CurrencyAmounts"},
                                       "statistics": {"$ref": "#/components/schemas/Statistics"}}},
        },
        "components": spec["components"],
    }


def _recording_schema() -> dict[str, Any]:
    """What serving a recording as recorded needs: entries that say their currency and type."""
    named = {"type": "string", "minLength": 1}
    return {
        "type": "object",
        "required": ["format", SOURCE, "entries", BODY],
        "properties": {
            "format": {"const": FORMAT},
            SOURCE: {"type": "object", "required": ["recorded_from"], "properties": {"recorded_from": named}},
            "entries": {"type": "array", "items": {"type": "object", "required": ["currency", "type"],
                                                   "properties": {"currency": named, "type": named}}},
            BODY: {"type": "object"},
            "opening": {"type": "object"},
        },
    }


def _recording(path: Path, document: dict[str, Any]) -> Ledger | Recorded:
    """The mock's own ledger if it renders the recording exactly as recorded, else the recording
    as it is, with what does not reconcile (``reconcile``) as the reasons."""
    _check_shape(path, document, _recording_schema(), _named_entry)
    try:
        ledger = _check_consistency(path, _checked(path, as_ledger_document(document)))
        difference = _rendered_otherwise(ledger, document)
    except LedgerFileError as error:
        difference = str(error).removeprefix(f"{path}: ")
    if difference is None:
        return ledger
    source, opening = document[SOURCE], document.get("opening")
    findings = reconcile(document["entries"], document[BODY], opening if isinstance(opening, dict) else None,
                         bool(source.get("partial")))
    return Recorded(document["entries"], document[BODY], source, [f.message for f in findings] or [difference])


def _checked(path: Path, document: dict[str, Any]) -> dict[str, Any]:
    _check_shape(path, document)
    return document


def _rendered_otherwise(ledger: Ledger, document: dict[str, Any]) -> str | None:
    """Where the mock would write the ledger otherwise than recorded (None: nowhere)."""
    entries = document["entries"]
    for i, recorded in enumerate(entries):
        rendered = render_entry(ledger.entry(i))
        if list(rendered.items()) != list(recorded.items()):
            return (f"the entry at offset {len(entries) - 1 - i} is recorded as {json.dumps(recorded)}, "
                    f"the mock would write {json.dumps(rendered)}")
    rendered_body, recorded_body = json.dumps(render_balances(ledger)), json.dumps(document[BODY])
    if rendered_body != recorded_body:
        return f"the balances body is recorded as {recorded_body}, the mock would write {rendered_body}"
    return None


def _plain_entry(entry: Any) -> bool:
    """An entry the spec's HistoryEntry schema surely accepts, checked in microseconds: the
    schema validator takes about 300 µs an entry, half a minute for a long account."""
    if not isinstance(entry, dict):
        return False
    spec = forms()
    timestamp, currency, type_, amount, after = (entry.get(name) for name in spec.entry)
    return (isinstance(timestamp, str) and spec.timestamp.match(timestamp) is not None
            and isinstance(currency, str) and currency != "" and isinstance(type_, str) and type_ != ""
            and isinstance(amount, str) and spec.amount.match(amount) is not None
            and isinstance(after, str) and spec.amount.match(after) is not None)


def _named_entry(entry: Any) -> bool:
    """An entry a recording served as recorded can be filtered by."""
    return isinstance(entry, dict) and all(isinstance(entry.get(name), str) and entry[name] != ""
                                           for name in ("currency", "type"))


def _check_shape(path: Path, document: Any, schema: dict[str, Any] | None = None,
                 plain: Callable[[Any], bool] = _plain_entry) -> None:
    """``document`` against ``schema`` (ledger.json's by default), the first fault named. Entries
    that are ``plain`` are not validated one by one; if any is not, all are, for the message."""
    entries = document.get("entries") if isinstance(document, dict) else None
    if isinstance(entries, list) and all(map(plain, entries)):
        document = {**document, "entries": []}
    errors = sorted(OAS31Validator(schema or _schema()).iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise LedgerFileError(f"{path}: {first.json_path}: {first.message}{more}")


def _micro(path: Path, where: str, text: str) -> int:
    units, fraction = text.split(".")
    value = int(units) * MICRO + int(fraction)
    if value > MAX_MICRO:
        raise LedgerFileError(f"{path}: {where}: {text} is larger than the mock can hold "
                              f"({format_amount(MAX_MICRO)})")
    return value


def _seconds(path: Path, where: str, text: str) -> int:
    if "." in text:
        raise LedgerFileError(f"{path}: {where}: the mock keeps whole seconds; drop the fraction of {text}")
    try:
        return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        raise LedgerFileError(f"{path}: {where}: {text} is not a real date and time") from None


def _check_consistency(path: Path, document: dict[str, Any]) -> Ledger:
    """The ledger of a well-formed document whose numbers add up: first the entries' balance
    chain (from the opening balances, if the ledger starts mid-history), then the sub-accounts,
    then the balances and statistics against the entries."""
    currencies = document["currencies"]
    opening = _opening(path, document.get("opening"), currencies)
    entries = _booked_entries(path, document["entries"], currencies, opening.balances)
    wallets = _wallets(path, document["sub_accounts"], currencies)
    ledger = Ledger.from_entries(currencies, entries, wallets, opening)
    _check_balances(path, document["balances"], ledger)
    _check_statistics(path, document["statistics"], ledger)
    return ledger


def _opening(path: Path, raw: dict[str, Any] | None, currencies: list[str]) -> Opening:
    """What the account held before its oldest entry: nothing, unless the file says."""
    if raw is None:
        return NOTHING
    for currency in raw["balances"]:
        if currency not in currencies:
            raise LedgerFileError(f"{path}: $.opening.balances: {currency!r} is not in $.currencies")
    balances = {c: _micro(path, f"$.opening.balances.{c}", t) for c, t in raw["balances"].items()}
    statistics = {name: raw["statistics"][name] for name in NOTHING.statistics}
    return Opening(balances, statistics)


def _booked_entries(path: Path, raws: list[dict[str, str]], currencies: list[str],
                    opening: dict[str, int]) -> list[Entry]:
    """The entries, oldest first, each balance following from the one before it in its currency
    (the first from the opening balance, or zero)."""
    entries: list[Entry] = []
    running: dict[str, int] = dict(opening)
    for i, raw in enumerate(raws):
        where = f"$.entries[{i}]"
        entry = _entry(path, where, raw, currencies, entries[-1].timestamp if entries else None)
        _check_balance_chain(path, where, raw, running.get(entry.currency, 0), entry)
        running[entry.currency] = entry.balance_after
        entries.append(entry)
    return entries


def _entry(path: Path, where: str, raw: dict[str, str], currencies: list[str], previous_time: int | None) -> Entry:
    """One entry in micro-units and epoch seconds, booked no earlier than the entry above it."""
    if raw["type"] not in TYPES:
        raise LedgerFileError(f"{path}: {where}.type: the mock books {' and '.join(TYPES)}, not {raw['type']!r}")
    if raw["currency"] not in currencies:
        raise LedgerFileError(f"{path}: {where}.currency: {raw['currency']!r} is not in $.currencies")
    moment = _seconds(path, f"{where}.timestamp", raw["timestamp"])
    if previous_time is not None and moment < previous_time:
        raise LedgerFileError(f"{path}: {where}.timestamp: entries are oldest first, but {raw['timestamp']} "
                              f"is before the entry above it")
    return Entry(moment, raw["currency"], raw["type"], _micro(path, f"{where}.amount", raw["amount"]),
                 _micro(path, f"{where}.balance_after", raw["balance_after"]))


def _check_balance_chain(path: Path, where: str, raw: dict[str, str], before: int, entry: Entry) -> None:
    """The entry moves something, leaves no negative balance, and its balance_after is the
    balance before it plus (deposit) or minus (withdrawal) its amount."""
    if entry.amount == 0:
        raise LedgerFileError(f"{path}: {where}.amount: a movement of 0 is not booked")
    deposit = entry.type == DEPOSIT
    expected = before + entry.amount if deposit else before - entry.amount
    if expected < 0:
        raise LedgerFileError(f"{path}: {where}.amount: withdrawing {raw['amount']} from "
                              f"{format_amount(before)} {raw['currency']} makes the balance negative")
    if entry.balance_after != expected:
        sign = "+" if deposit else "-"
        raise LedgerFileError(f"{path}: {where}.balance_after: expected {format_amount(expected)} "
                              f"({format_amount(before)} {sign} {raw['amount']}), got {raw['balance_after']}")


def _wallets(path: Path, raws: list[dict[str, Any]], currencies: list[str]) -> list[Wallet]:
    """The sub-account wallets, holding only currencies the ledger lists."""
    wallets = []
    for i, raw in enumerate(raws):
        for currency in raw["balances"]:
            if currency not in currencies:
                raise LedgerFileError(f"{path}: $.sub_accounts[{i}].balances: {currency!r} is not in $.currencies")
        wallets.append(Wallet(raw["name"], {c: _micro(path, f"$.sub_accounts[{i}].balances.{c}", t)
                                            for c, t in raw["balances"].items()}))
    return wallets


def _check_balances(path: Path, written: dict[str, str], ledger: Ledger) -> None:
    """$.balances holds each currency's newest balance_after, and nothing else."""
    balances = format_amounts(ledger.balances())
    if written != balances:
        wrong = sorted(set(balances.items()) ^ set(written.items()))
        currency = wrong[0][0]
        raise LedgerFileError(f"{path}: $.balances.{currency}: expected {balances.get(currency, '(absent)')} "
                              f"(the newest balance_after), got {written.get(currency, '(absent)')}")


def _check_statistics(path: Path, written: dict[str, int], ledger: Ledger) -> None:
    if written != ledger.statistics():
        counted = "the counts of the entries" + (" and $.opening" if ledger.opening != NOTHING else "")
        raise LedgerFileError(f"{path}: $.statistics: expected {ledger.statistics()} ({counted}), got {written}")
