"""Faults armed through the control API (``POST /__sandbox/faults``): the caller's next
requests to a path of the API fail as ``Prefer: code=...`` would make them fail, although a
client under test never sends that header.

A fault is checked against the API's spec when it is armed (a path the API has, a failure
its operation documents), kept per client in the state store, and fired by the "armed fault"
step of the pipeline, whichever worker or replica answers: the store uses one of its times
up atomically, so a fault armed for N requests fails exactly N.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from flask import Request, Response

from mock_server.errors import ApiError
from mock_server.spec import Documented
from mock_server.state.records import ArmedFault, Fault, FaultStore
from mock_server.twin.accounts import Accounts
from mock_server.twin.auth import basic_credentials
from mock_server.twin.decoding import form_of
from mock_server.twin.faults import documented_answer
from mock_server.twin.request import Grant

if TYPE_CHECKING:
    from mock_server.twin.request import RequestState

RETRY_AFTER = "Retry-After"
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
        """Arm the fault of a request body the spec has validated (defaults applied); 400 if the
        API does not document it."""
        return self._store.arm(client, checked(body, self._documented))

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


def checked(body: Mapping[str, Any], documented: Documentation) -> Fault:
    """The fault a body asks for, if the API can answer it: ``path`` one of the API's paths,
    ``method`` one of its methods, ``status`` a failure its operation documents (for
    ``method``, or for any of the path's methods), ``retry_after`` only for a status documented
    with a ``Retry-After`` header. Otherwise a 400 naming the field and listing what the spec
    documents."""
    path, method, status, retry_after = body["path"], body.get("method"), body["status"], body.get("retry_after")
    operations = {verb.upper(): statuses for (where, verb), statuses in documented.items() if where == path}
    if not operations:
        paths = sorted({where for where, _ in documented})
        raise _refused("path", f"{path} is not a path of the API; its paths: {', '.join(paths)}")
    if method is not None and method not in operations:
        raise _refused("method", f"{path} has no {method} operation; its methods: {', '.join(sorted(operations))}")
    answers = [statuses for verb, statuses in operations.items() if method in (None, verb)]
    failures = sorted({code for statuses in answers for code in statuses if code >= 300})
    where = f"{method} {path}" if method else path
    if status not in failures:
        raise _refused("status", f"{status} is not a failure documented for {where}; documented: "
                       f"{', '.join(map(str, failures))}")
    if retry_after is not None and not all(RETRY_AFTER in statuses[status].headers
                                           for statuses in answers if status in statuses):
        waits = sorted({code for statuses in answers for code, answer in statuses.items()
                        if RETRY_AFTER in answer.headers})
        raise _refused("retry_after", f"{status} is documented without a {RETRY_AFTER} header for {where}; "
                       f"the statuses that have one: {', '.join(map(str, waits))}")
    return Fault(path, method, status, body["times"], body["delay_ms"], retry_after)


def _refused(field: str, reason: str) -> ApiError:
    return ApiError(400, "invalid_request", f"Invalid request body: {field}.", {field: [reason]})
