"""The request pipeline: every step a request passes, in the order it passes them, in one list.

Flask has matched the URL when the first step runs. A step passes (returns None), answers
early (returns a Response), or refuses (raises an ApiError or TokenError, which errors.py
turns into a response). What a step learns for the steps after it, it keeps on the
request's ``RequestState``: the token, for one, is verified once and read twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from flask import Flask, Response, request
from werkzeug.routing import RequestRedirect, Rule

from mock_server.errors import REQUEST_ID, not_found
from mock_server.twin.methods import redirect_with_slash
from mock_server.twin.request import CONTROL_PREFIX, STATE_KEY, RequestState, ResponseStep, Step

if TYPE_CHECKING:
    from mock_server.spec import Operation
    from mock_server.twin.auth import BearerAuth
    from mock_server.twin.faults import Faults
    from mock_server.twin.rate_limits import RateLimit
    from mock_server.twin.validation import RequestValidation



class Recorder(Protocol):
    """Whoever is handed every answer with the state the steps left (the request journal, which
    the app factory hooks in); the pipeline knows this much of it and nothing more."""

    def clock(self) -> float:
        """The wall clock a request's arrival is read from."""
        ...

    def record(self, state: RequestState, response: Response) -> None:
        """Keep one answered request."""
        ...


@dataclass(frozen=True)
class Route:
    """A route of the API: where it is, and its part in the pipeline: its resource operation
    (None: not behind bearer auth) and how it answers."""

    path: str
    methods: tuple[str, ...]
    operation: Operation | None
    answer: Callable[[RequestState], Response]
    options: Callable[[RequestState], Response] | None = None
    """How it answers ``OPTIONS``, on a route that has it (the API's: ``twin/methods.py``)."""
    append_slash: bool = False
    """Whether the path without its slash is redirected to it (the API's), or is a 404 with a hint."""


def request_steps(faults: Faults, routes: Mapping[str, Route], auth: BearerAuth, rate_limit: RateLimit | None,
                  validation: RequestValidation, sandbox: bool, armed_fault: Step | None = None
                  ) -> tuple[tuple[str, Step], ...]:
    """The steps, in order; steps a run does not need (no chaos, no rate limit, no sandbox to arm
    faults with) are left out. With the sandbox on, the faults and the rate limit pass over the
    control API."""
    api = api_only if sandbox else _every_path
    steps: tuple[tuple[str, Step | None], ...] = (
        # First, on every path: a Prefer the mock does not understand is a 400, and delay=... waits, as asked.
        ("prefer", api(faults.read_prefer)),
        # Before authentication, so a client can ask for its 401 (Prefer: code=401) without a token.
        ("forced answer", api(faults.forced_answer)),
        # Every request, known path or not, before it costs work; like forced ones, its answers are never counted.
        ("chaos", api(faults.inject_chaos) if faults.chaos.active else None),
        # Unknown paths 404 in the envelope; a missing slash 301 (the API's paths, as Django's CommonMiddleware
        # answers); a wrong method 405 with Allow; OPTIONS on the API's paths answered by the route's options view.
        ("route", routing(routes)),
        # The bearer token, verified once and leniently: the rate limit keys on it, authenticate refuses with it.
        ("identify", auth.identify),
        # The caller's next fault armed with POST /__sandbox/faults, answered as Prefer: code= would; never counted.
        ("armed fault", api_only(armed_fault) if armed_fault is not None else None),
        # One count per client (token, else Basic user, else address) on every route, /o/token/ too; not 404/405.
        ("rate limit", api(rate_limit.check) if rate_limit is not None else None),
        # Secured operations only: the 401 identify kept. The token endpoint is not behind bearer auth.
        ("authenticate", auth.authenticate),
        # Secured operations only: 403 for a token without the operation's scopes, before its request is read.
        ("authorize", auth.authorize),
        # Secured operations only: the query, headers and body the spec allows, 400 otherwise.
        ("validate", validation.validate),
        # The token endpoint's view, the resource's page from the client's account, or the sandbox's answer.
        ("answer", answer),
    )
    return tuple((name, step) for name, step in steps if step is not None)


def api_only(step: Step) -> Step:
    """``step`` on the API's paths; the control API passes."""

    def on_api_paths(state: RequestState) -> Response | None:
        if state.request.path.startswith(CONTROL_PREFIX):
            return None
        return step(state)

    return on_api_paths


def _every_path(step: Step) -> Step:
    return step


def response_steps(faults: Faults) -> tuple[tuple[str, ResponseStep], ...]:
    """What happens to every response on its way out, errors included."""
    steps: tuple[tuple[str, ResponseStep | None], ...] = (
        # Chaos runs with --fault-rate only: the responses the chaos step marked are cut off or dropped.
        ("cut the wire", faults.cut_the_wire if faults.chaos.fault_rate else None),
    )
    return tuple((name, step) for name, step in steps if step is not None)


def routing(routes: Mapping[str, Route]) -> Step:
    """The route step over ``routes`` (by endpoint)."""

    def route(state: RequestState) -> Response | None:
        """Which route is this? Flask's routing error if none. A path that exists only with a
        slash appended is redirected to it on the API (301, as the spec decides with Django), and
        a 404 with a hint on the control API."""
        req = state.request
        if req.routing_exception is not None:
            if isinstance(req.routing_exception, RequestRedirect):
                slashed = req.path + "/"
                route = next((r for r in routes.values() if r.path == slashed), None)
                if route is not None and route.append_slash:
                    return redirect_with_slash(req.script_root, req.path, req.query_string)
                raise not_found(req.path, did_you_mean=slashed)
            raise req.routing_exception
        matched = routes[req.url_rule.endpoint]  # type: ignore[union-attr]
        state.operation, state.answer = matched.operation, matched.answer
        if req.method == "OPTIONS" and matched.options is not None:
            state.answer = matched.options
        return None

    return route


def answer(state: RequestState) -> Response:
    """The matched route's answer."""
    return state.answer(state)  # type: ignore[misc]


class SpecRule(Rule):
    """A URL rule that answers exactly the methods it is given. Werkzeug adds HEAD to every
    GET rule; a route answers HEAD only when it lists it (the API's routes do, as Django does:
    ``twin/methods.py``; the control API's do not)."""

    def __init__(self, string: str, methods: Iterable[str] | None = None, **options: Any) -> None:
        super().__init__(string, methods=methods, **options)
        if methods is not None and self.methods is not None and "HEAD" not in {m.upper() for m in methods}:
            self.methods.discard("HEAD")


class PipelineFlask(Flask):
    """A Flask that dispatches every request through one list of steps (``request_steps``)
    instead of hooks that run in the order they were registered, then a view; its routes
    answer exactly the spec's methods. With a recorder (the journal), each answer (a step's, or
    a refusal's from the error handlers) is handed to it, with the state the steps left."""

    url_rule_class = SpecRule

    def __init__(self, import_name: str, steps: tuple[tuple[str, Step], ...],
                 on_response: tuple[tuple[str, ResponseStep], ...] = (), recorder: Recorder | None = None) -> None:
        # No static folder: Flask's own ``/static/<path>`` route is no operation of the spec, and the
        # route step knows only the spec's (it answered ``GET /static/x`` with a 500).
        super().__init__(import_name, static_folder=None)
        self.steps = steps
        self.on_response = on_response
        self.recorder = recorder
        """Is handed every answered request on the API's paths; None: the journal is off."""
        self._run_on_response = tuple(step for _, step in on_response)

    def dispatch_request(self) -> Response:  # type: ignore[override]
        state = RequestState(request._get_current_object())  # type: ignore[attr-defined]
        state.request.environ[STATE_KEY] = state
        recorder = self.recorder
        if recorder is not None:
            state.arrival, state.started = recorder.clock(), time.perf_counter()
        name = ""
        try:
            for name, step in self.steps:  # noqa: B007 (read after the loop: the step that answered)
                answered = step(state)
                if answered is not None:
                    break
            else:
                raise AssertionError("the last step answers every request")
        except Exception as error:
            state.step, state.error = name, error
            raise
        state.step = name
        if recorder is not None:
            recorder.record(state, answered)
        return answered

    def handle_user_exception(self, e: Exception) -> Any:
        """A refusal's response, from the handlers errors.py registers, handed to the recorder."""
        response = super().handle_user_exception(e)
        state = request.environ.get(STATE_KEY)
        if self.recorder is not None and state is not None and isinstance(response, Response):
            self.recorder.record(state, response)
        return response

    def process_response(self, response: Response) -> Response:
        # The one 500 goes out as it is, even if a step broke; without steps (no --fault-rate), no
        # search of the headers for it either.
        if self._run_on_response and REQUEST_ID not in response.headers:
            for step in self._run_on_response:
                response = step(response)
        return super().process_response(response)
