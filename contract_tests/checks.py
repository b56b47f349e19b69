"""The rules a schema cannot express, one small named check each.

Every check raises ``ContractViolation`` with the rule that broke, what was expected, what
came back, and a curl command that reproduces it (credentials redacted), so a red CI run
explains itself without this source at hand.

The first two also run on every response schemathesis gets (``fuzzing`` registers them),
and on every answer ``balances-mock proxy`` passes on. This module needs no schemathesis.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

import requests

from . import redaction, rules
from .paths import is_token_request
from .reproduce import curl
from .rules import Rule

JSON = "application/json"
DEPOSIT, WITHDRAWAL = "deposit", "withdrawal"


class ContractViolation(AssertionError):
    """The implementation broke a rule of the contract: which, what was expected, what came
    back, and the curl that repeats the request."""

    def __init__(self, rule: Rule, expected: Any, got: Any, reproduce: str | None) -> None:
        self.rule, self.expected, self.got, self.reproduce = rule, expected, got, reproduce
        rests_on = (f"the mock's decision `{rule.decision}` (a server that differs here is drift)"
                    if rule.decision else rule.basis)
        lines = [f"Contract rule broken: {rule.text}", f"  rests on: {rests_on}",
                 f"  expected: {expected}", f"  got:      {got}"]
        if reproduce:
            lines.append(f"  reproduce: {reproduce}")
        super().__init__("\n".join(lines))


def violation(rule: Rule, expected: Any, got: Any, response: Any = None) -> ContractViolation:
    reproduce = curl(response) if response is not None and getattr(response, "request", None) is not None else None
    return ContractViolation(rule, expected, got, reproduce)


def _content_type(response: Any) -> str:
    value = response.headers.get("content-type") or response.headers.get("Content-Type") or ""
    if isinstance(value, list):  # schemathesis keeps every header as a list
        value = value[0] if value else ""
    return value.split(";", 1)[0].strip().lower()


def _body(response: Any) -> Any:
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        return None


def _excerpt(response: Any) -> str:
    """The status and the start of the body, a credential in it (a token answer's) redacted."""
    text = redaction.body(getattr(response, "text", "") or "") or ""
    return f"{response.status_code} {text[:200]!r}"


# -- every response ------------------------------------------------------------------------

def error_body_is_the_envelope(response: Any, path: str, method: str) -> None:
    """Every 4xx/5xx is JSON: the API's envelope, or RFC 6749's error for a refused token request."""
    if response.status_code < 400:
        return
    if _content_type(response) != JSON:
        raise violation(rules.ERRORS_ARE_JSON, f"Content-Type: {JSON}",
                        f"Content-Type: {_content_type(response) or '(none)'}", response)
    body = _body(response)
    if is_token_request(method, path) and response.status_code in (400, 401):
        if not (isinstance(body, dict) and isinstance(body.get("error"), str)):
            raise violation(rules.TOKEN_ERRORS, '{"error": "<code>", ...}',
                            _excerpt(response), response)
        return
    error = body.get("error") if isinstance(body, dict) else None
    if not (isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str)
            and isinstance(error.get("details"), dict)):
        raise violation(rules.ERRORS_USE_THE_ENVELOPE, '{"error": {"code": str, "message": str, "details": {}}}',
                        _excerpt(response), response)


def history_page_is_consistent(response: Any, query: Mapping[str, Any]) -> None:
    """A 200 history page echoes limit and offset, holds at most ``limit`` entries, and only
    entries that match its filters."""
    if response.status_code != 200:
        return
    page = _body(response)
    if not (isinstance(page, dict) and isinstance(page.get("history"), list)
            and all(isinstance(e, dict) and isinstance(e.get("timestamp"), str) for e in page["history"])):
        return  # the schema checks report a malformed page
    limit = int(query.get("limit", 20))
    offset = int(query.get("offset", 0))
    page_echoes_paging(response, page, limit, offset)
    page_size_is_bounded(response, page, limit, offset)
    newest_first(response, page["history"])
    entries_match_filters(response, page["history"], {k: query[k] for k in ("currency", "type") if k in query})


def conforms(response: Any, problems: Sequence[tuple[Any, str]]) -> None:
    """Every documented item the response shows is as the spec documents it. Items that a rule
    of their own judges (a challenge header an RFC requires) break that rule when they alone
    are wrong; any other mix breaks the generic one, every item listed."""
    if problems:
        judged = {rules.judged_by(item.part, item.basis) for item, _ in problems}
        rule = judged.pop() if len(judged) == 1 else rules.CONFORMS
        raise violation(rule, "as the spec documents: " + ", ".join(item.part for item, _ in problems),
                        "; ".join(f"{item.key}: {problem}" for item, problem in problems), response)


def not_a_server_error(response: Any) -> None:
    if response.status_code >= 500:
        raise violation(rules.NO_SERVER_ERROR, "a status below 500", _excerpt(response), response)


def has_header(response: Any, name: str, rule: Rule) -> None:
    if not response.headers.get(name):
        raise violation(rule, f"a {name} header", "none", response)


# -- pagination --------------------------------------------------------------------------

def page_echoes_paging(response: Any, page: Mapping[str, Any], limit: int, offset: int) -> None:
    if page.get("limit") != limit or page.get("offset") != offset:
        raise violation(rules.ECHOES_PAGING, f"limit={limit}, offset={offset}",
                        f"limit={page.get('limit')!r}, offset={page.get('offset')!r}", response)


def page_size_is_bounded(response: Any, page: Mapping[str, Any], limit: int, offset: int) -> None:
    size, total = len(page["history"]), page.get("total")
    if size > limit:
        raise violation(rules.AT_MOST_LIMIT, f"<= {limit} entries", f"{size} entries", response)
    if isinstance(total, int):
        expected = max(0, min(limit, total - offset))
        if size != expected:
            raise violation(rules.FULL_BUT_AT_THE_END,
                            f"{expected} entries (total {total}, offset {offset}, limit {limit})",
                            f"{size} entries", response)


def walk_matches_reference(walked: Sequence[Mapping], reference: Sequence[Mapping], limit: int,
                           response: Any) -> None:
    """Paging with ``limit`` gives the same entries, in the same order, as one big page."""
    if list(walked) == list(reference):
        return
    first = next((i for i, (a, b) in enumerate(zip(walked, reference, strict=False)) if a != b),
                 min(len(walked), len(reference)))
    raise violation(
        rules.EVERY_ENTRY_ONCE,
        f"with limit={limit}, {len(reference)} entries equal to the big page; entry {first}: "
        f"{reference[first] if first < len(reference) else '(none)'}",
        f"{len(walked)} entries; entry {first}: {walked[first] if first < len(walked) else '(none)'}",
        response)


def walk_reaches_total(response: Any, collected: int, total: int, window: int) -> None:
    """A walk to the end collects ``total`` entries (or stops at ``window``)."""
    expected = min(total, window)
    if collected != expected:
        raise violation(rules.WALK_REACHES_TOTAL, f"{expected} entries (total {total}, window {window})",
                        f"{collected} entries", response)


def total_is_constant(response: Any, totals: Iterable[Any]) -> None:
    distinct = sorted({repr(t) for t in totals})
    if len(distinct) != 1:
        raise violation(rules.TOTAL_CONSTANT, "one value", ", ".join(distinct), response)


# -- ordering and filters ----------------------------------------------------------------

def newest_first(response: Any, entries: Sequence[Mapping]) -> None:
    """Each entry is at or before the one above it. An entry whose timestamp is no date-time
    is left out: the schema checks report it, and it has no place in time to be out of."""
    stamps = [e["timestamp"] for e in entries]
    instant = _instant_of(stamps)
    placed = [i for i in range(len(stamps)) if instant(i) is not None]
    for before, i in pairwise(placed):
        if instant(i) > instant(before):
            raise violation(rules.NEWEST_FIRST, f"entry {i} at or before {stamps[before]}",
                            f"entry {i} at {stamps[i]}", response)


_DATE_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", re.ASCII | re.IGNORECASE)
"""An RFC 3339 date-time (§5.6), its fraction of a second of any length."""
_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z", re.ASCII)
"""The form the docs show, whose strings sort in time order once a fraction's trailing zeros go."""

Instant = tuple[str, Decimal]


def _instant(timestamp: Any) -> Instant | None:
    """Comparable form of an RFC 3339 timestamp: at UTC to the second, then the fraction as a
    decimal; None for anything that is no date-time. A UTC stamp is compared by its text as the
    quick way of ``_instant_of`` does (a 30 February sorts where its text does, in both ways)."""
    match = _DATE_TIME.fullmatch(timestamp) if isinstance(timestamp, str) else None
    if match is None:
        return None
    whole, fraction, offset = match.groups()
    if offset not in "Zz":  # to UTC, as the docs' timestamps are
        try:
            moment = datetime.fromisoformat(f"{whole}{offset}").astimezone(UTC)
        except (ValueError, OverflowError):  # a month 13, an offset of 25 hours, past year 1 or 9999
            return None
        whole = moment.replace(tzinfo=None).isoformat()  # four digits of year, as the docs' form has
    return whole, Decimal(f"0.{fraction or 0}")


def _instant_of(stamps: Sequence[Any]) -> Callable[[int], Any]:
    """The comparable form of each of ``stamps``, by position: ``_instant``'s, or when every
    stamp has the docs' form (UTC, ``Z``, as a page's always do), the string without the
    fraction's trailing zeros, which sorts in time order at a tenth of the cost (a proxy checks
    every page it passes on)."""
    if all(type(stamp) is str and _UTC.fullmatch(stamp) for stamp in stamps):
        keys = [stamp[:-1].rstrip("0").rstrip(".") if "." in stamp else stamp[:-1] for stamp in stamps]
        return keys.__getitem__
    return lambda i: _instant(stamps[i])


def same_response(first: Any, second: Any) -> None:
    if first.json() != second.json():
        raise violation(rules.STABLE_ORDER, "the same page twice", "two different pages", second)


def entries_match_filters(response: Any, entries: Sequence[Mapping], filters: Mapping[str, str]) -> None:
    """Every entry has each filter's value; one that differs only in letter case breaks the
    spec's decision that filters are case-sensitive (drift), not the documentation."""
    for i, entry in enumerate(entries):
        for key, value in filters.items():
            got = entry.get(key)
            if got != value:
                rule = (rules.FILTERS_CASE_SENSITIVE if isinstance(got, str) and got.casefold() == value.casefold()
                        else rules.FILTER_EXACT)
                raise violation(rule, f"every entry with {key}={value!r}", f"entry {i} has {key}={got!r}", response)


def filter_finds_every_match(response: Any, page: Mapping[str, Any], filters: Mapping[str, str],
                             walked: Sequence[Mapping], complete: bool, limit: int) -> int:
    """A filtered page (of ``limit``, from offset 0) holds every entry of the unfiltered walk
    that matches ``filters``, and its ``total`` counts them ("total number of matching
    records"): exactly when the walk read the whole history (``complete``), at least as many
    when it read only the newest window.

    Only "newest first" is documented, not the order of entries of one instant, so the two
    sides are compared as multisets, over the instants both cover whole: those newer than
    the oldest of a full page, and than the oldest of a walk that stopped at its window.
    Returns how many entries it compared: 0 says the comparison checked nothing."""
    expected = [entry for entry in walked if all(entry.get(key) == value for key, value in filters.items())]
    got = list(page["history"])
    cuts = [_oldest(got)] if len(got) >= limit else []
    if not complete and walked:
        cuts.append(_oldest(walked))
    newest_cut = max((c for c in cuts if c is not None), key=_instant, default=None)
    cut = _instant(newest_cut) if newest_cut is not None else None
    want, have = _entries_after(expected, cut), _entries_after(got, cut)
    where = ", ".join(f"{key}={value}" for key, value in filters.items())
    if want != have:
        missing, extra = list((want - have).elements()), list((have - want).elements())
        raise violation(
            rules.FILTER_EXACT,
            f"with {where}, the {sum(want.values())} matching entries of the unfiltered history"
            + (f" newer than {newest_cut}" if newest_cut is not None else ""),
            f"{len(missing)} missing (first: {missing[0] if missing else 'none'}), "
            f"{len(extra)} not among them (first: {extra[0] if extra else 'none'})", response)
    total = page.get("total")
    if not isinstance(total, int) or (total != len(expected) if complete else total < len(expected)):
        raise violation(rules.FILTER_EXACT,
                        f"with {where}, total {'' if complete else 'at least '}{len(expected)} (the matching entries "
                        f"of the unfiltered history{'' if complete else ' window'})", f"total {total!r}", response)
    return sum(want.values())


def _oldest(entries: Sequence[Mapping]) -> str | None:
    """The oldest of the timestamps that are date-times, or None if none is."""
    placed = [(instant, entry["timestamp"]) for entry in entries if (instant := _instant(entry["timestamp"]))]
    return min(placed)[1] if placed else None


def _entries_after(entries: Sequence[Mapping], cut: Instant | None) -> Counter[str]:
    """The entries newer than ``cut`` (all of them without one); with a cut, an entry whose
    timestamp is no date-time cannot be placed and is left to the schema checks."""
    def after(entry: Mapping) -> bool:
        instant = _instant(entry["timestamp"])
        return instant is not None and instant > cut
    return Counter(json.dumps(entry, sort_keys=True) for entry in entries if cut is None or after(entry))


def totals_add_up(response: Any, parts: Mapping[str, int], total: int, what: str) -> None:
    if sum(parts.values()) != total:
        raise violation(rules.TOTALS_ADD_UP, f"the per-{what} totals sum to {total}",
                        f"sum = {sum(parts.values())} ({dict(parts)})", response)


# -- the ledger --------------------------------------------------------------------------

def amount(value: str) -> Decimal:
    return Decimal(value)


def balance_chain(response: Any, currency: str, entries: Sequence[Mapping]) -> int:
    """Newest first: each balance_after is the next-older one moved by amount per its type.
    Returns how many links it checked: a link whose newer entry has a type the contract does
    not know the direction of is not checked."""
    checked = 0
    for i in range(len(entries) - 1):
        newer, older = entries[i], entries[i + 1]
        if newer["type"] not in (DEPOSIT, WITHDRAWAL):
            continue
        checked += 1
        sign = 1 if newer["type"] == DEPOSIT else -1
        expected = amount(older["balance_after"]) + sign * amount(newer["amount"])
        if amount(newer["balance_after"]) != expected:
            raise violation(
                rules.BALANCE_CHAIN,
                f"{currency}: {older['balance_after']} {'+' if sign > 0 else '-'} {newer['amount']} = {expected:f}",
                f"balance_after {newer['balance_after']} at {newer['timestamp']} ({newer['type']})", response)
        if amount(newer["balance_after"]) < 0:
            raise violation(rules.NEVER_NEGATIVE, f"{currency}: >= 0", newer["balance_after"], response)
    return checked


def balance_is_newest_balance_after(response: Any, currency: str, account: Mapping[str, str],
                                    newest: Mapping | None) -> None:
    if newest is None:
        if currency in account and amount(account[currency]) != 0:
            raise violation(rules.BALANCE_IS_NEWEST, f"{currency}: 0 (no history)", account[currency], response)
        return
    shown = account.get(currency)
    if shown is None and amount(newest["balance_after"]) == 0:
        return  # a drained currency may be left out of `account`
    if shown is None or amount(shown) != amount(newest["balance_after"]):
        raise violation(rules.BALANCE_IS_NEWEST,
                        f"{currency}: {newest['balance_after']} (entry at {newest['timestamp']})", shown, response)


def statistics_count_history(response: Any, statistics: Mapping[str, Any], deposits: int, withdrawals: int) -> None:
    got = (statistics.get("total_deposits"), statistics.get("total_withdrawals"))
    if got != (deposits, withdrawals):
        raise violation(rules.STATISTICS_COUNT,
                        f"total_deposits={deposits}, total_withdrawals={withdrawals}",
                        f"total_deposits={got[0]!r}, total_withdrawals={got[1]!r}", response)


# -- status codes --------------------------------------------------------------------------

def status_is(response: requests.Response | Any, expected: Iterable[int], rule: Rule) -> None:
    allowed = sorted(set(expected))
    if response.status_code not in allowed:
        raise violation(rule, " or ".join(map(str, allowed)), _excerpt(response), response)


def error_code_is(response: Any, code: str, rule: Rule) -> None:
    body = _body(response) or {}
    got = body.get("error", {}).get("code") if isinstance(body.get("error"), dict) else body.get("error")
    if got != code:
        raise violation(rule, f"error code {code!r}", f"{got!r} ({_excerpt(response)})", response)


# -- decided answers, and the promises they still hold -------------------------------------

def unknown_path_answer(response: Any, path: str, method: str = "GET") -> None:
    """An unknown path is 404 (RFC 9110); that the 404 is the API's JSON envelope is the spec's
    decision (Django's own 404 page is HTML), so a body that is not is drift."""
    status_is(response, [404], rules.UNKNOWN_PATH)
    try:
        error_body_is_the_envelope(response, path, method)
    except ContractViolation as broken:
        raise violation(rules.UNKNOWN_PATH_ENVELOPE, broken.expected, broken.got, response) from None


def past_the_end(response: Any, total: int, offset: int) -> None:
    """An offset past the end: 200 with an empty page is the spec's decision (drift otherwise);
    a page it answers still holds what the documentation promises: its ``total`` is the total
    of matching records, and it holds no entry."""
    status_is(response, [200], rules.PAST_THE_END)
    page = _body(response)
    if not isinstance(page, dict):
        return  # the conformance check reports a malformed page
    if page.get("total") != total:
        raise violation(rules.TOTAL_PAST_THE_END, f"total {total} (as on the first page)",
                        f"total {page.get('total')!r} at offset {offset}", response)
    if page.get("history"):
        raise violation(rules.FULL_BUT_AT_THE_END, f"no entry past the end (total {total}, offset {offset})",
                        f"{len(page['history'])} entries", response)


def allowed_methods(response: Any) -> list[str]:
    """The methods an ``Allow`` header lists, upper case, in its order."""
    value = response.headers.get("Allow") or ""
    return [method.strip().upper() for method in value.split(",") if method.strip()]


def allow_is_true(response: Any, answers: Mapping[str, Any]) -> None:
    """Each method ``Allow`` lists is served: ``answers`` maps each listed method that was tried
    to its answer; none may be 405."""
    for method, answer in answers.items():
        if answer.status_code == 405:
            raise violation(rules.ALLOW_IS_TRUE, f"{method} served, as Allow: {', '.join(allowed_methods(response))} "
                            "claims", f"{method} answered 405", answer)


def allow_lists(response: Any, method: str, rule: Rule) -> None:
    """``Allow`` names ``method`` (the spec's decision ``rule`` rests on)."""
    if method not in allowed_methods(response):
        raise violation(rule, f"Allow naming {method}", f"Allow: {response.headers.get('Allow') or '(none)'}",
                        response)


def head_like_get(get: Any, head: Any) -> None:
    """HEAD answered like GET (the spec's decision) and, answered, with GET's Content-Type and no
    body (RFC 9110 §9.3.2)."""
    status_is(head, [get.status_code], rules.HEAD_LIKE_GET)
    if _content_type(head) != _content_type(get) or head.content:
        raise violation(rules.HEAD_HAS_NO_BODY, f"no body, Content-Type {_content_type(get)} as GET's",
                        f"{len(head.content)} bytes, Content-Type {_content_type(head) or '(none)'}", head)


OPTIONS_FIELDS = {"name": str, "description": str, "renders": list, "parses": list}
"""What Django REST framework's ``SimpleMetadata`` answers for a view without a serializer."""


def options_metadata(response: Any) -> None:
    """OPTIONS answered 200 with DRF's metadata: the spec's decision, drift otherwise."""
    status_is(response, [200], rules.OPTIONS_METADATA)
    body = _body(response)
    wrong = [name for name, kind in OPTIONS_FIELDS.items() if not (isinstance(body, dict)
                                                                    and isinstance(body.get(name), kind))]
    if wrong:
        raise violation(rules.OPTIONS_METADATA, "JSON with name, description (strings), renders, parses (lists)",
                        f"missing or mistyped: {', '.join(wrong)} ({_excerpt(response)})", response)


def redirected_to_slash(response: Any, path: str) -> str:
    """A path without its slash: 301 to the path with it (the spec's decision). Returns the
    Location, for the caller to follow."""
    status_is(response, [301], rules.TRAILING_SLASH)
    location = response.headers.get("Location") or ""
    if not location.split("?", 1)[0].endswith(path + "/"):
        raise violation(rules.TRAILING_SLASH, f"Location: .../{path.strip('/')}/", f"Location: {location or '(none)'}",
                        response)
    return location


def bearer_realm(response: Any, realm: str = "api") -> None:
    challenge = response.headers.get("WWW-Authenticate") or ""
    if f'realm="{realm}"' not in challenge:
        raise violation(rules.BEARER_REALM, f'Bearer realm="{realm}"', challenge or "(none)", response)


def scope_is_true(token_answer: Any, scopes: set[str], balances: Any, history: Any) -> None:
    """The ``scope`` a token answer reports is what the token does: the history opens with
    ``read``, the balances with ``read`` and ``write``, and each is refused (403) without."""
    expected = {"balances": 200 if {"read", "write"} <= scopes else 403, "history": 200 if "read" in scopes else 403}
    for name, answer in (("balances", balances), ("history", history)):
        if answer.status_code != expected[name]:
            raise violation(rules.TOKEN_SCOPE_IS_TRUE,
                            f"scope {' '.join(sorted(scopes)) or '(none)'}: the {name} answered {expected[name]}",
                            f"{answer.status_code}", token_answer)


def token_life(token_answer: Any, body: Mapping[str, Any], claims: Mapping[str, Any] | None) -> bool:
    """``expires_in`` is the token's life where the token shows it (a JWT's ``exp - iat``).
    Returns whether it could be seen."""
    if not claims or not isinstance(claims.get("exp"), int) or not isinstance(claims.get("iat"), int):
        return False
    life = claims["exp"] - claims["iat"]
    if not isinstance(body.get("expires_in"), int) or abs(body["expires_in"] - life) > 2:
        raise violation(rules.TOKEN_LIFE, f"expires_in {life} (the token's exp - iat)",
                        f"expires_in {body.get('expires_in')!r}", token_answer)
    return True


def retry_after_is_honourable(response: Any) -> None:
    """A ``Retry-After`` is delay-seconds or an HTTP date (RFC 9110 §10.2.3): a retry can wait it."""
    from email.utils import parsedate_to_datetime

    value = (response.headers.get("Retry-After") or "").strip()
    if not value or value.isdigit():
        return
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise violation(rules.RETRY_AFTER_HONOURABLE, "Retry-After: <seconds> or <HTTP date>",
                        f"Retry-After: {value}", response) from None
