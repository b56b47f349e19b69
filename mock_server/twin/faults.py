"""Faults on purpose, for the paths the real API rarely shows: per request with the
``Prefer`` header (the syntax Stoplight Prism users know), and server-wide for chaos runs.

``Prefer: code=429`` answers the operation's documented 429 (its example body and headers);
``Prefer: delay=250`` waits 250 ms first. Server-wide, ``--latency``, ``--error-rate`` and
``--fault-rate`` draw from a generator seeded by (seed, request, how many times this worker
has seen that request), so a failing client test replays exactly (one worker makes the
order of requests, and so every draw, fully reproducible).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING

from flask import Request, Response, g

from mock_server.errors import ApiError, allow, envelope
from mock_server.serializer import json_response
from mock_server.settings import Chaos
from mock_server.spec import Documented
from mock_server.twin.request import Preference

if TYPE_CHECKING:
    from mock_server.twin.request import RequestState

MAX_DELAY_MS = 10_000
"""The longest a ``Prefer: delay`` may hold a request (and a worker thread)."""
SUPPORTED = ("code", "delay")




def parse_prefer(values: list[str]) -> Preference:
    """RFC 7240 preferences; anything the mock does not understand is a 400, never ignored."""
    found: dict[str, str] = {}
    for value in values:
        for item in value.split(","):
            name, _, argument = item.split(";", 1)[0].strip().partition("=")
            name, argument = name.strip().lower(), argument.strip().strip('"')
            if not name:
                continue
            if name not in SUPPORTED:
                raise _bad_prefer(f"the preference {name!r} is not supported", name)
            if not argument.isdigit():
                raise _bad_prefer(f"{name} needs a whole number, got {argument!r}", name)
            found[name] = argument
    return Preference(int(found["code"]) if "code" in found else None,
                      min(int(found.get("delay", 0)), MAX_DELAY_MS))


def _bad_prefer(reason: str, name: str) -> ApiError:
    return ApiError(400, "invalid_request", f"Prefer header not understood: {reason}. Supported: "
                    f"code=<documented status>, delay=<milliseconds, at most {MAX_DELAY_MS}>.",
                    {"Prefer": [reason]})


class _Draws:
    """A generator per request, seeded by (seed, request line, how often this worker saw it)."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def for_request(self, line: str) -> random.Random:
        with self._lock:
            self._seen[line] += 1
            occurrence = self._seen[line]
        return random.Random(f"{self._seed}|{line}|{occurrence}")


class Faults:
    """Faults on purpose, as steps of the request pipeline (see pipeline.py for where each sits)."""

    def __init__(self, documented: Mapping[tuple[str, str], Mapping[int, Documented]], chaos: Chaos,
                 seed: int) -> None:
        self._documented = documented
        self.chaos = chaos
        self._draws = _Draws(seed)

    def read_prefer(self, state: RequestState) -> None:
        """The request's preferences (a 400 if not understood), and the delay it asks for."""
        # The environ, not ``headers.getlist``: the WSGI server has joined repeated headers
        # into one value already, and reading the headers scans the whole environ.
        value = state.request.environ.get("HTTP_PREFER")
        if value:
            state.preference = parse_prefer([value])
            if state.preference.delay_ms:
                time.sleep(state.preference.delay_ms / 1000)

    def forced_answer(self, state: RequestState) -> Response | None:
        """The documented response ``Prefer: code=...`` asks for; None for a success code (the
        real answer) and on paths the API does not have."""
        code = state.preference.code
        if code is None or state.request.url_rule is None:
            return None
        return documented_answer(self._documented, state.request, code)

    def inject_chaos(self, state: RequestState) -> Response | None:
        """A chaos run's draws for this request: a delay, a 500 or 503, a response to cut."""
        return _chaos(self.chaos, self._draws.for_request(f"{state.request.method} {state.request.full_path}"))

    @staticmethod
    def cut_the_wire(response: Response) -> Response:
        """The response the chaos step marked, broken as a network breaks it."""
        if g.get("fault") is not None:
            return _faulty(response, g.fault)
        return response


def documented_answer(documented: Mapping[tuple[str, str], Mapping[int, Documented]], request: Request,
                      code: int, retry_after: int | None = None) -> Response | None:
    """The operation's documented response for ``code``; None for its success code. An armed
    fault's ``retry_after`` replaces the example's ``Retry-After`` and, to agree with it, the
    body's ``retry_after`` where the example has one."""
    responses = documented.get((request.url_rule.rule, request.method.lower()), {})
    if code not in responses:
        raise ApiError(400, "invalid_request",
                       f"Prefer: code={code} is not a documented response of {request.method} "
                       f"{request.url_rule.rule}; documented: {', '.join(map(str, sorted(responses)))}.",
                       {"Prefer": [f"code {code} is not documented for this operation"]})
    if code < 300:
        return None  # the real answer
    answer = responses[code]
    headers, body = dict(answer.headers), answer.body
    if "Allow" in headers:
        headers["Allow"] = ", ".join(allow(request.url_rule.methods or ()))
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
        details = body.get("error", {}).get("details") if isinstance(body, dict) else None
        if isinstance(details, dict) and "retry_after" in details:
            body = {**body, "error": {**body["error"], "details": {**details, "retry_after": retry_after}}}
    return json_response(body, code, headers)


def _chaos(chaos: Chaos, draw: random.Random) -> Response | None:
    if chaos.latency_ms:
        low, high = chaos.latency_ms
        time.sleep(draw.randint(low, high) / 1000)
    if draw.random() < chaos.error_rate:
        status = draw.choice((500, 503))
        code = "server_error" if status == 500 else "service_unavailable"
        message = "Injected failure (--error-rate)."
        headers = {"Retry-After": "1"} if status == 503 else {}
        return json_response(envelope(code, message, {"injected": True}), status, headers)
    if draw.random() < chaos.fault_rate:
        g.fault = draw.choice(("truncate", "drop"))
    return None


def _faulty(response: Response, fault: str) -> Response:
    """A response the network breaks: half the promised body, or nothing at all. The body
    falls short of its Content-Length, so the server cuts the connection there."""
    body = response.get_data()
    response.response = [body[: len(body) // 2]] if fault == "truncate" else []
    response.headers["Content-Length"] = str(len(body))
    return response


def parse_latency(text: str) -> tuple[int, int]:
    """``MIN:MAX`` milliseconds (or one number for a fixed delay)."""
    low, _, high = text.partition(":")
    try:
        bounds = int(low), int(high or low)
    except ValueError:
        raise ValueError(f"expected MIN:MAX in milliseconds, got {text!r}") from None
    if not 0 <= bounds[0] <= bounds[1] <= MAX_DELAY_MS:
        raise ValueError(f"expected 0 <= MIN <= MAX <= {MAX_DELAY_MS}, got {text!r}")
    return bounds


def describe(chaos: Chaos) -> list[str]:
    parts: list[str] = []
    if chaos.latency_ms:
        parts.append(f"latency {chaos.latency_ms[0]}-{chaos.latency_ms[1]} ms")
    if chaos.error_rate:
        parts.append(f"error rate {chaos.error_rate:g}")
    if chaos.fault_rate:
        parts.append(f"fault rate {chaos.fault_rate:g}")
    return parts

