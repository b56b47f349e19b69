"""What one request is while it flows through the pipeline, and the few names every step
shares: a small module at the bottom of the twin, so the steps (``auth``, ``faults``,
``rate_limits``, ``validation``) and whoever watches them (the journal) import it and the
pipeline imports the steps, never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Request, Response

if TYPE_CHECKING:
    from mock_server.errors import ApiError
    from mock_server.spec import Operation

CONTROL_PREFIX = "/__sandbox/"
"""The sandbox's control API: not the real API's, so never faulty on purpose nor rate limited."""
STATE_KEY = "balances_mock.state"
"""Where a request's ``RequestState`` is kept in its WSGI environ, for the journal to read once
the request is answered."""


@dataclass(frozen=True)
class Grant:
    """What a verified bearer token allows."""

    client_id: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class Preference:
    """What a request's ``Prefer`` header asks of the mock (RFC 7240): a documented status to
    answer with, and milliseconds to wait first."""

    code: int | None = None
    delay_ms: int = 0


NO_PREFERENCE = Preference()


@dataclass(slots=True)
class RequestState:
    """What the steps have learnt about one request so far."""

    request: Request
    preference: Preference = NO_PREFERENCE
    answer: Callable[[RequestState], Response] | None = None
    """How the matched route answers, once the route is known."""
    operation: Operation | None = None
    """The matched resource operation; None on the token endpoint, which is not behind bearer auth."""
    identity: Grant | ApiError | None = None
    """The bearer token's grant, or the 401 it earns, kept until a step needs one or the other."""
    params: Mapping[str, Any] | None = None
    """The query parameters, validated against the spec."""
    body: Mapping[str, Any] | None = None
    """The JSON body of an operation that takes one, validated against its spec."""
    version: int | None = None
    """The version of the caller's account, read with the armed-fault check (one store call for
    both); None: not read yet, the answer reads it."""
    step: str = ""
    """Once answered, the step that answered or raised (the journal's verdict reuses what the
    checks found, and runs those an earlier answer skipped)."""
    error: Exception | None = None
    """What that step raised, if it raised."""
    arrival: float = 0.0
    """When the request arrived, by the journal's wall clock (with the journal on)."""
    started: float = 0.0
    """``time.perf_counter()`` then, for the time it took."""


Step = Callable[[RequestState], Response | None]
ResponseStep = Callable[[Response], Response]
