"""The sandbox driven from outside: book a transaction, walk an account's whole history, and
check that its books add up, as an integrator would.

``walk_history`` and ``check_books`` take any getter, so they read an in-process mock
(``lambda params: mock.get(HISTORY, token, params=params)``) and a served one alike;
``Sandbox`` is one client's ``requests.Session`` with a served mock (one per thread).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import requests

from . import ACCOUNT, BALANCES, DEMO, HISTORY, TOKEN, TRANSACTIONS
from .assertions import body
from .mock import grant

Entry = dict[str, str]
PAGE = 100
"""The largest page the API serves."""


def transaction(type: str, currency: str, amount: str, timestamp: str | None = None) -> dict[str, str]:
    """The body of ``POST /__sandbox/transactions``."""
    return {"type": type, "currency": currency, "amount": amount, **({"timestamp": timestamp} if timestamp else {})}


def units(micro: int) -> str:
    """Micro-units as the API writes an amount: ``1500000`` -> ``"1.500000"``."""
    return f"{micro // 1_000_000}.{micro % 1_000_000:06d}"


def walk_history(get: Callable[[dict[str, Any]], Any], limit: int = PAGE) -> list[Entry]:
    """Every entry of the account, newest first, page by page; each page a 200 of the right size
    and the same ``total``."""
    entries: list[Entry] = []
    total = None
    while total is None or len(entries) < total:
        response = get({"limit": limit, "offset": len(entries)})
        assert response.status_code == 200, response.text
        page = body(response)
        total = page["total"] if total is None else total
        assert page["total"] == total, f"total moved from {total} to {page['total']} during the walk"
        assert len(page["history"]) == min(limit, total - len(entries)), page
        entries.extend(page["history"])
    return entries


def check_chain(history: Sequence[Entry], opening: Mapping[str, Decimal] | None = None) -> dict[str, Decimal]:
    """Oldest to newest, each currency's ``balance_after`` is the previous one (``opening``, or
    zero) moved by ``amount`` per ``type``, and never negative. Returns the newest balances."""
    balances = dict(opening or {})
    for entry in reversed(history):
        currency, amount = entry["currency"], Decimal(entry["amount"])
        expected = balances.get(currency, Decimal(0)) + (amount if entry["type"] == "deposit" else -amount)
        assert Decimal(entry["balance_after"]) == expected >= 0, (
            f"{currency}: expected balance_after {expected} after {entry}")
        balances[currency] = expected
    return balances


def check_books(history: Sequence[Entry], balances: Mapping[str, Any]) -> None:
    """The whole history adds up from zero, ``GET /user/balances/`` holds each currency's newest
    ``balance_after``, and its statistics count the history's deposits and withdrawals."""
    newest = check_chain(history)
    assert {code: Decimal(value) for code, value in balances["account"].items()} == newest
    types = Counter(entry["type"] for entry in history)
    assert balances["statistics"] == {"total_deposits": types["deposit"], "total_withdrawals": types["withdrawal"]}


class Sandbox:
    """One client's session with a served mock: its token, its connection, its calls."""

    def __init__(self, url: str, client: tuple[str, str] = DEMO) -> None:
        self.url = url
        self.session = requests.Session()
        answer = self.session.post(f"{url}{TOKEN}", data=grant(), auth=client, timeout=10)
        assert answer.status_code == 200, answer.text
        self.session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> requests.Response:
        return self.session.get(f"{self.url}{path}", params=params, timeout=30)

    def post(self, path: str, json: Any = None, headers: Mapping[str, str] | None = None) -> requests.Response:
        return self.session.post(f"{self.url}{path}", json=json, headers=headers, timeout=30)

    def book(self, type: str, currency: str, amount: str, key: str | None = None,
             timestamp: str | None = None) -> requests.Response:
        return self.post(TRANSACTIONS, transaction(type, currency, amount, timestamp),
                         {"Idempotency-Key": key} if key else None)

    def history(self) -> list[Entry]:
        return walk_history(lambda params: self.get(HISTORY, params))

    def balances(self) -> dict[str, Any]:
        answer = self.get(BALANCES)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def account(self) -> dict[str, Any]:
        answer = self.get(ACCOUNT)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def close(self) -> None:
        self.session.close()
