"""Faults armed through the control API (``POST /__sandbox/faults``): the caller's next
requests to a path of the API fail as ``Prefer: code=...`` would make them fail, although a
client under test never sends that header.

A fault is checked against ``spec/sandbox.yaml`` when it is armed (``FaultRequest``: a path
the API has, a failure its operation documents), kept per client in the state store, and
fired by the "armed fault" step of the pipeline, whichever worker or replica answers: the
store uses one of its times up atomically, so a fault armed for N requests fails exactly N.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from flask import Request, Response

from mock_server.spec import Documented
from mock_server.state.records import ArmedFault, Fault, FaultStore
from mock_server.twin.accounts import Accounts
from mock_server.twin.auth import basic_credentials
from mock_server.twin.decoding import form_of
from mock_server.twin.faults import documented_answer
from mock_server.twin.request import Grant

if TYPE_CHECKING:
    from mock_server.twin.request import RequestState

Documentation = Mapping[tuple[str, str], Mapping[int, Documented]]
"""(path, method) -> status -> the documented response, as ``spec.documented_responses`` reads it."""


class ArmedFaults:
    """Arms, lists and disarms a client's faults, and fires them as a step of the pipeline."""

    def __init__(self, documented: Documentation, store: FaultStore, token_path: str,
                 sleep: Callable[[float], None] = time.sleep, accounts: Accounts | None = None) -> None:
        """``accounts``: the request's account version is read in the same store call as the
        check for a fault (``Accounts.look``), and kept for the answer."""
        self._documented = documented
        self._store = store
        self._accounts = accounts
        self._token_path = token_path
        self._sleep = sleep

    def arm(self, client: str, body: Mapping[str, Any]) -> ArmedFault:
        """Arm the fault of a request body the spec has validated, defaults applied. The spec
        (``FaultRequest``) holds only failures the API documents for the path, so every armed
        fault has a documented answer."""
        return self._store.arm(client, Fault(body["path"], body.get("method"), body["status"], body["times"],
                                              body["delay_ms"], body.get("retry_after")))

    def armed(self, client: str) -> list[ArmedFault]:
        return self._store.armed(client)

    def disarm(self, client: str) -> int:
        return self._store.disarm(client)

    def fire(self, state: RequestState) -> Response | None:
        """The pipeline step: the documented answer of the caller's first fault armed for this
        request, after its delay; None (the request goes on) when none is, or when the caller
        cannot be told."""
        client = self._caller(state)
        if client is None:
            return None
        request = state.request
        if self._accounts is not None and isinstance(state.identity, Grant):
            try:
                state.version, armed = self._accounts.look(client)
            except KeyError:  # a token of a client no account is known for: the answer says so
                armed = True
            if not armed:
                return None
        fault = self._store.take(client, request.method, request.path)
        if fault is None:
            return None
        if fault.delay_ms:
            self._sleep(fault.delay_ms / 1000)
        return documented_answer(self._documented, request, fault.status, fault.retry_after)

    def _caller(self, state: RequestState) -> str | None:
        """The client a request comes from, as far as the request says: a valid bearer token's
        client; on the token endpoint the client it asks a token for (HTTP Basic, else the
        form's ``client_id``), claimed and not authenticated, as ``Prefer`` needs no
        credentials either. None for a request that names no client."""
        if state.request.path == self._token_path:
            return claimed_client(state.request)
        return state.identity.client_id if isinstance(state.identity, Grant) else None


def claimed_client(request: Request) -> str | None:
    """The client id a token request names: its HTTP Basic user, else its form's ``client_id``.
    The body is read once and kept for the token endpoint."""
    basic = basic_credentials(request.headers.get("Authorization"))
    if basic is not None and basic[0]:
        return basic[0]
    return form_of(request).get("client_id") or None
