"""``balances-mock record``: an account read through the public API of any implementation (the
real API, a staging server, a running mock) into a fixture set ``serve --fixtures`` serves.

The walk goes through the contract suite's own client (``contract_tests.client``: a request
budget, back-off on 429 as ``Retry-After`` says, tokens renewed before they expire): a token,
the balances, every history page of 100 (the spec's largest) until ``total``, the balances
again. An account that moves meanwhile (``total`` or the balances change) stops the recording
and nothing is written: a walk that restarted could chase a busy account for ever.

What came back is kept as it came (``recorded.py``), disguised on request (``anonymize.py``),
read for what does not reconcile (``reconcile.py``), and written as ``balances-mock fixtures``
writes a set, atomically, with ``record-report.json`` beside it. Credentials go only to the
implementation: no file and no message holds a secret or a token.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from contract_tests import redaction
from contract_tests.client import BudgetExhausted, ContractClient, Credentials, TokenSource
from mock_server.ledger import ledger_file
from mock_server.ledger.fixtures import (
    BALANCES_PATH,
    HISTORY_PATH,
    File,
    FixtureError,
    check_target,
    error_files,
    history_file,
    manifest_file,
    write_atomically,
)
from mock_server.ledger.ledger import DEPOSIT, TYPES, WITHDRAWAL, Ledger, format_timestamp
from mock_server.ledger.ledger_file import FORMAT, LedgerFileError
from mock_server.ledger.reconcile import Finding, forms, reconcile
from mock_server.ledger.recorded import BODY, SOURCE, Recorded
from mock_server.ledger.render import entry_renderer, render_balances, render_history
from mock_server.record.anonymize import AnonymizeError, anonymize
from mock_server.serializer import to_json
from mock_server.spec import load_spec

REPORT = "record-report.json"
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
"""Currency codes and types that name a filter's file; others (from a server, never trusted as a
path) get no file of their own."""
SHOWN_FINDINGS = 10
"""Findings printed; the report file has them all."""


class RecordError(Exception):
    """A recording that cannot be made; the message says why in one line. Nothing was written.
    What an implementation answered may be quoted in it, never a credential (``redaction``)."""

    def __init__(self, message: str) -> None:
        super().__init__(redaction.text(message))


class AccountChanged(RecordError):
    """The account moved while it was read: its pages would not belong together."""


@dataclass(frozen=True)
class RecordOptions:
    """What to record from where, and how."""

    url: str
    credentials: Credentials = field(repr=False)
    max_requests: int = 3000
    max_entries: int | None = None
    """Record only the newest this many entries (a partial recording)."""
    anonymize: str | None = None
    """The seed of ``--anonymize``; None keeps the figures and dates."""
    timeout: float = 30


def page_size() -> int:
    """The largest history page the spec allows."""
    operation = load_spec()["paths"][HISTORY_PATH]["get"]
    return next(p["schema"]["maximum"] for p in operation["parameters"] if p["name"] == "limit")


def public_url(url: str) -> str:
    """``url`` without credentials, query or fragment: what a recording may say it came from.
    ValueError for what is not an http(s) URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http:// or https:// URL")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url!r} has a port that is not a number from 0 to 65535") from None
    return urlunsplit((parts.scheme, host + (f":{port}" if port is not None else ""), parts.path.rstrip("/"), "", ""))


# -- the walk -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Walked:
    """What the implementation answered: bodies as bytes (``balances``, each page by offset), the
    entries newest first (the newest ``max_entries`` of them), the history's ``total``, and the
    fields of its pages the API does not document (a recording keeps entries, not pages)."""

    balances: bytes
    body: dict[str, Any]
    pages: tuple[tuple[int, bytes], ...]
    entries: list[dict[str, Any]]
    total: int
    requests: int
    page_fields: tuple[str, ...] = ()


Progress = Callable[[int, int], None]
"""Called with (pages read, pages to read) after each page."""


def walk(options: RecordOptions, progress: Progress = lambda done, pages: None,
         sleep: Callable[[float], None] = time.sleep) -> Walked:
    """Read the account: balances, every page, balances again. RecordError on any failure.
    ``sleep`` waits out a 429 as its Retry-After says."""
    url = public_url(options.url)
    client = ContractClient(url, options.max_requests, timeout=options.timeout, sleep=sleep)
    reader = _Reader(client, TokenSource(client, options.credentials), bool(options.credentials.token))
    try:
        return _walk(reader, options, progress)
    except BudgetExhausted as error:
        raise RecordError(str(error)) from None
    except requests.RequestException as error:
        raise RecordError(f"cannot reach {url}: {_reason(error)}") from None


def _walk(reader: _Reader, options: RecordOptions, progress: Progress) -> Walked:
    size = page_size()
    balances, body = reader.get(BALANCES_PATH)
    if not isinstance(body, dict):
        raise RecordError(f"GET {BALANCES_PATH} answered {_excerpt(balances)}, not a JSON object")
    raw, first = reader.page(0, size)
    total = first["total"]
    wanted = total if options.max_entries is None else min(total, options.max_entries)
    offsets = range(0, max(wanted, 1), size)
    left = len(offsets)  # the other pages, and the balances again
    if reader.client.sent + left > options.max_requests:
        raise RecordError(f"the history holds {total} entries: {len(offsets)} pages of {size} and the balances need "
                          f"{reader.client.sent + left} requests, more than the budget of {options.max_requests}; "
                          "raise it with --max-requests (or BALANCES_MAX_REQUESTS), or record the newest entries "
                          "with --max-entries")
    pages, entries = [(0, raw)], _entries(first, 0, size, total)
    progress(1, len(offsets))
    for number, offset in enumerate(offsets[1:], 2):
        raw, body_of_page = reader.page(offset, size)
        if body_of_page["total"] != total:
            raise AccountChanged(f"the account changed while it was recorded: the history's total was {total} at "
                                 f"offset 0 and {body_of_page['total']} at offset {offset}; nothing was written, "
                                 "record it again when it is quiet")
        pages.append((offset, raw))
        entries += _entries(body_of_page, offset, size, total)
        progress(number, len(offsets))
    _, after = reader.get(BALANCES_PATH)
    moved = [part for part in forms().body if isinstance(after, dict) and after.get(part) != body.get(part)]
    if moved or not isinstance(after, dict):
        raise AccountChanged(f"the account changed while it was recorded: its {', '.join(moved) or 'balances'} "
                             "differ before and after the history was read; nothing was written, record it again "
                             "when it is quiet")
    return Walked(balances, body, tuple(pages), entries[:wanted], total, reader.client.sent,
                  tuple(dict.fromkeys(name for name in reader.page_fields if name not in _page_fields())))


def _page_fields() -> tuple[str, ...]:
    return tuple(load_spec()["components"]["schemas"]["HistoryPage"]["properties"])


def _entries(page: Mapping[str, Any], offset: int, size: int, total: int) -> list[dict[str, Any]]:
    """A page's entries, after checking it holds what a walk needs: every page full but the
    last, or the recording would miss entries."""
    history = page["history"]
    expected = max(min(size, total - offset), 0)
    if len(history) != expected:
        raise RecordError(f"GET {HISTORY_PATH}?limit={size}&offset={offset} answered {len(history)} entries with a "
                          f"total of {total}, where {expected} were due: pages that are not full would make the "
                          "recording miss entries")
    for i, entry in enumerate(history):
        if not isinstance(entry, dict):
            raise RecordError(f"the entry at offset {offset + i} is {_excerpt(json.dumps(entry).encode())}, "
                              "not a JSON object")
    return history


@dataclass
class _Reader:
    """GETs with a bearer token, each answer a 200 with a JSON body or a RecordError."""

    client: ContractClient
    tokens: TokenSource
    tokens_given: bool = False
    """The token came ready (--token): a 401 then says which setting to check."""
    page_fields: list[str] = field(default_factory=list)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> tuple[bytes, Any]:
        response = self.client.get(path, token=self._token(), params=params)
        where = f"GET {path}" + (f"?{'&'.join(f'{k}={v}' for k, v in params.items())}" if params else "")
        if response.status_code != 200:
            hint = " (check --token or BALANCES_TOKEN)" if response.status_code == 401 and self.tokens_given else ""
            raise RecordError(f"{where} answered {response.status_code}: {_error_text(response)}{hint}")
        try:
            return response.content, response.json()
        except ValueError:
            raise RecordError(f"{where} answered {_excerpt(response.content)}, which is not JSON") from None

    def page(self, offset: int, size: int) -> tuple[bytes, dict[str, Any]]:
        raw, page = self.get(HISTORY_PATH, {"limit": size, "offset": offset})
        if isinstance(page, dict):
            self.page_fields.extend(page)
        if not (isinstance(page, dict) and isinstance(page.get("history"), list)
                and isinstance(page.get("total"), int) and not isinstance(page.get("total"), bool)):
            raise RecordError(f"GET {HISTORY_PATH}?limit={size}&offset={offset} answered {_excerpt(raw)}, not a "
                              "page with a history list and an integer total")
        return raw, page

    def _token(self) -> str:
        try:
            return self.tokens.token()
        except RuntimeError as error:  # no token: the message names the client and the answer
            raise RecordError(str(error)) from None


def _error_text(response: requests.Response) -> str:
    try:
        error = response.json()["error"]
        if isinstance(error, dict):
            return f"{error.get('code')}: {error.get('message')}"
        return str(error)
    except (ValueError, KeyError, TypeError):
        return _excerpt(response.content)


def _excerpt(data: bytes, length: int = 120) -> str:
    text = data.decode("utf-8", "replace")
    return repr(text if len(text) <= length else text[:length] + "...")


def _reason(error: requests.RequestException) -> str:
    """The cause of a failed request in a few words (``connection refused``), not urllib3's chain."""
    if isinstance(error, requests.Timeout):
        return "no answer in time"
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
        found = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(cause))
        if found:
            return found.group(1).strip().lower()
        cause = cause.__cause__ or cause.__context__ or (cause.args[0] if cause.args and isinstance(
            cause.args[0], BaseException) else None)
    return type(error).__name__


# -- the recording --------------------------------------------------------------------------

def recording_document(walked: Walked, source: Mapping[str, Any]) -> dict[str, Any]:
    """ledger.json of a recording: ``source``, the opening (for a partial recording, or
    currencies listed without history), the entries oldest first and the balances body, as
    recorded."""
    entries = list(reversed(walked.entries))
    partial = len(entries) < walked.total
    document: dict[str, Any] = {"format": FORMAT, SOURCE: {**source, "history_total": walked.total,
                                                           "entries": len(entries), "partial": partial}}
    opening = opening_of(entries, walked.body, partial)
    if opening is not None:
        document["opening"] = opening
    document["entries"] = entries
    document[BODY] = walked.body
    return document


def opening_of(entries: Sequence[Mapping[str, Any]], body: Mapping[str, Any], partial: bool) -> dict[str, Any] | None:
    """What the account held before the oldest recorded entry. A full recording starts from
    nothing: only currencies the balances list without any entry open, at zero. A partial one
    opens each currency at its oldest recorded entry's balance_after minus its deposit (plus its
    withdrawal), a currency without recorded entries at its balance, and counts before it the
    deposits and withdrawals the statistics hold beyond the recorded ones. A currency whose
    oldest entry has another type gets no opening: its direction is not documented."""
    account = body.get("account") if isinstance(body.get("account"), Mapping) else {}
    oldest: dict[str, Mapping[str, Any]] = {}
    for entry in entries:
        oldest.setdefault(entry.get("currency"), entry)
    if not partial:
        zero = {currency: "0.000000" for currency in account if currency not in oldest}
        return {"balances": zero, "statistics": {"total_deposits": 0, "total_withdrawals": 0}} if zero else None
    amount_form = forms().amount
    balances = {}
    for currency, entry in oldest.items():
        amount, after = entry.get("amount"), entry.get("balance_after")
        if entry.get("type") in TYPES and all(isinstance(v, str) and amount_form.match(v) for v in (amount, after)):
            before = Decimal(after) - Decimal(amount) if entry["type"] == DEPOSIT else Decimal(after) + Decimal(amount)
            if before >= 0:
                balances[currency] = f"{before:.6f}"
    balances.update({currency: value for currency, value in account.items() if currency not in oldest})
    statistics = body.get("statistics") if isinstance(body.get("statistics"), Mapping) else {}
    counted = Counter(entry.get("type") for entry in entries)
    before_counts = {}
    for name, kind in zip(forms().statistics, (DEPOSIT, WITHDRAWAL), strict=True):
        if isinstance(statistics.get(name), int):
            before_counts[name] = statistics[name] - counted[kind]
    return {"balances": balances, "statistics": before_counts}


@dataclass
class Report:
    """What a recording holds and what in it does not reconcile: printed, and written as
    record-report.json."""

    source: dict[str, Any]
    requests: int
    pages: int
    served_as: str
    """``ledger``: the mock's own ledger, sandbox included; ``recorded``: as recorded, no bookings."""
    findings: list[Finding]
    compared: dict[str, Any]
    """The served bodies against the implementation's bytes, or why they were not compared."""
    dropped: list[str] = field(default_factory=list)
    unserved: list[str] = field(default_factory=list)
    """Fields of the history pages the API does not document: the mock's pages do not have them."""
    seconds: float = 0.0
    out: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return redaction.json_value({
            "recorded_from": self.source["recorded_from"],
            **({"recorded_at": self.source["recorded_at"]} if "recorded_at" in self.source else {}),
            "history_total": self.source["history_total"],
            "entries": self.source["entries"],
            "partial": self.source["partial"],
            "anonymized": bool(self.source.get("anonymized")),
            **({"dropped_fields": self.dropped} if self.source.get("anonymized") else {}),
            "requests": self.requests,
            "pages_read": self.pages,
            "served_as": self.served_as,
            "reconciles": not self.findings,
            "findings": [finding.to_json() for finding in self.findings],
            **({"page_fields_not_served": self.unserved} if self.unserved else {}),
            "compared_with_upstream": self.compared,
        })

    def lines(self) -> list[str]:
        """The report for a terminal: what was recorded, whether it reconciles, what does not."""
        source, out = self.source, self.out or Path("DIR")
        of = f"{source['entries']} of {source['history_total']}" if source["partial"] else f"{source['entries']}"
        lines = [f"recorded {of} history entries and the balances from {source['recorded_from']} in {self.requests} "
                 f"requests ({self.seconds:.1f} s) into {out}"]
        if source.get("anonymized"):
            dropped = f"; fields dropped: {', '.join(self.dropped)}" if self.dropped else ""
            lines.append(f"anonymized: amounts scaled per currency, timestamps shifted{dropped}")
        if source["partial"]:
            lines.append(f"partial: the newest {source['entries']} entries; the ledger opens with what the older ones "
                         "left (opening in ledger.json), and the statistics still count the whole account")
        if self.findings:
            lines.append(f"does not reconcile ({len(self.findings)} findings): the mock serves it as recorded, and "
                         "the sandbox refuses to book on it")
            lines += [f"  - {finding.message}" for finding in self.findings[:SHOWN_FINDINGS]]
            if len(self.findings) > SHOWN_FINDINGS:
                lines.append(f"  ... and {len(self.findings) - SHOWN_FINDINGS} more in {out / REPORT}")
        else:
            lines.append("reconciles: the mock serves it from its own ledger, sandbox included")
        if self.unserved:
            lines.append(f"not served: the history pages' {', '.join(map(repr, self.unserved))} (not documented; a "
                         "recording keeps the entries and cuts pages of its own)")
        if "skipped" in self.compared:
            lines.append(f"not compared with the implementation's bytes: {self.compared['skipped']}")
        elif self.compared["identical"]:
            lines.append(f"the mock answers the balances and all {self.compared['pages']} pages byte for byte as the "
                         "implementation did")
        else:
            lines.append(f"the mock's answers differ from the implementation's bytes: {self.compared['difference']}")
        lines.append(f"report: {out / REPORT}; serve it: balances-mock serve --fixtures {out}")
        return [redaction.text(line) for line in lines]


def build(document: dict[str, Any], walked: Walked, dropped: Sequence[str] = ()) -> tuple[list[File], Report]:
    """Every file of the set (manifest last) and the report, from a recording's document."""
    try:
        base = ledger_file.from_document(Path("ledger.json"), document)
    except LedgerFileError as error:
        raise RecordError(f"the implementation answered what the mock cannot serve: {error}") from None
    source = document[SOURCE]
    size = page_size()
    if isinstance(base, Recorded):
        rendered: Callable[[int], Mapping[str, Any]] = base.raw
        balances = to_json(base.balances_body)
        served_as, findings = "recorded", reconcile(document["entries"], document[BODY], document.get("opening"),
                                                    source["partial"])
    else:
        rendered, balances, served_as, findings = entry_renderer(base), to_json(render_balances(base)), "ledger", []
    if isinstance(base, Recorded) and not findings:  # nothing reconcile names: how the mock would write it otherwise
        findings = [Finding("form", reason) for reason in base.reasons]
    compared = _compare(base, rendered, balances, walked, source, size)
    files = [File("ledger.json", (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()),
             File("balances.json", balances, f"GET {BALANCES_PATH}", 200)]
    pages = max(1, -(-len(base) // size))
    width = max(4, len(str(pages)))
    files += [history_file(base, f"history/page-{n + 1:0{width}d}.json", {"limit": size, "offset": n * size}, rendered)
              for n in range(pages)]
    files += [history_file(base, f"history/currency-{currency}.json", {"currency": currency, "limit": size}, rendered)
              for currency in base.currencies if SAFE_NAME.match(currency)]
    files += [history_file(base, f"history/type-{kind}.json", {"type": kind, "limit": size}, rendered)
              for kind in _types(base) if SAFE_NAME.match(kind)]
    files += list(error_files())
    report = Report(dict(source), walked.requests, len(walked.pages), served_as, findings, compared, list(dropped),
                    list(walked.page_fields))
    files.append(File(REPORT, (json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n").encode()))
    counts = {"entries": len(base), "currencies": len(base.currencies), "history_pages": pages,
              "types": dict(Counter(_type_of(base, rendered, i) for i in range(len(base))))}
    header = {"recorded_from": source["recorded_from"], "limit": size,
              **({"recorded_at": source["recorded_at"]} if "recorded_at" in source else {})}
    files.append(manifest_file(header, counts, files))
    return files, report


def _types(base: Ledger | Recorded) -> list[str]:
    """The documented types, then any other the recording holds, newest first."""
    found = dict.fromkeys(TYPES)
    if isinstance(base, Recorded):
        found.update(dict.fromkeys(base.raw(i)["type"] for i in reversed(range(len(base)))))
    return list(found)


def _type_of(base: Ledger | Recorded, rendered: Callable[[int], Mapping[str, Any]], position: int) -> str:
    return rendered(position)["type"] if isinstance(base, Recorded) else base.entry(position).type


def _compare(base: Ledger | Recorded, rendered: Callable[[int], Mapping[str, Any]], balances: bytes, walked: Walked,
             source: Mapping[str, Any], size: int) -> dict[str, Any]:
    """The served balances and walked pages against the implementation's bytes."""
    if source.get("anonymized"):
        return {"skipped": "the recording is anonymized"}
    if source["partial"]:
        return {"skipped": f"the recording is partial: its pages say total {source['entries']}, the implementation's "
                           f"{source['history_total']}"}
    differences = []
    if balances != walked.balances:
        differences.append(f"GET {BALANCES_PATH}: {_first_difference(walked.balances, balances)}")
    for offset, raw in walked.pages:
        served = to_json(render_history(base, {"limit": size, "offset": offset}, rendered))
        if served != raw:
            differences.append(f"GET {HISTORY_PATH}?limit={size}&offset={offset}: {_first_difference(raw, served)}")
    result: dict[str, Any] = {"pages": len(walked.pages), "identical": not differences}
    if differences:
        result.update(difference=differences[0], differences=len(differences))
    return result


def _first_difference(theirs: bytes, ours: bytes) -> str:
    at = next((i for i, (a, b) in enumerate(zip(theirs, ours, strict=False)) if a != b), min(len(theirs), len(ours)))
    start = max(at - 20, 0)
    return (f"from byte {at}, the implementation sent {theirs[start:at + 30].decode('utf-8', 'replace')!r}, the mock "
            f"answers {ours[start:at + 30].decode('utf-8', 'replace')!r}")


def record(options: RecordOptions, out: Path, force: bool = False, progress: Progress = lambda done, pages: None,
           clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> Report:
    """Record the account at ``options.url`` into ``out``: nothing is read if ``out`` may not be
    written, and nothing is written unless the whole account was read."""
    started = time.monotonic()
    try:
        url = public_url(options.url)
    except ValueError as error:
        raise RecordError(str(error)) from None
    try:
        check_target(out, force)
        walked = walk(options, progress, sleep)
        source = {"recorded_from": url, "recorded_at": format_timestamp(int(clock()))}
        document = recording_document(walked, source)
        dropped: list[str] = []
        if options.anonymize is not None:
            document, dropped = anonymize(document, options.anonymize)
        files, report = build(document, walked, dropped)
        write_atomically(iter(files), out, force)
    except (FixtureError, AnonymizeError) as error:
        raise RecordError(str(error)) from None
    report.seconds, report.out = time.monotonic() - started, out
    return report

