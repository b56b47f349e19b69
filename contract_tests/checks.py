"""The rules a schema cannot express, one small named check each.

Every check raises ``ContractViolation`` with the rule that broke, what was expected, what
came back, and a curl command that reproduces it (credentials redacted), so a red CI run
explains itself without this source at hand.

The first two are also registered with schemathesis and so run on every generated response.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import requests
import schemathesis

from .client import TOKEN_PATH, curl

JSON = "application/json"
DEPOSIT, WITHDRAWAL = "deposit", "withdrawal"


class ContractViolation(AssertionError):
    """The implementation broke a rule of the contract."""


def violation(rule: str, expected: Any, got: Any, response: Any = None) -> ContractViolation:
    lines = [f"Contract rule broken: {rule}", f"  expected: {expected}", f"  got:      {got}"]
    if response is not None and getattr(response, "request", None) is not None:
        lines.append(f"  reproduce: {curl(response)}")
    return ContractViolation("\n".join(lines))


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
    text = getattr(response, "text", "") or ""
    return f"{response.status_code} {text[:200]!r}"


# -- every response ------------------------------------------------------------------------

def error_body_is_the_envelope(response: Any, path: str, method: str) -> None:
    """Every 4xx/5xx is JSON: the API's envelope, or RFC 6749's error for a refused token request."""
    if response.status_code < 400:
        return
    if _content_type(response) != JSON:
        raise violation("errors are JSON", f"Content-Type: {JSON}",
                        f"Content-Type: {_content_type(response) or '(none)'}", response)
    body = _body(response)
    if path.rstrip("/").endswith(TOKEN_PATH.rstrip("/")) and method.upper() == "POST" \
            and response.status_code in (400, 401):
        if not (isinstance(body, dict) and isinstance(body.get("error"), str)):
            raise violation("token errors follow RFC 6749 section 5.2", '{"error": "<code>", ...}',
                            _excerpt(response), response)
        return
    error = body.get("error") if isinstance(body, dict) else None
    if not (isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str)
            and isinstance(error.get("details"), dict)):
        raise violation("errors use the envelope", '{"error": {"code": str, "message": str, "details": {}}}',
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


@schemathesis.check
def error_responses_use_the_envelope(ctx: Any, response: Any, case: Any) -> None:
    error_body_is_the_envelope(response, case.path, response.request.method or case.method)


@schemathesis.check
def history_pages_are_consistent(ctx: Any, response: Any, case: Any) -> None:
    if case.path.rstrip("/").endswith("/balances/history") and case.method.upper() == "GET":
        query = case.query or {}
        try:
            parsed = {k: v for k, v in query.items() if k in ("currency", "type")}
            parsed.update({k: int(query[k]) for k in ("limit", "offset") if k in query})
        except (TypeError, ValueError):
            return  # a negative case: the server must have refused it, which other checks verify
        history_page_is_consistent(response, parsed)


# -- pagination --------------------------------------------------------------------------

def page_echoes_paging(response: Any, page: Mapping[str, Any], limit: int, offset: int) -> None:
    if page.get("limit") != limit or page.get("offset") != offset:
        raise violation("pagination echoes limit and offset", f"limit={limit}, offset={offset}",
                        f"limit={page.get('limit')!r}, offset={page.get('offset')!r}", response)


def page_size_is_bounded(response: Any, page: Mapping[str, Any], limit: int, offset: int) -> None:
    size, total = len(page["history"]), page.get("total")
    if size > limit:
        raise violation("a page holds at most `limit` entries", f"<= {limit} entries", f"{size} entries", response)
    if isinstance(total, int):
        expected = max(0, min(limit, total - offset))
        if size != expected:
            raise violation("a page is full except at the end",
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
        f"paging with limit={limit} gives every entry exactly once, in order",
        f"{len(reference)} entries equal to the big page; entry {first}: "
        f"{reference[first] if first < len(reference) else '(none)'}",
        f"{len(walked)} entries; entry {first}: {walked[first] if first < len(walked) else '(none)'}",
        response)


def total_is_constant(response: Any, totals: Iterable[Any]) -> None:
    distinct = sorted({repr(t) for t in totals})
    if len(distinct) != 1:
        raise violation("`total` is the same on every page", "one value", ", ".join(distinct), response)


def offset_past_the_end_is_empty(response: Any, page: Mapping[str, Any], total: int) -> None:
    if response.status_code != 200 or page.get("history") != [] or page.get("total") != total:
        raise violation("an offset past the end gives an empty page and the same total",
                        f"200, history [], total {total}",
                        f"{response.status_code}, {len(page.get('history') or [])} entries, "
                        f"total {page.get('total')!r}", response)


# -- ordering and filters ----------------------------------------------------------------

def newest_first(response: Any, entries: Sequence[Mapping]) -> None:
    stamps = [e["timestamp"] for e in entries]
    for i in range(1, len(stamps)):
        if _instant(stamps[i]) > _instant(stamps[i - 1]):
            raise violation("history is newest first", f"entry {i} at or before {stamps[i - 1]}",
                            f"entry {i} at {stamps[i]}", response)


def _instant(timestamp: str) -> tuple[str, Decimal]:
    """Comparable form of an ISO 8601 UTC timestamp, fractional seconds included."""
    whole, _, fraction = timestamp.rstrip("Z").partition(".")
    return whole, Decimal(f"0.{fraction or 0}")


def same_response(first: Any, second: Any) -> None:
    if first.json() != second.json():
        raise violation("the order is stable between calls", "the same page twice", "two different pages", second)


def entries_match_filters(response: Any, entries: Sequence[Mapping], filters: Mapping[str, str]) -> None:
    for i, entry in enumerate(entries):
        for key, value in filters.items():
            if entry.get(key) != value:
                raise violation(f"the `{key}` filter matches exactly", f"every entry with {key}={value!r}",
                                f"entry {i} has {key}={entry.get(key)!r}", response)


def totals_add_up(response: Any, parts: Mapping[str, int], total: int, what: str) -> None:
    if sum(parts.values()) != total:
        raise violation(f"the per-{what} totals add up to the unfiltered total", f"sum = {total}",
                        f"sum = {sum(parts.values())} ({dict(parts)})", response)


# -- the ledger --------------------------------------------------------------------------

def amount(value: str) -> Decimal:
    return Decimal(value)


def balance_chain(response: Any, currency: str, entries: Sequence[Mapping]) -> None:
    """Newest first: each balance_after is the next-older one moved by amount per its type."""
    for i in range(len(entries) - 1):
        newer, older = entries[i], entries[i + 1]
        if newer["type"] not in (DEPOSIT, WITHDRAWAL):
            continue  # a type the contract does not know the direction of
        sign = 1 if newer["type"] == DEPOSIT else -1
        expected = amount(older["balance_after"]) + sign * amount(newer["amount"])
        if amount(newer["balance_after"]) != expected:
            raise violation(
                f"{currency}: balance_after moves by exactly `amount` in the direction of `type`",
                f"{older['balance_after']} {'+' if sign > 0 else '-'} {newer['amount']} = {expected:f}",
                f"balance_after {newer['balance_after']} at {newer['timestamp']} ({newer['type']})", response)
        if amount(newer["balance_after"]) < 0:
            raise violation(f"{currency}: balances are never negative", ">= 0", newer["balance_after"], response)


def balance_is_newest_balance_after(response: Any, currency: str, account: Mapping[str, str],
                                    newest: Mapping | None) -> None:
    if newest is None:
        if currency in account and amount(account[currency]) != 0:
            raise violation(f"{currency}: a balance without history is zero", "0", account[currency], response)
        return
    shown = account.get(currency)
    if shown is None and amount(newest["balance_after"]) == 0:
        return  # a drained currency may be left out of `account`
    if shown is None or amount(shown) != amount(newest["balance_after"]):
        raise violation(f"{currency}: the balance equals the newest balance_after",
                        f"{newest['balance_after']} (entry at {newest['timestamp']})", shown, response)


def statistics_count_history(response: Any, statistics: Mapping[str, Any], deposits: int, withdrawals: int) -> None:
    got = (statistics.get("total_deposits"), statistics.get("total_withdrawals"))
    if got != (deposits, withdrawals):
        raise violation("statistics count the history's deposits and withdrawals",
                        f"total_deposits={deposits}, total_withdrawals={withdrawals}",
                        f"total_deposits={got[0]!r}, total_withdrawals={got[1]!r}", response)


# -- status codes --------------------------------------------------------------------------

def status_is(response: requests.Response | Any, expected: Iterable[int], rule: str) -> None:
    allowed = sorted(set(expected))
    if response.status_code not in allowed:
        raise violation(rule, " or ".join(map(str, allowed)), _excerpt(response), response)


def error_code_is(response: Any, code: str, rule: str) -> None:
    body = _body(response) or {}
    got = body.get("error", {}).get("code") if isinstance(body.get("error"), dict) else body.get("error")
    if got != code:
        raise violation(rule, f"error code {code!r}", f"{got!r} ({_excerpt(response)})", response)
