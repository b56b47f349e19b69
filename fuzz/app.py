"""The WSGI app in-process, one request per input, to every route: the API, the token endpoint,
the control API and the console (``exchange.ROUTES``), with a valid token most of the time so
the fuzzer gets past authentication.

Before the request, the input may set the scene as a test would: a booking, a clock moved or a
fault armed for the demo client (with well-formed requests the target writes). Then the
properties, for every answer:

- no 5xx but the one asked for (``Prefer: code=5xx``, or a 5xx fault the scene armed), and no
  error logged: nothing unexpected happened;
- every error answer is the right body: RFC 6749's on ``POST /o/token/`` 400 and 401, the API's
  envelope everywhere else (``contract_tests.checks.error_body_is_the_envelope``, the contract
  suite's own check);
- a refused request (4xx or 5xx) changes no state: nothing booked, moved, reset, armed, disarmed
  or created (the store counts every change; the journal keeping the request is intended).

After each input the account and the demo clients' faults are put back, so every input meets
the same state and replays the same.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any
from unittest import mock

from flask import Flask
from werkzeug.test import run_wsgi_app

from contract_tests.checks import error_body_is_the_envelope
from fuzz.exchange import ROUTES, Draw, HttpRequest, basic, draw_request, request_examples
from mock_server import Settings, create_app
from mock_server.console.docs import SWAGGER_UI_VERSION
from mock_server.errors import ApiError
from mock_server.ledger.bookings import Decision, Tail
from mock_server.proxy.judge import Answer
from mock_server.settings import DEMO_CLIENTS
from mock_server.spec import API_SPEC, SANDBOX_SPEC, documented_responses, load_spec
from mock_server.state.memory import MemoryStore
from mock_server.state.records import ArmedFault, ClientRecord, Fault
from mock_server.twin import faults
from mock_server.twin.faults import MAX_DELAY_MS, parse_prefer

DEMO, DEMO_READ = (client.client_id for client in DEMO_CLIENTS)
SECRETS = {client.client_id: client.client_secret for client in DEMO_CLIENTS}


class Violation(AssertionError):
    """A property of the app broken by one request."""


# -- the state, watched --------------------------------------------------------------------------

class WatchedStore(MemoryStore):
    """The memory store, noting every change made to it: an account updated or reset, a client
    created, a fault armed or disarmed. A fault firing (using up one of its times) is its own
    answer, not a change a request makes."""

    def __init__(self) -> None:
        super().__init__()
        self.changes: list[str] = []
        self._accounts_changed: set[str] = set()
        self.clients = _WatchedClients(self.clients, self.changes)
        self.faults = _WatchedFaults(self.faults, self.changes)

    def update(self, account: str, initial: Tail, decide: Decision, idempotency_key: str | None = None) -> object:
        before = self.version(account)
        result = super().update(account, initial, decide, idempotency_key)
        if self.version(account) != before:
            self.changes.append(f"account {account} updated")
            self._accounts_changed.add(account)
        return result

    def reset(self, account: str) -> None:
        super().reset(account)
        self.changes.append(f"account {account} reset")
        self._accounts_changed.add(account)

    def put_back(self) -> None:
        """Every account changed back to its base, the demo clients' faults disarmed; none of it noted."""
        for account in self._accounts_changed:
            super().reset(account)
        self._accounts_changed.clear()
        for client in (DEMO, DEMO_READ):
            self.faults.inner.disarm(client)
        self.changes.clear()


class _WatchedClients:
    def __init__(self, inner: Any, changes: list[str]) -> None:
        self.inner, self._changes = inner, changes

    def add(self, record: ClientRecord) -> bool:
        added = self.inner.add(record)
        if added:
            self._changes.append(f"client {record.client_id} created")
        return added

    def get(self, client_id: str) -> ClientRecord | None:
        return self.inner.get(client_id)


class _WatchedFaults:
    def __init__(self, inner: Any, changes: list[str]) -> None:
        self.inner, self._changes = inner, changes

    def arm(self, client: str, fault: Fault) -> ArmedFault:
        armed = self.inner.arm(client, fault)
        self._changes.append(f"fault armed for {client}: {fault}")
        return armed

    def armed(self, client: str) -> list[ArmedFault]:
        return self.inner.armed(client)

    def disarm(self, client: str) -> int:
        disarmed = self.inner.disarm(client)
        if disarmed:
            self._changes.append(f"{disarmed} faults of {client} disarmed")
        return disarmed

    def take(self, client: str, method: str, path: str) -> ArmedFault | None:
        return self.inner.take(client, method, path)


# -- the target ------------------------------------------------------------------------------------

class _NoSleep:
    """``time`` for ``mock_server.twin.faults`` while fuzzing: a ``Prefer: delay`` is checked
    against its cap and not waited for (the fuzzer would wait 10 s an input)."""

    @staticmethod
    def sleep(seconds: float) -> None:
        if not 0 <= seconds <= MAX_DELAY_MS / 1000:
            raise Violation(f"a delay of {seconds} s, over the cap of {MAX_DELAY_MS} ms")


class _Logged(logging.Handler):
    """What the app logs at ERROR while it answers one request: a traceback means a bug."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class AppTarget:
    """One app and its store for the whole run; ``check`` is one input."""

    def __init__(self) -> None:
        self.store = WatchedStore()
        self.app: Flask = create_app(Settings(token_secret=secrets.token_urlsafe(32), token_ttl=7 * 86_400,
                                              journal_size=256), store=self.store)
        self.routes = [(method, path.format(swagger=SWAGGER_UI_VERSION)) for method, path in ROUTES]
        self.examples = request_examples(load_spec(API_SPEC), load_spec(SANDBOX_SPEC))
        token, read_token = self._token(DEMO), self._token(DEMO_READ)
        self.credentials = (f"Bearer {token}", f"Bearer {read_token}", f"Bearer {token[:-2]}{token[-1]}{token[-2]}",
                            basic(DEMO, SECRETS[DEMO]), basic(DEMO_READ, SECRETS[DEMO_READ]),
                            basic(DEMO, "not-the-secret"))
        self._bearer = (("Authorization", f"Bearer {token}"), ("Content-Type", "application/json"))
        self.failures = sorted((path, method.upper(), status) for (path, method), statuses
                               in documented_responses(load_spec(API_SPEC)).items() for status in statuses
                               if status >= 400)
        self.store.put_back()

    def _token(self, client: str) -> str:
        answer = self.send(HttpRequest("POST", "/o/token/", "", (
            ("Authorization", basic(client, SECRETS[client])),
            ("Content-Type", "application/x-www-form-urlencoded")), b"grant_type=client_credentials"))
        return answer.json()["access_token"]

    def send(self, request: HttpRequest) -> Answer:
        body, status, headers = run_wsgi_app(self.app, request.environ(), buffered=True)
        content = b"".join(body)
        return Answer(int(status.split(" ", 1)[0]), {name.lower(): value for name, value in headers.items()},
                      content)

    def check(self, data: bytes) -> None:
        draw = Draw(data)
        try:
            asked = self._scene(draw)  # the status of a fault armed for the request
            request = draw_request(draw, self.routes, self.credentials,
                                   lambda method, path: self.examples.get((method, path), ()))
            changes = len(self.store.changes)
            with self._watched() as logged:
                answer = self.send(request)
            fired = asked if asked is not None and not self.store.faults.armed(DEMO) else None
            _properties(request, answer, logged.records, fired, self.store.changes[changes:])
        finally:
            if self.store.changes:
                self.store.put_back()

    def _scene(self, draw: Draw) -> int | None:
        """Set the scene as a test would; the status of a fault it armed, if any."""
        scene = draw.number(0, 7)
        if scene == 1:
            self._control("/__sandbox/transactions", b'{"type": "deposit", "currency": "ETH", "amount": "1.5"}', 201)
        elif scene == 2:
            self._control("/__sandbox/clock", b'{"advance": 86400}', 200)
        elif scene == 3:
            path, method, status = draw.pick(self.failures)
            body = f'{{"path": "{path}", "method": "{method}", "status": {status}, "times": 1}}'
            self._control("/__sandbox/faults", body.encode(), 201)
            return status
        return None

    def _control(self, path: str, body: bytes, expected: int) -> None:
        answer = self.send(HttpRequest("POST", path, "", self._bearer, body))
        if answer.status_code != expected:
            raise Violation(f"setting the scene: POST {path} {body!r} answered {answer.status_code}, not {expected}: "
                            f"{answer.content[:500]!r}")

    @contextmanager
    def _watched(self) -> Iterator[_Logged]:
        logger = logging.getLogger("balances_mock")
        handler = _Logged()
        logger.addHandler(handler)
        try:
            with mock.patch.object(faults, "time", _NoSleep):
                yield handler
        finally:
            logger.removeHandler(handler)


def _properties(request: HttpRequest, answer: Answer, logged: list[logging.LogRecord], armed: int | None,
                changes: list[str]) -> None:
    status = answer.status_code
    if logged:
        record = logged[0]
        raise Violation(f"{status} and an error logged: {record.getMessage()}\n"
                        f"{logging.Formatter().formatException(record.exc_info) if record.exc_info else ''}"
                        f"\nrequest: {request}")
    if status >= 500 and status not in (_asked(request), armed):
        raise Violation(f"{status} nobody asked for: {answer.content[:500]!r}\nrequest: {request}")
    if status >= 400 and request.method != "HEAD":
        try:
            error_body_is_the_envelope(answer, request.path, request.method)
        except AssertionError as broken:
            raise Violation(f"{broken}\nrequest: {request}") from None
    if status >= 400 and changes:
        raise Violation(f"refused with {status} {answer.content[:300]!r}, yet changed: {'; '.join(changes)}\n"
                        f"request: {request}")


def _asked(request: HttpRequest) -> int | None:
    """The status ``Prefer`` asks for, read as the mock reads it."""
    prefer = request.header("Prefer")
    try:
        return parse_prefer([prefer]).code if prefer else None
    except ApiError:
        return None


@cache
def target() -> AppTarget:
    return AppTarget()


def check(data: bytes) -> None:
    """The app's properties for the request ``data`` draws; raises ``Violation`` if one breaks."""
    target().check(data)
