"""The ``balances_mock`` pytest fixture: a real mock server per test session, and a fresh
account of its own for every test.

The server is ``balances-mock serve`` in a child process on a free loopback port (any
HTTP client in any thread or process reaches it, exactly as it would reach the real API);
pytest-xdist workers each start their own. Every test gets a client created for it
(``POST /__sandbox/clients``) with the scenario and seed its marker or the command line
names, so tests never see each other's money or requests, and the account is reset when
the test ends. Everything the fixture does goes through the server's public HTTP API.

Loading this plugin imports pytest and nothing else; a session that never asks for the
fixture starts no server and pays nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import requests

    from mock_server.testing.launcher import ServerProcess

MARKER = "balances_mock"
USER_AGENT = "balances-mock-pytest"
"""The fixture's own calls say so, and ``requests()`` leaves them out: a test asserts on what
its code sent, not on what the fixture did for it."""
HISTORY = "/user/balances/history/"
JOURNAL_PAGE = 1000


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("balances-mock", "balances_mock fixture (a mock of the Cryptofuse balances API)")
    group.addoption("--balances-mock-scenario", default=None, metavar="NAME",
                    help="Scenario of every test's account unless its marker names one (default: default).")
    group.addoption("--balances-mock-seed", default=None, type=int, metavar="N",
                    help="Seed of every test's account unless its marker names one (default: 1).")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(scenario=None, seed=None, entries=None, scopes=None): the account the "
        "balances_mock fixture gives this test (a scenario of `balances-mock fixtures --list`, its seed, "
        "the history's length, the client's scopes)")


class BalancesMockError(AssertionError):
    """The mock refused a call the fixture made for the test; the message is the mock's own."""


@dataclass(frozen=True)
class Account:
    """What a test's account is generated from (the marker's words, else the options')."""

    scenario: str | None = None
    seed: int | None = None
    entries: int | None = None
    scopes: tuple[str, ...] | None = None

    @classmethod
    def for_test(cls, node: pytest.Item, config: pytest.Config) -> Account:
        marker = node.get_closest_marker(MARKER)
        asked: dict[str, Any] = dict(marker.kwargs) if marker else {}
        unknown = sorted(set(asked) - {"scenario", "seed", "entries", "scopes"})
        if marker is not None and (marker.args or unknown):
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes scenario=, seed=, entries= and scopes= only; "
                                    f"got {', '.join(map(repr, marker.args)) or ', '.join(unknown)}")
        scopes = asked.get("scopes")
        return cls(asked.get("scenario", config.getoption("balances_mock_scenario")),
                   asked.get("seed", config.getoption("balances_mock_seed")),
                   asked.get("entries"), None if scopes is None else tuple(scopes))

    def request_body(self) -> dict[str, Any]:
        body = {"scenario": self.scenario, "seed": self.seed, "entries": self.entries,
                "scopes": None if self.scopes is None else list(self.scopes)}
        return {name: value for name, value in body.items() if value is not None}


class Journal(list):
    """Requests from the journal; shown in full when an ``assert`` on them fails."""

    def __init__(self, entries: list[dict[str, Any]], filters: Mapping[str, Any], everything: list[dict[str, Any]]):
        super().__init__(entries)
        self.filters = dict(filters)
        self.everything = everything

    def __repr__(self) -> str:
        asked = ", ".join(f"{name}={value!r}" for name, value in self.filters.items()) or "no filter"
        return (f"<{len(self)} request(s) matching {asked}; the test's client sent {len(self.everything)}:\n"
                f"{describe(self.everything)}>")


def describe(entries: list[dict[str, Any]]) -> str:
    """One line per journal entry: what was sent, what came back, and the verdict."""
    if not entries:
        return "  (nothing)"
    lines = []
    for entry in entries:
        query = f"?{entry['query']}" if entry["query"] else ""
        verdict = entry["verdict"]
        judged = "valid" if verdict["valid"] else "INVALID: " + "; ".join(v["message"] for v in verdict["violations"])
        retry = verdict.get("retry")
        if retry and not retry["ok"]:
            judged += (f"; retried after {retry['waited_s']} s, but Retry-After asked for "
                       f"{retry['retry_after_s']} s (#{retry['after']})")
        lines.append(f"  #{entry['seq']} {entry['method']} {entry['path']}{query} -> {entry['status']} "
                     f"({entry['duration_ms']} ms) {judged}")
    return "\n".join(lines)


class BalancesMock:
    """A test's account on the session's mock server, and the calls a test makes on it."""

    def __init__(self, url: str, client: Mapping[str, Any], session: requests.Session) -> None:
        self.url = url
        self.client_id: str = client["client_id"]
        self.client_secret: str = client["client_secret"]
        self.scopes: tuple[str, ...] = tuple(client["scopes"])
        self.scenario: str = client["scenario"]
        self.seed: int = client["seed"]
        self._http = session
        self._tokens: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"<balances_mock {self.client_id} at {self.url}: scenario {self.scenario}, seed {self.seed}>"

    # -- credentials ------------------------------------------------------------------

    def token(self, scope: str | None = None) -> str:
        """A fresh access token for this test's client (``scope``: "read", "write" or both)."""
        form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
        answer = self._http.post(f"{self.url}/o/token/", data=form, auth=(self.client_id, self.client_secret))
        if answer.status_code != 200:
            raise BalancesMockError(f"POST /o/token/ answered {answer.status_code}: {answer.text}")
        return answer.json()["access_token"]

    # -- the sandbox ------------------------------------------------------------------

    def deposit(self, currency: str, amount: str | Decimal | int, *, timestamp: str | None = None,
                idempotency_key: str | None = None) -> dict[str, Any]:
        """Book money arriving; the entry as the history shows it."""
        return self._book("deposit", currency, amount, timestamp, idempotency_key)

    def withdraw(self, currency: str, amount: str | Decimal | int, *, timestamp: str | None = None,
                 idempotency_key: str | None = None) -> dict[str, Any]:
        """Book money leaving (refused, with the mock's message, if it would overdraw)."""
        return self._book("withdrawal", currency, amount, timestamp, idempotency_key)

    def advance(self, seconds: int) -> str:
        """Move the account's clock forward; its new time."""
        return self._call("POST", "/__sandbox/clock", json={"advance": seconds})["now"]

    def fail_next(self, path: str, status: int, times: int = 1, *, method: str | None = None,
                  delay_ms: int = 0, retry_after: int | None = None) -> dict[str, Any]:
        """Make this client's next ``times`` requests to ``path`` answer ``status`` as the API
        documents it, after ``delay_ms``; ``retry_after`` replaces the documented Retry-After."""
        fault = {"path": path, "status": status, "times": times, "delay_ms": delay_ms, "method": method,
                 "retry_after": retry_after}
        return self._call("POST", "/__sandbox/faults",
                          json={name: value for name, value in fault.items() if value is not None})

    def reset(self) -> dict[str, Any]:
        """The account as it was generated: bookings, clock and armed faults gone."""
        return self._call("POST", "/__sandbox/reset")

    # -- reading ----------------------------------------------------------------------

    def balances(self) -> dict[str, Any]:
        """``GET /user/balances/`` as this test's client."""
        return self._call("GET", "/user/balances/")

    def history(self, **params: Any) -> dict[str, Any]:
        """``GET /user/balances/history/`` with these query parameters."""
        return self._call("GET", HISTORY, params=params)

    def requests(self, **filters: Any) -> Journal:
        """What this test's client sent, in the order it arrived, from the server's journal:
        filters ``path``, ``method``, ``status``, ``valid``, ``since``. The fixture's own calls
        are left out."""
        everything = self._journal({"since": filters["since"]} if "since" in filters else {})
        return Journal(self._journal(filters), filters, everything)

    def _journal(self, filters: Mapping[str, Any]) -> list[dict[str, Any]]:
        params = {name: str(value).lower() if isinstance(value, bool) else value for name, value in filters.items()}
        found: list[dict[str, Any]] = []
        while True:
            page = self._call("GET", "/__sandbox/requests", params={**params, "limit": JOURNAL_PAGE,
                                                                    "offset": len(found)})
            found += page["requests"]
            if not page["requests"] or len(found) >= page["total"]:
                break
        # The journal numbers a batch as a worker writes it, so two workers' requests a few ms
        # apart may be numbered out of arrival order; a test reads them as they arrived.
        found.sort(key=lambda entry: (entry["time"], entry["seq"]))
        return [entry for entry in found if not entry["headers"].get("user-agent", "").startswith(USER_AGENT)]

    # -- plumbing ---------------------------------------------------------------------

    def _book(self, kind: str, currency: str, amount: str | Decimal | int, timestamp: str | None,
              idempotency_key: str | None) -> dict[str, Any]:
        if isinstance(amount, float | bool) or not isinstance(amount, str | Decimal | int):
            raise TypeError(f"amount must be a str, Decimal or int, not {type(amount).__name__}: money is never a "
                            f"float (write '{amount}' or Decimal('{amount}'))")
        body = {"type": kind, "currency": currency,
                "amount": format(amount, "f") if isinstance(amount, Decimal) else str(amount),
                **({"timestamp": timestamp} if timestamp else {})}
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._call("POST", "/__sandbox/transactions", json=body, headers=headers)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One call as this test's client; a refusal raises with the mock's envelope message."""
        scopes = " ".join(self.scopes)
        if scopes not in self._tokens:
            self._tokens[scopes] = self.token()
        headers = {"Authorization": f"Bearer {self._tokens[scopes]}", **kwargs.pop("headers", {})}
        answer = self._http.request(method, self.url + path, headers=headers, **kwargs)
        if answer.status_code >= 400:
            raise BalancesMockError(f"{method} {path} answered {answer.status_code}: {_message(answer)}")
        return answer.json()


def _message(answer: requests.Response) -> str:
    try:
        error = answer.json()["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return answer.text[:500]


@dataclass
class _Server:
    """The session's mock server and what the fixture needs to create clients on it."""

    process: ServerProcess
    session: requests.Session
    admin_token: str

    @property
    def url(self) -> str:
        return self.process.url

    def create_client(self, account: Account) -> dict[str, Any]:
        answer = self.session.post(f"{self.url}/__sandbox/clients", json=account.request_body(),
                                   headers={"Authorization": f"Bearer {self.admin_token}"})
        if answer.status_code != 201:
            raise pytest.UsageError(f"@pytest.mark.{MARKER}: the mock refused this account: {_message(answer)}")
        return answer.json()


@pytest.fixture(scope="session")
def balances_mock_server() -> Iterator[_Server]:
    """``balances-mock serve`` on a free loopback port for the whole session (per xdist worker)."""
    import secrets
    import sys

    import requests

    from mock_server.testing.launcher import launch

    process = launch([sys.executable, "-m", "mock_server", "serve", "--host", "127.0.0.1", "--port", "0",
                      "--workers", "1", "--threads", "4", "--state", "memory://", "--quiet",
                      "--token-secret", secrets.token_urlsafe(32)])
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    try:
        answer = session.post(f"{process.url}/o/token/", data={"grant_type": "client_credentials"},
                              auth=("demo", "demo-secret"))
        answer.raise_for_status()
        yield _Server(process, session, answer.json()["access_token"])
    finally:
        session.close()
        process.stop()


@pytest.fixture
def balances_mock(request: pytest.FixtureRequest, balances_mock_server: _Server) -> Iterator[BalancesMock]:
    """A fresh account of this test's own on the session's mock server, reset at the end.

    Configure it with ``@pytest.mark.balances_mock(scenario="whale", seed=7)`` or, for every
    test, ``--balances-mock-scenario`` and ``--balances-mock-seed``.
    """
    account = Account.for_test(request.node, request.config)
    mock = BalancesMock(balances_mock_server.url, balances_mock_server.create_client(account),
                        balances_mock_server.session)
    request.node.stash[_MOCK] = mock
    yield mock
    if "write" in mock.scopes:
        mock.reset()


_MOCK = pytest.StashKey[BalancesMock]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test that used the fixture shows what its client sent, with the verdicts."""
    report = yield
    mock = item.stash.get(_MOCK, None)
    if mock is not None and report.when == "call" and report.failed:
        try:
            text = describe(mock.requests())
        except Exception as error:  # the server is gone or refused: say so, never hide the test's own failure
            text = f"  (the journal could not be read: {error})"
        report.sections.append((f"balances-mock journal of {mock.client_id}", text))
    return report
