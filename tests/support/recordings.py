"""Accounts another implementation might answer, and such an implementation in a thread.

``real_account()`` is a generated account with what real ledgers have and the mock's own
cannot hold: entries of types whose direction the documentation does not give (``payment``,
``to_sub``), an amount that does not move the balance as it says, a balance that disagrees with
the history, and a field the API does not document. ``Upstream`` serves an account as Django
REST framework writes it (compact JSON, the body's own key order), OAuth included, on a
loopback port, so ``balances-mock record`` reads it exactly as it reads the real API.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from mock_server.ledger.render import render_balances, render_entry
from mock_server.ledger.scenarios import build_ledger

CLIENT = ("acme-integration", "s3cr3t-acme-client-secret-4711")
TOKEN = "upstream-bearer-token-0f9e8d7c6b5a"


@dataclass
class Account:
    """An account as an API answers it: entries newest first, and the balances body."""

    entries: list[dict[str, Any]]
    balances: dict[str, Any]


@dataclass(frozen=True)
class Oddities:
    """Where ``real_account`` departs from what reconciles: offsets in the history, newest first."""

    payment: int
    to_sub: int
    chain: int
    chain_currency: str
    chain_expected: str
    chain_got: str
    balance_currency: str
    balance_expected: str
    balance_got: str
    reference: int


def generated_account(entries: int = 230, seed: int = 3) -> Account:
    ledger = build_ledger("default", seed, "demo", entries)
    return Account([render_entry(ledger.entry(i)) for i in reversed(range(len(ledger)))], render_balances(ledger))


def _plus_one(amount: str) -> str:
    units, fraction = amount.split(".")
    return f"{int(units) + 1}.{fraction}"


def real_account(entries: int = 230) -> tuple[Account, Oddities]:
    account = generated_account(entries)
    history = account.entries

    def first(kind: str, at_least: int) -> int:
        return next(i for i in range(at_least, len(history)) if history[i]["type"] == kind)

    payment, to_sub, chain = first("withdrawal", 5), first("deposit", 10), first("deposit", 40)
    history[payment]["type"] = "payment"
    history[to_sub]["type"] = "to_sub"
    statistics = account.balances["statistics"]
    statistics["total_deposits"] -= 1
    statistics["total_withdrawals"] -= 1
    entry = history[chain]
    entry["amount"] = _plus_one(entry["amount"])  # the balance moved by one unit less than it says
    reference = 3
    history[reference]["reference"] = "inv-1042"
    currency = next(iter(account.balances["account"]))
    expected = account.balances["account"][currency]
    account.balances["account"][currency] = _plus_one(expected)
    return account, Oddities(payment, to_sub, chain, entry["currency"], _plus_one(entry["balance_after"]),
                             entry["balance_after"], currency, expected, _plus_one(expected), reference)


def page(account: Account, currency: str | None, kind: str | None, limit: int, offset: int) -> dict[str, Any]:
    matching = [e for e in account.entries if currency in (None, e["currency"]) and kind in (None, e["type"])]
    return {"history": matching[offset:offset + limit], "total": len(matching), "limit": limit, "offset": offset}


def compact(body: Any) -> bytes:
    """JSON as Django REST framework writes it."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class Upstream:
    """An implementation of the API on a loopback port, answering from ``account``.
    ``before_history(upstream, offset)`` runs before each history answer (to move the account)."""

    account: Account
    before_history: Callable[[Upstream, int], None] = lambda upstream, offset: None
    page_extra: dict[str, Any] = field(default_factory=dict)
    """Fields every history page carries besides the documented ones (``{"next": None}``)."""
    answered: list[tuple[str, bytes]] = field(default_factory=list)
    """Each answered path with its body, in order."""

    def __post_init__(self) -> None:
        self.account = copy.deepcopy(self.account)
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Upstream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _app(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        response = self._answer(request)
        self.answered.append((request.full_path, response.get_data()))
        return response(environ, start_response)

    def _answer(self, request: Request) -> Response:
        if request.path == "/o/token/":
            auth = request.authorization
            if request.method != "POST" or auth is None or (auth.username, auth.password) != CLIENT:
                return _json({"error": "invalid_client"}, 401)
            return _json({"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer", "scope": "read write"})
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _json({"error": {"code": "authentication_failed", "message": "Invalid token.", "details": {}}}, 401)
        if request.path == "/user/balances/":
            return _json(self.account.balances)
        if request.path == "/user/balances/history/":
            offset = int(request.args.get("offset", 0))
            self.before_history(self, offset)
            return _json({**page(self.account, request.args.get("currency"), request.args.get("type"),
                                 int(request.args.get("limit", 20)), offset), **self.page_extra})
        return _json({"error": {"code": "not_found", "message": "No such path.", "details": {}}}, 404)


def _json(body: Any, status: int = 200) -> Response:
    return Response(compact(body), status, content_type="application/json")


SOURCE_URL = "https://api.example.com"


def recording_of(account: Account, keep: int | None = None) -> dict[str, Any]:
    """The ledger.json ``balances-mock record`` writes for ``account`` (its newest ``keep``
    entries), without a walk over HTTP."""
    from mock_server.record.recorder import Walked, recording_document

    entries = account.entries[:keep] if keep is not None else account.entries
    walked = Walked(compact(account.balances), copy.deepcopy(account.balances), (), copy.deepcopy(entries),
                    len(account.entries), 0)
    return recording_document(walked, {"recorded_from": SOURCE_URL, "recorded_at": "2025-02-01T12:00:00Z"})
