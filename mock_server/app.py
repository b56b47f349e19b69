"""The application factory: wires the pieces, nothing else."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from typing import Any

from flask import Flask, Request
from werkzeug.routing import RequestRedirect, Rule

from . import faults, rate_limits
from .accounts import ledgers_by_client
from .api import Resources, resource_operations
from .auth import TokenService, token_view
from .errors import not_found, register_error_handlers
from .settings import Settings
from .spec import documented_responses, load_spec
from .validation import SpecValidator

log = logging.getLogger("balances_mock")

TOKEN_PATH = "/o/token/"
MAX_BODY_BYTES = 64 * 1024
"""A token request is a few hundred bytes; anything far larger is refused with 413."""


def create_app(settings: Settings | None = None) -> Flask:
    """A WSGI app serving the balances API, each client from its account's deterministic ledger.

    Everything a request needs (spec, ledger, validators) is built here, once, so workers
    forked from this app share it and requests do no set-up work.
    """
    settings = settings or Settings()
    spec = load_spec()
    secret = settings.token_secret
    if not secret:
        secret = secrets.token_urlsafe(32)
        log.warning("No token secret set (--token-secret or BALANCES_MOCK_TOKEN_SECRET): using a "
                    "random one, so other processes and replicas reject this one's tokens.")

    tokens = TokenService(settings.clients, secret, settings.token_ttl)
    validator = SpecValidator(spec)
    resources = Resources(ledgers_by_client(settings), tokens, validator)

    app = _Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.add_url_rule(TOKEN_PATH, "obtainToken", token_view(tokens, validator, TOKEN_PATH),
                     methods=["POST"], provide_automatic_options=False)
    for operation in resource_operations(spec):
        app.add_url_rule(operation.path, operation.operation_id, resources.view(operation),
                         methods=[operation.method.upper()], provide_automatic_options=False)
    register_error_handlers(app)
    faults.install(app, documented_responses(spec), faults.Chaos(settings.seed, settings.latency_ms,
                                                                  settings.error_rate, settings.fault_rate))
    if settings.rate_limit:
        rate_limits.install(app, settings.rate_limit, settings.rate_limit_storage, tokens)
    return app


class _SpecRule(Rule):
    """A URL rule that answers exactly the methods it is given. Werkzeug adds HEAD to every
    GET rule; the spec declares no HEAD operation, so HEAD is 405 like any other method the
    spec does not list (its description says why)."""

    def __init__(self, string: str, methods: Iterable[str] | None = None, **options: Any) -> None:
        super().__init__(string, methods=methods, **options)
        if methods is not None and self.methods is not None and "HEAD" not in {m.upper() for m in methods}:
            self.methods.discard("HEAD")


class _Flask(Flask):
    """Flask, except that a path without its trailing slash is not redirected but 404 with
    a hint, as the spec says: a client that drops the slash should learn it at once; and a
    path answers only the methods the spec gives it."""

    url_rule_class = _SpecRule

    def raise_routing_exception(self, request: Request) -> None:
        redirect = request.routing_exception
        if isinstance(redirect, RequestRedirect):
            raise not_found(request.path, did_you_mean=request.path + "/")
        super().raise_routing_exception(request)
