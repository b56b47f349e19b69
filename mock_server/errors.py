"""Every error the mock answers, and the one place they become responses.

Two bodies exist, as on the real API: the API's envelope
``{"error": {"code", "message", "details"}}`` on every path, and the RFC 6749 token error
``{"error", "error_description"}`` on ``/o/token/`` (django-oauth-toolkit's). Views raise;
the handlers registered here serialize.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from mock_server.serializer import json_response

log = logging.getLogger("balances_mock")


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


def not_found(path: str, did_you_mean: str | None = None) -> ApiError:
    """404 for a path the API does not have; ``did_you_mean`` names the one it has."""
    if did_you_mean:
        return ApiError(404, "not_found", f"No such path: {path}. Did you mean {did_you_mean}? "
                        "Paths end with a slash.", {"path": path, "did_you_mean": did_you_mean})
    return ApiError(404, "not_found", f"No such path: {path}.", {"path": path})


def envelope(code: str, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The API's error body; the only place it is built."""
    return {"error": {"code": code, "message": message, "details": dict(details or {})}}


def _api_error(error: ApiError) -> Response:
    return json_response(envelope(error.code, error.message, error.details), error.status, error.headers)


def _token_error(error: TokenError) -> Response:
    body = {"error": error.error, "error_description": error.description}
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache", **error.headers}
    return json_response(body, error.status, headers)


def http_error(error: HTTPException, method: str, path: str) -> ApiError:
    """Werkzeug's own errors (routing, malformed requests) as the API's, for ``method path``."""
    status = error.code or 500
    if status == 404:
        return not_found(path)
    if isinstance(error, MethodNotAllowed):
        allowed = sorted(error.valid_methods or ())
        return ApiError(405, "method_not_allowed", f"Method {method} is not allowed on {path}.",
                        {"allowed_methods": allowed}, {"Allow": ", ".join(allowed)})
    code = "invalid_request" if status == 400 else (error.name or "error").lower().replace(" ", "_")
    return ApiError(status, code, error.description or error.name)


def _http_error(error: HTTPException) -> Response:
    """Werkzeug's own errors in the envelope, never HTML."""
    return _api_error(http_error(error, request.method, request.script_root + request.path))


def _unexpected(error: Exception) -> Response:
    """A bug in the mock: the traceback goes to the log, never to the client."""
    log.exception("Unhandled error on %s %s", request.method, request.script_root + request.path)
    return _api_error(ApiError(500, "server_error", "An unexpected error occurred."))


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(TokenError, _token_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
