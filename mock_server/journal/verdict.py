"""The request journal's verdict on an answered request: which client sent it, and whether it
was a request the API accepts, each broken rule as the error the API answers for it.

The pipeline's checks (route, authenticate, authorize, validate, and the token endpoint's own)
have judged most requests by the time they are answered, so their outcome is reused: a valid
request answered normally costs nothing more. A refusal names the first broken rule only, so
after a 401 or 403 the validation runs too, and after a 400 every part of the request (query,
headers, body) is validated. A request answered before the checks ran (``Prefer: code=...``,
chaos, the rate limit's 429, an armed fault) runs them here, without answering.

What the server answers for reasons of its own (a 5xx, a conflict with the sandbox's state, a
fault asked for) is never a violation: the verdict is about the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flask import Request
from werkzeug.exceptions import HTTPException

from mock_server.errors import ApiError, TokenError, http_error
from mock_server.twin.auth import BearerAuth, TokenService, basic_credentials
from mock_server.twin.decoding import form_of
from mock_server.twin.request import Grant, RequestState, Step

if TYPE_CHECKING:
    from mock_server.twin.validation import RequestValidation

Violation = dict[str, Any]
"""``{"code", "message", "details"}``: the API's error object, as its envelope holds it."""

CHECKS = frozenset({"route", "authenticate", "authorize", "validate", "answer"})
"""The pipeline steps whose refusals are the request's fault. A request answered by any other
step (the faults, the rate limit) is judged again here."""
AUTH_CHECKS = frozenset({"authenticate", "authorize"})


class Judge:
    """Attributes and judges requests with the pipeline's own steps and services."""

    def __init__(self, route: Step, auth: BearerAuth, tokens: TokenService, validation: RequestValidation,
                 token_path: str) -> None:
        self._route = route
        self._auth = auth
        self._tokens = tokens
        self._validation = validation
        self._token_path = token_path

    def client_of(self, request: Request, state: RequestState | None) -> str | None:
        """Whose journal the request goes to: a bearer token's client when this server signed the
        token (expired, not yet valid or short of scopes too); on the token endpoint the HTTP
        Basic user, else the form's ``client_id``, as claimed, authenticated or not. None when
        no client can be named: nobody could read the entry."""
        if state is not None and state.operation is not None and isinstance(state.identity, Grant):
            return state.identity.client_id
        authorization = request.headers.get("Authorization")
        if request.path == self._token_path:
            basic = basic_credentials(authorization)
            if basic is not None and basic[0]:
                return basic[0]
            claimed = form_of(request).get("client_id")
            if claimed:
                return claimed
        return self._tokens.signer_of(authorization)

    def violations(self, request: Request, state: RequestState | None) -> tuple[Violation, ...]:
        """Every rule of the API the request breaks; empty for a valid request."""
        if state is None or state.step not in CHECKS:
            return self._judged_again(request)
        if state.error is None:
            return ()
        first = violation(state.error, request)
        if first is None:
            return ()
        if state.step in AUTH_CHECKS:
            return (first, *self._validated(request, state))
        if state.step == "validate":
            return self._validated(request, state)
        return (first,)

    def _judged_again(self, request: Request) -> tuple[Violation, ...]:
        """The checks of the pipeline, in its order, on a request a fault answered first."""
        trial = RequestState(request)
        try:
            self._route(trial)
        except (ApiError, HTTPException) as refusal:
            return _found([refusal], request)
        self._auth.identify(trial)
        refusals: list[Exception] = []
        try:
            self._auth.authenticate(trial)
            self._auth.authorize(trial)
        except ApiError as refusal:
            refusals.append(refusal)
        refusals += self._validation.violations(trial)
        if trial.operation is None and trial.answer is not None:
            try:  # the token endpoint checks its request as it answers it; the answer is dropped
                trial.answer(trial)
            except (TokenError, HTTPException) as refusal:
                refusals.append(refusal)
        return _found(refusals, request)

    def _validated(self, request: Request, state: RequestState) -> tuple[Violation, ...]:
        return _found(self._validation.violations(state), request)


def violation(error: Exception, request: Request) -> Violation | None:
    """The error object the API answers for ``error``; None for what is not the request's fault
    (a 5xx, a 409, an unexpected exception)."""
    if isinstance(error, TokenError):
        return {"code": error.error, "message": error.description, "details": {}} if error.status < 500 else None
    if isinstance(error, HTTPException):
        error = http_error(error, request.method, request.path)
    if isinstance(error, ApiError) and 400 <= error.status < 500 and error.status != 409:
        return {"code": error.code, "message": error.message, "details": dict(error.details)}
    return None


def _found(refusals: Sequence[Exception], request: Request) -> tuple[Violation, ...]:
    return tuple(found for found in (violation(refusal, request) for refusal in refusals) if found is not None)


