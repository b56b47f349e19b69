"""Every error the mock answers, and the one place they become responses.

Two bodies exist, as on the real API: the API's envelope
``{"error": {"code", "message", "details"}}`` on every path, and the RFC 6749 token error
``{"error", "error_description"}`` for a 400 or 401 on ``/o/token/`` (django-oauth-toolkit's),
whichever step refused. Views raise; the handlers registered here serialize.

Anything unexpected, wherever it is raised (a step, a store, a view, the console, the proxy,
or around the app), becomes the one documented 500 (``server_error``), carries a request id
in ``X-Request-Id``, and is logged once with its traceback under the same id: a user can
quote the id, and the log line says what broke. No other 500 body can be produced.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from contract_tests.paths import is_token_request
from mock_server.serializer import JSON, json_response, to_json

log = logging.getLogger("balances_mock")

REQUEST_ID = "X-Request-Id"
"""The header a 500 carries its request id in; the log line of its traceback names the same id."""
SERVER_ERROR_MESSAGE = "An unexpected error occurred."

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ApiError(Exception):
    """An error answered in the API's envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = dict(details or {})
        self.headers = dict(headers or {})


class TokenError(Exception):
    """An RFC 6749 section 5.2 error from the token endpoint."""

    def __init__(self, error: str, description: str, status: int = 400,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.headers = dict(headers or {})


HTTP_METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")
"""The order of Django's ``View.http_method_names``, in which Django and DRF list ``Allow``."""


def allow(methods: Iterable[str]) -> list[str]:
    """``methods`` in the order an ``Allow`` header lists them (Django's; unknown ones last)."""
    upper = {method.upper() for method in methods}
    return [m for m in HTTP_METHOD_ORDER if m in upper] + sorted(upper - set(HTTP_METHOD_ORDER))


def not_found(path: str, did_you_mean: str | None = None) -> ApiError:
    """404 for a path the API does not have; ``did_you_mean`` names the one it has."""
    if did_you_mean:
        return ApiError(404, "not_found", f"No such path: {path}. Did you mean {did_you_mean}? "
                        "Paths end with a slash.", {"path": path, "did_you_mean": did_you_mean})
    return ApiError(404, "not_found", f"No such path: {path}.", {"path": path})


def envelope(code: str, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The API's error body; the only place it is built."""
    return {"error": {"code": code, "message": message, "details": dict(details or {})}}


TOKEN_ERROR_STATUSES = (400, 401)
"""The statuses of the token endpoint that RFC 6749 section 5.2 gives its own body."""


def _api_error(error: ApiError, tokens: bool = False) -> Response:
    """The envelope; with ``tokens``, a 400 or 401 to the token endpoint (as the contract suite
    reads its path) is RFC 6749's error, whichever step refused (an unsupported ``Prefer`` too):
    a client's OAuth library reads nothing else there."""
    if tokens and error.status in TOKEN_ERROR_STATUSES and is_token_request(request.method,
                                                                             request.script_root + request.path):
        return _token_error(TokenError(error.code, error.message, error.status, error.headers))
    return json_response(envelope(error.code, error.message, error.details), error.status, error.headers)


def _token_error(error: TokenError) -> Response:
    body = {"error": error.error, "error_description": error.description}
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache", **error.headers}
    return json_response(body, error.status, headers)


def http_error(error: HTTPException, method: str, path: str) -> ApiError:
    """Werkzeug's own errors (routing, malformed requests) as the API's, for ``method path``;
    a 5xx among them is a bug, answered by ``_unexpected`` instead."""
    status = error.code or 500
    if status == 404:
        return not_found(path)
    if isinstance(error, MethodNotAllowed):
        allowed = allow(error.valid_methods or ())
        return ApiError(405, "method_not_allowed", f"Method {method} is not allowed on {path}.",
                        {"allowed_methods": allowed}, {"Allow": ", ".join(allowed)})
    code = "invalid_request" if status == 400 else (error.name or "error").lower().replace(" ", "_")
    return ApiError(status, code, error.description or error.name)


def _http_error(error: HTTPException, tokens: bool = False) -> Response:
    """Werkzeug's own errors in the envelope (or RFC 6749's body, as ``_api_error``), never HTML."""
    if isinstance(error, InternalServerError):  # Flask's wrapper of what escaped every handler
        return _unexpected(error.original_exception or error)
    return _api_error(http_error(error, request.method, request.script_root + request.path), tokens)


def _unexpected(error: BaseException) -> Response:
    """A bug in the mock: the traceback goes to the log, never to the client."""
    request_id = log_unexpected(error, request.method, request.script_root + request.path)
    return json_response(server_error_body(), 500, {REQUEST_ID: request_id})


def log_unexpected(error: BaseException, method: str, path: str) -> str:
    """Log ``error`` once, with its traceback, under a new request id; the id."""
    request_id = uuid.uuid4().hex
    log.error("Unhandled error on %s %s (request id %s)", method, path, request_id,
              exc_info=(type(error), error, error.__traceback__))
    return request_id


def server_error_body() -> dict[str, Any]:
    """The one 500 body, as the spec documents it."""
    return envelope("server_error", SERVER_ERROR_MESSAGE)


def guarded(app: WSGIApp) -> WSGIApp:
    """The last line around a WSGI app: what escapes it (a middleware's bug, a response that
    fails while it is built) is answered as the one 500 too, never a traceback or a dropped
    connection. An answer already under way cannot be taken back; the server then ends it."""

    def guard(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            return app(environ, start_response)
        except Exception as error:
            request_id = log_unexpected(error, environ.get("REQUEST_METHOD", "?"),
                                        environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
            body = to_json(server_error_body())
            start_response("500 INTERNAL SERVER ERROR", [("Content-Type", JSON), ("Content-Length", str(len(body))),
                                                         (REQUEST_ID, request_id)])
            return [body]

    return guard


def register_error_handlers(app: Flask, tokens: bool = False) -> None:
    """Every error of ``app`` answered here; ``tokens``: ``app`` has the OAuth token endpoint."""
    app.register_error_handler(ApiError, lambda error: _api_error(error, tokens))
    app.register_error_handler(TokenError, _token_error)
    app.register_error_handler(HTTPException, lambda error: _http_error(error, tokens))
    app.register_error_handler(Exception, _unexpected)
    # Flask logs an exception that escapes the handlers before it answers it; ``_unexpected``
    # logs it once, with the request id the answer carries, so Flask's own line would be a second.
    app.log_exception = lambda exc_info: None  # type: ignore[method-assign]
