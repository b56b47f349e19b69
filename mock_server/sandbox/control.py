"""The sandbox's control API under ``/__sandbox/``, driven by ``spec/sandbox.yaml`` as api.py
is by ``spec/openapi.yaml``: the pipeline has checked the token, the scopes and the body;
here each operation asks the sandbox rules (``sandbox.py``) through the client's account,
the client registry (``registry.py``), the caller's armed faults (``armed_faults.py``) or its
request journal (``journal.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from flask import Response

from mock_server.errors import ApiError
from mock_server.ledger.bookings import Booked, Tail, Transaction, book, move_clock, refuse_on_recorded
from mock_server.ledger.ledger import format_timestamp
from mock_server.ledger.recorded import Recorded
from mock_server.ledger.render import render_entry
from mock_server.ledger.scenarios import SCENARIOS, length_refused
from mock_server.sandbox.armed_faults import ArmedFaults
from mock_server.serializer import json_response
from mock_server.twin.accounts import Account, Accounts, View
from mock_server.twin.registry import ClientRegistry

if TYPE_CHECKING:
    from mock_server.journal.journal import Journal
    from mock_server.twin.request import RequestState

IDEMPOTENCY_KEY = "Idempotency-Key"


@dataclass(frozen=True)
class ClientDefaults:
    """What a created client gets when its request does not say: the server's scenario and
    seed, and every scope."""

    scenario: str
    seed: int
    scopes: frozenset[str]


class Control:
    """Answers the control API's operations, each on the calling client's account (or journal:
    None when the journal is off)."""

    def __init__(self, accounts: Accounts, clients: ClientRegistry, defaults: ClientDefaults,
                 faults: ArmedFaults, journal: Journal | None = None) -> None:
        self._accounts = accounts
        self._clients = clients
        self._defaults = defaults
        self._faults = faults
        self._journal = journal
        self._handlers: dict[str, Callable[[str, RequestState], Response]] = {
            "bookTransaction": self._book,
            "getClock": lambda client, state: _clock(self._accounts.view(client).tail),
            "moveClock": lambda client, state: _clock(
                cast(Tail, self._accounts.update(client, move_clock(state.body or {})))),
            "resetAccount": self._reset,
            "getSandboxAccount": lambda client, state: self._account(client),
            "createClient": self._create_client,
            "armFault": lambda client, state: json_response(
                self._faults.arm(client, state.body or {}).to_json(), 201),
            "listFaults": lambda client, state: json_response(
                {"faults": [fault.to_json() for fault in self._faults.armed(client)]}),
            "disarmFaults": lambda client, state: json_response({"disarmed": self._faults.disarm(client)}),
            "listRequests": lambda client, state: json_response(
                self._journal_on(state).page(client, state.params or {})),
            "clearRequests": lambda client, state: json_response({"cleared": self._journal_on(state).clear(client)}),
        }

    def answer(self, state: RequestState) -> Response:
        handler = self._handlers[state.operation.operation_id]  # type: ignore[union-attr]
        return handler(state.identity.client_id, state)  # type: ignore[union-attr]

    def _book(self, client: str, state: RequestState) -> Response:
        """201 with the entry as the history shows it; a replayed key says so in a header. A
        recording served as recorded takes none (409)."""
        base = self._accounts.of(client).base
        if isinstance(base, Recorded):
            raise refuse_on_recorded(base)
        transaction = Transaction.from_body(state.body or {})
        key = state.request.headers.get(IDEMPOTENCY_KEY)
        booked: Booked = self._accounts.update(client, book(transaction, key), key)  # type: ignore[assignment]
        headers = {"Idempotent-Replayed": "true"} if booked.replayed else {}
        return json_response(render_entry(booked.entry), 201, headers)

    def _reset(self, client: str, state: RequestState) -> Response:
        """The account back to its base, and the caller's faults disarmed. Faults belong to a
        client, bookings to an account: another client of the same account keeps its faults."""
        self._accounts.reset(client)
        self._faults.disarm(client)
        return self._account(client)

    def _create_client(self, client: str, state: RequestState) -> Response:
        """201 with the new client's secret, the one time it is told. Entries equal to the
        scenario's own are kept as "the scenario's own", so such clients share a base with the
        server's accounts of that scenario."""
        body, defaults = state.body or {}, self._defaults
        scenario = body.get("scenario", defaults.scenario)
        own = SCENARIOS[scenario].profile.entries
        entries = body.get("entries")
        refused = length_refused(scenario, entries)
        if refused:  # now, rather than a 500 when a worker first builds the account
            # The spec refuses a body that names such a scenario (400); this one is the server's.
            raise ApiError(409, "scenario_has_no_currencies",
                           f"This server's scenario is {scenario}, and {refused}. Name another scenario, or ask for "
                           "0 entries.", {"scenario": scenario, "entries": entries})
        created, secret = self._clients.create(frozenset(body.get("scopes", defaults.scopes)), scenario,
                                               body.get("seed", defaults.seed), None if entries == own else entries)
        return json_response({"client_id": created.client_id, "client_secret": secret,
                              "scopes": sorted(created.scopes), "scenario": created.scenario, "seed": created.seed,
                              "entries": own if created.entries is None else created.entries}, 201)

    def _account(self, client: str) -> Response:
        return json_response(summary(self._accounts.of(client), self._accounts.view(client)))

    def _journal_on(self, state: RequestState) -> Journal:
        """The journal; with it off, its paths are a 404 that says so."""
        if self._journal is None:
            path = state.request.path
            raise ApiError(404, "not_found", f"No request journal on this server: it was started with --no-journal, "
                           f"so {path} records nothing.", {"path": path})
        return self._journal


def _clock(tail: Tail) -> Response:
    return json_response({"now": format_timestamp(tail.clock)})


def summary(account: Account, view: View) -> dict[str, Any]:
    """``GET /__sandbox/account``: what the account is built from and what the sandbox added."""
    source = account.source
    generated = source.ledger_path is None
    return {
        "account": account.name,
        "scenario": source.scenario if generated else None,
        "seed": source.seed if generated else None,
        "ledger_file": None if source.ledger_path is None else str(source.ledger_path),
        "base_entries": len(account.base),
        "booked_entries": view.tail.booked,
        "clock": format_timestamp(view.tail.clock),
    }
