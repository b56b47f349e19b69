"""The application factory: wires the pieces, nothing else."""

from __future__ import annotations

import logging
import secrets

from flask import Flask

from .accounts import ledgers_by_client
from .api import Resources, resource_operations
from .auth import BearerAuth, TokenService, token_view
from .errors import register_error_handlers
from .faults import Faults
from .pipeline import PipelineFlask, Route, request_steps, response_steps
from .rate_limits import RateLimit
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
    resources = Resources(ledgers_by_client(settings), validator)
    routes = {"obtainToken": Route(TOKEN_PATH, ("POST",), None, token_view(tokens, validator, TOKEN_PATH))}
    for operation in resource_operations(spec):
        routes[operation.operation_id] = Route(operation.path, (operation.method.upper(),), operation,
                                               resources.answer)
    faults = Faults(documented_responses(spec), settings.chaos, settings.seed)
    rate_limit = RateLimit(settings.rate_limit, settings.rate_limit_storage) if settings.rate_limit else None

    app = PipelineFlask(__name__, request_steps(faults, routes, BearerAuth(tokens), rate_limit, resources),
                        response_steps(faults))
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    for endpoint, route in routes.items():
        app.add_url_rule(route.path, endpoint, methods=route.methods, provide_automatic_options=False)
    register_error_handlers(app)
    return app
