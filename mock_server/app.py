"""The application factory: wires the pieces, nothing else."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from mock_server.console import config_for, create_console, mount
from mock_server.errors import guarded, register_error_handlers
from mock_server.journal.journal import Journal
from mock_server.journal.verdict import Judge
from mock_server.sandbox.armed_faults import ArmedFaults
from mock_server.sandbox.control import ClientDefaults, Control
from mock_server.settings import Settings
from mock_server.spec import (
    API_SPEC,
    SANDBOX_SPEC,
    documented_responses,
    load_spec,
    oauth_scopes,
    secured_operations,
    spec_path,
)
from mock_server.state import Store, open_journal, open_store
from mock_server.twin.accounts import Accounts
from mock_server.twin.auth import BearerAuth, TokenService, token_view
from mock_server.twin.faults import Faults
from mock_server.twin.methods import options_view, served_methods, view_metadata
from mock_server.twin.pipeline import PipelineFlask, Route, request_steps, response_steps, routing
from mock_server.twin.rate_limits import RateLimit
from mock_server.twin.registry import ClientRegistry
from mock_server.twin.resources import Resources
from mock_server.twin.validation import RequestValidation, SpecValidator

log = logging.getLogger("balances_mock")

TOKEN_PATH = "/o/token/"
JOURNAL_EXTENSION = "balances_mock.journal"
"""Where the app keeps its request journal (None: off), for the server to start it per worker."""
MAX_BODY_BYTES = 64 * 1024
"""A token request or a sandbox transaction is a few hundred bytes; far larger is refused with 413."""


def create_app(settings: Settings | None = None, store: Store | None = None,
               journal_clock: Callable[[], float] = time.time) -> Flask:
    """A WSGI app serving the balances API, each client from its account's deterministic ledger,
    with the sandbox's control API unless ``settings.sandbox`` is off, the request journal
    unless ``settings.journal`` is off too, and the web console unless ``settings.console`` is.

    Everything a request needs (specs, ledgers, validators, the state store) is built here,
    once, so workers forked from this app share it and requests do no set-up work. ``store``
    overrides ``settings.state`` (a test can hand two apps one store); ``journal_clock`` is the
    wall clock the journal stamps arrivals with (a test moves its own).
    """
    settings = settings or Settings()
    spec = load_spec()
    if settings.sandbox and store is None:
        store = open_store(settings.state)  # first: a state that cannot be opened is the one thing to say
    secret = settings.token_secret
    if not secret:
        secret = secrets.token_urlsafe(32)
        log.warning("No token secret set (--token-secret or BALANCES_MOCK_TOKEN_SECRET): using a "
                    "random one, so other processes and replicas reject this one's tokens.")

    state = store if settings.sandbox else None
    registry = ClientRegistry(settings.clients, state.clients if state is not None else None)
    tokens = TokenService(registry, secret, settings.token_ttl)
    validator = SpecValidator(spec, base_uri=spec_path(API_SPEC).as_uri())
    accounts = Accounts(settings, state, registry.created)
    documented = documented_responses(spec)
    armed = None
    resources = Resources(accounts)
    token_methods = served_methods("POST")
    routes = {"obtainToken": Route(TOKEN_PATH, token_methods, None, token_view(tokens, validator, TOKEN_PATH),
                                   options_view(token_methods, None), append_slash=True)}
    validators = {}
    for operation in secured_operations(spec):
        methods = served_methods(operation.method)
        metadata = view_metadata(spec["paths"][operation.path][operation.method])
        routes[operation.operation_id] = Route(operation.path, methods, operation, resources.answer,
                                               options_view(methods, metadata), append_slash=True)
        validators[operation.operation_id] = validator
    sandbox_operations = []
    if state is not None:
        sandbox_spec = load_spec(SANDBOX_SPEC)
        sandbox_validator = SpecValidator(sandbox_spec, base_uri=spec_path(SANDBOX_SPEC).as_uri())
        sandbox_operations = secured_operations(sandbox_spec)
        validators.update((operation.operation_id, sandbox_validator) for operation in sandbox_operations)
    auth, validation = BearerAuth(tokens), RequestValidation(validators)
    journal = None
    if state is not None and settings.journal:
        judge = Judge(routing(routes), auth, tokens, validation, TOKEN_PATH)
        journal = Journal(open_journal(state, settings.journal_size), judge, batched=state.shared_between_processes,
                          clock=journal_clock)
    if state is not None:
        armed = ArmedFaults(documented, state.faults, TOKEN_PATH, accounts=accounts)
        defaults = ClientDefaults(settings.scenario, settings.seed, frozenset(oauth_scopes(spec)))
        control = Control(accounts, registry, defaults, armed, journal)
        for operation in sandbox_operations:
            routes[operation.operation_id] = Route(operation.path, (operation.method.upper(),), operation,
                                                   control.answer)
    faults = Faults(documented, settings.chaos, settings.seed)
    rate_limit = RateLimit(settings.rate_limit, settings.rate_limit_storage) if settings.rate_limit else None

    steps = request_steps(faults, routes, auth, rate_limit, validation, settings.sandbox,
                          armed.fire if armed is not None else None)
    app = PipelineFlask(__name__, steps, response_steps(faults), recorder=journal)
    app.extensions[JOURNAL_EXTENSION] = journal
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    for endpoint, route in routes.items():
        app.add_url_rule(route.path, endpoint, methods=route.methods, provide_automatic_options=False)
    register_error_handlers(app, tokens=True)
    if state is not None and settings.console:
        mount(app, create_console(config_for(settings.clients, TOKEN_PATH)))
    app.wsgi_app = guarded(whole_bodies(app.wsgi_app))  # type: ignore[method-assign]
    return app


def whole_bodies(wsgi_app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """Each answer's body as one piece in a list. Flask hands a server an iterator (werkzeug's
    ``ClosingIterator``) even for a body it holds whole, and granian streams whatever is not a
    list: the head goes out first, then each piece is asked of a Python thread. That costs a
    round through the thread pool per answer, and a worker stopping on SIGTERM could close the
    connection between the two, after the head. Every body of the twin is built in memory before
    it is answered. A body shorter than the Content-Length it announces (a HEAD's, or one a chaos
    fault cut) is still streamed: granian then ends the connection where the body ends, as a
    network would, where a list's length would replace the announced one."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        announced: list[str] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            announced[:] = [value for name, value in headers if name.lower() == "content-length"]
            return start_response(status, headers, exc_info)

        answer = wsgi_app(environ, start)
        try:
            body = b"".join(answer)
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        if announced and announced[-1] != str(len(body)):
            return iter((body,))
        return [body]

    return app
