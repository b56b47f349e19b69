"""Faults armed through the control API (``/__sandbox/faults``), through the test client: the
caller's next requests to a path fail exactly as ``Prefer: code=...`` would make them fail,
as many times as armed, first armed first, then the real answer comes back; only the client
that armed a fault meets it, reset disarms it, and the rate limit never counts it."""

from __future__ import annotations

import time

import pytest

from mock_server import Client, Settings
from mock_server.settings import DEMO_CLIENTS

from ..support import BALANCES, DEMO, DEMO_READ, HISTORY, RESET, SECRET, TOKEN
from ..support.assertions import assert_conforms, assert_envelope, assert_token_error
from ..support.mock import InProcessMock, grant
from ..support.tokens import signed

FAULTS = "/__sandbox/faults"
DEMO_CI = ("demo-ci", "ci-secret")
"""A second read-and-write credential of the demo account."""


@pytest.fixture(scope="module")
def sandbox() -> InProcessMock:
    clients = (*DEMO_CLIENTS, Client(*DEMO_CI, frozenset({"read", "write"}), account="demo"))
    return InProcessMock(Settings(token_secret=SECRET, clients=clients))


@pytest.fixture(scope="module")
def token(sandbox: InProcessMock) -> str:
    return sandbox.token()


@pytest.fixture(scope="module")
def ci_token(sandbox: InProcessMock) -> str:
    return sandbox.token(DEMO_CI)


@pytest.fixture(autouse=True)
def disarmed(sandbox: InProcessMock, token: str, ci_token: str) -> None:
    for caller in (token, ci_token):
        assert sandbox.request("DELETE", FAULTS, caller).status_code == 200


def arm(sandbox: InProcessMock, token: str, **fault) -> dict:
    response = sandbox.post(FAULTS, token, json=fault)
    assert response.status_code == 201, response.text
    assert_conforms(response)
    return response.json


def armed(sandbox: InProcessMock, token: str) -> list[dict]:
    response = sandbox.get(FAULTS, token)
    assert response.status_code == 200, response.text
    assert_conforms(response)
    return response.json["faults"]


def statuses(sandbox: InProcessMock, token: str | None, *paths: str) -> list[int]:
    return [sandbox.get(path, token).status_code for path in paths]



def test_a_read_asks_the_store_once_for_its_account_version_and_its_faults():
    """The armed-fault check and the account's version are one store call (``look``); a fault
    armed is then taken, and the read after it is answered from the account as it is."""
    from mock_server.state.memory import MemoryStore

    calls: list[str] = []

    class Counting(MemoryStore):
        def look(self, account: str, client: str) -> tuple[int, bool]:
            calls.append("look")
            return MemoryStore.version(self, account), self.faults.any_armed(client)

        def version(self, account: str) -> int:
            calls.append("version")
            return super().version(account)

    from mock_server import create_app

    mock = InProcessMock(app=create_app(Settings(token_secret=SECRET), store=Counting()))
    token = mock.token()
    calls.clear()
    assert mock.get(BALANCES, token).status_code == 200
    assert calls == ["look"]
    arm(mock, token, path=BALANCES, status=503)
    assert mock.post("/__sandbox/transactions", token, json={"type": "deposit", "currency": "ETH",
                                                             "amount": "1"}).status_code == 201
    calls.clear()
    assert_envelope(mock.get(BALANCES, token), 503, "service_unavailable")
    assert calls == ["look"]
    answered = mock.get(BALANCES, token)
    assert answered.status_code == 200 and "ETH" in answered.json["account"], answered.json
    assert calls == ["look", "look"]

def test_a_fault_fails_the_next_requests_as_prefer_would_then_the_real_answer_returns(sandbox, token):
    real, preferred = sandbox.get(HISTORY, token), sandbox.get(HISTORY, token, headers={"Prefer": "code=429"})
    fault = arm(sandbox, token, path=HISTORY, status=429, times=2)
    assert fault == {"id": fault["id"], "path": HISTORY, "method": None, "status": 429, "times_left": 2,
                     "delay_ms": 0, "retry_after": None}
    assert sandbox.get(HISTORY, token, headers={"Prefer": "code=503"}).status_code == 503  # Prefer answers first
    assert armed(sandbox, token) == [fault]
    first = sandbox.get(HISTORY, token)
    assert armed(sandbox, token) == [{**fault, "times_left": 1}]
    second = sandbox.get(HISTORY, token)
    for failed in (first, second):
        assert (failed.status_code, failed.data, dict(failed.headers)) == (
            429, preferred.data, dict(preferred.headers))
        assert failed.headers["Retry-After"] == "42"  # the spec's example
        assert_envelope(failed, 429, "rate_limit_exceeded")
        assert_conforms(failed)
    assert armed(sandbox, token) == []
    assert sandbox.get(HISTORY, token).data == real.data


def test_times_defaults_to_one_and_delay_ms_waits_first(sandbox, token):
    fault = arm(sandbox, token, path=BALANCES, status=503, delay_ms=80)
    assert (fault["times_left"], fault["delay_ms"]) == (1, 80)
    started = time.monotonic()
    failed = sandbox.get(BALANCES, token)
    assert time.monotonic() - started >= 0.08
    assert_envelope(failed, 503, "service_unavailable")
    assert failed.headers["Retry-After"] == "30"
    assert sandbox.get(BALANCES, token).status_code == 200


def test_retry_after_replaces_the_documented_wait_in_the_header_and_the_body(sandbox, token):
    documented = sandbox.get(HISTORY, token, headers={"Prefer": "code=429"}).json["error"]
    fault = arm(sandbox, token, path=HISTORY, status=429, retry_after=1)
    assert fault["retry_after"] == 1
    quick = sandbox.get(HISTORY, token)
    assert quick.headers["Retry-After"] == "1"
    assert quick.json["error"] == {**documented, "details": {**documented["details"], "retry_after": 1}}
    assert_conforms(quick)
    arm(sandbox, token, path=TOKEN, status=503, retry_after=0)
    outage = sandbox.post_token(grant(), DEMO)
    assert outage.headers["Retry-After"] == "0"
    assert outage.json["error"]["details"] == {}  # the 503's example has no retry_after to agree with


def test_faults_fire_in_the_order_they_were_armed(sandbox, token):
    faults = [arm(sandbox, token, path=HISTORY, status=503), arm(sandbox, token, path=BALANCES, status=500),
              arm(sandbox, token, path=HISTORY, status=429, times=2)]
    assert [fault["id"] for fault in faults] == sorted(fault["id"] for fault in faults)
    assert armed(sandbox, token) == faults
    assert statuses(sandbox, token, HISTORY, HISTORY) == [503, 429]
    assert armed(sandbox, token) == [faults[1], {**faults[2], "times_left": 1}]
    assert statuses(sandbox, token, BALANCES, HISTORY, HISTORY, BALANCES) == [500, 429, 200, 200]


def test_a_fault_with_a_method_waits_for_that_method(sandbox, token):
    fault = arm(sandbox, token, path=HISTORY, method="GET", status=500)
    wrong = sandbox.post(HISTORY, token, json={})
    assert_envelope(wrong, 405, "method_not_allowed")  # routing answers first: the fault waits
    assert armed(sandbox, token) == [fault]
    assert_envelope(sandbox.get(HISTORY, token), 500, "server_error")
    arm(sandbox, token, path=BALANCES, method="GET", status=405)
    allowed = sandbox.get(BALANCES, token)
    assert allowed.status_code == 405 and allowed.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_a_fault_on_the_token_endpoint_fails_the_client_it_names(sandbox, token):
    arm(sandbox, token, path=TOKEN, status=503, times=3)
    basic = sandbox.post_token(grant(), DEMO)
    claimed = sandbox.post_token(grant(), ("demo", "not-the-secret"))  # claimed, not authenticated
    form = sandbox.post_token({**grant(), "client_id": "demo", "client_secret": "demo-secret"})
    for failed in (basic, claimed, form):
        assert_envelope(failed, 503, "service_unavailable")
        assert failed.headers["Retry-After"] == "30"
    assert sandbox.post_token(grant(), DEMO_READ).status_code == 200  # another client
    nobody = assert_token_error(sandbox.post_token(grant()), 401, "invalid_client")
    assert nobody.startswith("Client credentials are missing")
    assert sandbox.post_token(grant(), DEMO).status_code == 200


def test_a_request_that_names_no_client_never_meets_a_fault(sandbox, token):
    fault = arm(sandbox, token, path=HISTORY, status=401)
    for anonymous in (None, signed({"exp": 1}), "not-a-token"):
        error = assert_envelope(sandbox.get(HISTORY, anonymous), 401, "authentication_failed")
        assert error["details"]["reason"] != "Invalid or missing authentication token"
    assert armed(sandbox, token) == [fault]
    failed = sandbox.get(HISTORY, token)
    assert failed.data == sandbox.get(HISTORY, None, headers={"Prefer": "code=401"}).data


def test_a_fault_is_met_only_by_the_client_that_armed_it(sandbox, token, ci_token):
    arm(sandbox, token, path=HISTORY, status=500, times=5)
    read_only = sandbox.token(DEMO_READ)  # demo-read and demo-ci see the demo account
    assert statuses(sandbox, read_only, HISTORY, HISTORY) == [200, 200]
    assert statuses(sandbox, ci_token, HISTORY) == [200]
    assert armed(sandbox, read_only) == [] and armed(sandbox, ci_token) == []
    created = sandbox.post("/__sandbox/clients", token, json={}).json
    own = sandbox.token((created["client_id"], created["client_secret"]))
    arm(sandbox, own, path=HISTORY, status=503)
    assert statuses(sandbox, own, HISTORY, HISTORY) == [503, 200]
    assert statuses(sandbox, token, HISTORY) == [500]
    assert len(armed(sandbox, token)) == 1 and armed(sandbox, token)[0]["times_left"] == 4


def test_reset_disarms_the_faults_of_the_client_that_resets(sandbox, token, ci_token):
    arm(sandbox, token, path=HISTORY, status=500)
    arm(sandbox, token, path=BALANCES, status=503)
    kept = arm(sandbox, ci_token, path=HISTORY, status=429)
    assert sandbox.post(RESET, token).status_code == 200
    assert armed(sandbox, token) == []
    assert armed(sandbox, ci_token) == [kept]  # faults belong to a client, bookings to an account
    assert statuses(sandbox, token, HISTORY, BALANCES) == [200, 200]
    assert statuses(sandbox, ci_token, HISTORY) == [429]


def test_delete_disarms_every_fault_of_the_caller_and_counts_them(sandbox, token, ci_token):
    for status in (500, 503, 429):
        arm(sandbox, token, path=HISTORY, status=status, times=2)
    kept = arm(sandbox, ci_token, path=HISTORY, status=500)
    disarmed = sandbox.request("DELETE", FAULTS, token)
    assert disarmed.status_code == 200 and disarmed.json == {"disarmed": 3}
    assert_conforms(disarmed)
    assert sandbox.request("DELETE", FAULTS, token).json == {"disarmed": 0}
    assert armed(sandbox, token) == [] and armed(sandbox, ci_token) == [kept]
    assert statuses(sandbox, token, HISTORY) == [200]


def test_ids_increase_whoever_arms(sandbox, token, ci_token):
    ids = [arm(sandbox, caller, path=HISTORY, status=500)["id"] for caller in (token, ci_token, token)]
    assert ids == sorted(set(ids))


PATHS = "['/o/token/', '/user/balances/', '/user/balances/history/']"


@pytest.mark.parametrize(("fault", "field", "reason"), [
    ({"path": "/user/balances", "status": 429}, "path", f"'/user/balances' is not one of {PATHS}"),
    ({"path": "/__sandbox/clock", "status": 500}, "path", f"'/__sandbox/clock' is not one of {PATHS}"),
    ({"path": BALANCES, "status": 400}, "status",
     "400 is not one of the failures GET /user/balances/ documents: 401, 403, 405, 429, 500, 503"),
    ({"path": TOKEN, "status": 403}, "status",
     "403 is not one of the failures POST /o/token/ documents: 400, 401, 405, 429, 500, 503"),
    ({"path": HISTORY, "method": "GET", "status": 418}, "status",
     "418 is not one of the failures GET /user/balances/history/ documents: 400, 401, 403, 405, 429, 500, 503"),
    ({"path": HISTORY, "method": "POST", "status": 429}, "method",
     "'POST' is not one of the methods of /user/balances/history/: GET"),
    ({"path": HISTORY, "status": 200}, "status", None),
    ({"path": HISTORY, "status": 429, "times": 0}, "times", None),
    ({"path": HISTORY, "status": 429, "delay_ms": 10_001}, "delay_ms", None),
    ({"path": HISTORY}, "status", None),
    ({"path": HISTORY, "status": 429, "method": "get"}, "method", None),
    ({"path": BALANCES, "status": 500, "retry_after": 1}, "status",
     "500 is not one of the statuses retry_after applies to, those documented with a Retry-After header: 429, 503"),
    ({"path": HISTORY, "status": 429, "retry_after": 86_401}, "retry_after", None),
    ({"path": HISTORY, "status": 429, "client": "demo-read"}, "client", None),
])
def test_a_fault_the_api_cannot_answer_is_a_400_naming_the_field(sandbox, token, fault, field, reason):
    error = assert_envelope(sandbox.post(FAULTS, token, json=fault), 400, "invalid_request")
    assert list(error["details"]) == [field], error
    if reason is not None:
        assert error["details"][field] == [reason]
    assert armed(sandbox, token) == []


def test_arming_needs_write_and_listing_read(sandbox, token):
    read_only = sandbox.token(DEMO_READ)
    assert_envelope(sandbox.post(FAULTS, read_only, json={"path": HISTORY, "status": 500}), 403,
                    "insufficient_permissions")
    assert_envelope(sandbox.request("DELETE", FAULTS, read_only), 403, "insufficient_permissions")
    assert armed(sandbox, read_only) == []
    assert_envelope(sandbox.get(FAULTS, None), 401, "authentication_failed")
    assert sandbox.request("PUT", FAULTS, token).headers["Allow"] == "GET, POST, DELETE"


def test_an_answer_from_a_fault_is_not_counted_by_the_rate_limit():
    limited = InProcessMock(Settings(token_secret=SECRET, rate_limit="3/minute"))
    token = limited.token()  # the first of three
    arm(limited, token, path=HISTORY, status=429, times=2)
    for _ in range(2):
        assert assert_envelope(limited.get(HISTORY, token), 429, "rate_limit_exceeded")["details"]["limit"] == \
               "100 per 1 minute"  # the spec's example, not the server's limit
    assert statuses(limited, token, HISTORY, HISTORY) == [200, 200]
    limit = assert_envelope(limited.get(HISTORY, token), 429, "rate_limit_exceeded")["details"]["limit"]
    assert limit == "3 per 1 minute"
