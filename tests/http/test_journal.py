"""The request journal through the test client: what is recorded and under whom, every filter,
verdicts as the API answers them, the retry check (time moved by the test, never slept), what
is redacted, the bound, clearing, and the journal switched off. Memory state: a request is in the
journal as soon as it is answered."""

from __future__ import annotations

import zlib
from typing import Any

import pytest

from mock_server import Client, Settings, create_app
from mock_server.app import JOURNAL_EXTENSION
from mock_server.settings import DEMO_CLIENTS

from ..support import BALANCES, DEMO, DEMO_READ, HISTORY, RESET, SECRET, TOKEN
from ..support.assertions import assert_conforms, assert_envelope
from ..support.mock import InProcessMock, grant
from ..support.tokens import signed

REQUESTS = "/__sandbox/requests"
OTHER = ("other", "other-secret")
START = 1_795_000_000.0
"""The journal clock's start: 2026-11-18T11:06:40Z."""


class Clock:
    """The journal's wall clock, moved by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def journal_mock(clock: Clock, **settings: Any) -> InProcessMock:
    clients = (*DEMO_CLIENTS, Client(*OTHER, frozenset({"read", "write"})))
    return InProcessMock(app=create_app(Settings(token_secret=SECRET, clients=clients, **settings),
                                        journal_clock=clock))


@pytest.fixture
def mock(clock: Clock) -> InProcessMock:
    return journal_mock(clock)


@pytest.fixture
def token(mock: InProcessMock) -> str:
    return mock.token()


def journal(mock: InProcessMock, token: str, **params: Any) -> dict[str, Any]:
    """The caller's journal page (validated against the sandbox spec)."""
    answer = mock.get(REQUESTS, token, params=params)
    assert answer.status_code == 200, answer.text
    assert_conforms(answer)
    return answer.json


def entries(mock: InProcessMock, token: str, **params: Any) -> list[dict[str, Any]]:
    return journal(mock, token, limit=1000, **params)["requests"]


def last(mock: InProcessMock, token: str) -> dict[str, Any]:
    return entries(mock, token)[-1]


def stored(mock: InProcessMock, client_id: str) -> bytes:
    """Everything the store keeps for a client, as bytes."""
    _, chunks = mock.app.extensions[JOURNAL_EXTENSION].store.read(client_id)
    return b"".join(zlib.decompress(chunk.entries) for chunk in chunks)


# -- what a request leaves in the journal ---------------------------------------------------

def test_a_valid_request_is_recorded_with_its_answer_and_verdict(mock, clock, token):
    clock.now = START + 0.123
    answer = mock.get(HISTORY, token, params={"currency": "ETH", "limit": 5}, headers={"Accept": "application/json"})
    page = journal(mock, token)
    entry = page["requests"][-1]
    assert page["latest"] == entry["seq"] == page["total"] == 2  # the token request, then this one
    assert entry["time"] == "2026-11-18T11:06:40.123Z"
    assert {key: entry[key] for key in ("client_id", "method", "path", "query", "body", "status")} == {
        "client_id": "demo", "method": "GET", "path": HISTORY, "query": "currency=ETH&limit=5", "body": None,
        "status": 200}
    assert entry["headers"]["authorization"] == "Bearer [REDACTED]"
    assert entry["headers"]["accept"] == "application/json"
    assert entry["response_headers"] == {"content-type": "application/json",
                                         "content-length": answer.headers["Content-Length"]}
    assert 0 <= entry["duration_ms"] < 1000
    assert entry["verdict"] == {"valid": True, "violations": [], "retry": None}


def test_the_token_request_is_recorded_under_its_client_without_its_secret(mock, token):
    entry = entries(mock, token)[0]
    assert (entry["method"], entry["path"], entry["status"], entry["verdict"]["valid"]) == ("POST", TOKEN, 200, True)
    assert entry["headers"]["authorization"] == "Basic [REDACTED]"
    assert entry["body"] == "grant_type=client_credentials"
    assert b"demo-secret" not in stored(mock, "demo") and token.encode() not in stored(mock, "demo")


def test_the_control_api_is_not_recorded(mock, token):
    mock.post(RESET, token)
    mock.get("/__sandbox/account", token)
    journal(mock, token)
    assert [entry["path"] for entry in entries(mock, token)] == [TOKEN]


def test_requests_no_client_can_be_named_for_are_not_recorded(mock, token):
    tokens = [token, mock.token(DEMO_READ), mock.token(OTHER)]
    foreign = signed(secret="another-secret-that-is-long-enough-for-hs256")
    assert mock.get(BALANCES).status_code == 401
    assert mock.get(BALANCES, foreign).status_code == 401
    assert mock.get("/nowhere/").status_code == 404
    assert mock.post_token(grant()).status_code == 401  # no client id anywhere
    for each in tokens:  # every client's journal holds its own token request only
        assert [e["path"] for e in entries(mock, each)] == [TOKEN]


def test_a_token_signed_here_names_its_client_even_expired(mock, token):
    expired = signed({"iat": 1, "nbf": 1, "exp": 2})
    error = assert_envelope(mock.get(BALANCES, expired), 401, "authentication_failed")
    entry = last(mock, token)
    assert (entry["client_id"], entry["status"]) == ("demo", 401)
    assert entry["verdict"]["violations"] == [error]
    assert error["details"] == {"reason": "The token has expired."}


def test_each_client_reads_its_own_requests_only(mock, token):
    """demo and demo-read are two clients of one account: each has a journal of its own."""
    read_token = mock.token(DEMO_READ)
    mock.get(HISTORY, token, params={"limit": 1})
    mock.get(HISTORY, read_token, params={"limit": 2})
    mock.get(HISTORY, read_token, params={"limit": 3})
    assert [e["query"] for e in entries(mock, token, path=HISTORY)] == ["limit=1"]
    assert [e["query"] for e in entries(mock, read_token, path=HISTORY)] == ["limit=2", "limit=3"]
    assert {e["client_id"] for e in entries(mock, read_token)} == {"demo-read"}
    assert [e["path"] for e in entries(mock, mock.token(OTHER))] == [TOKEN]


# -- filters, paging, polling ---------------------------------------------------------------

def test_every_filter_and_their_combination(mock, token):
    mock.get(HISTORY, token, params={"limit": 0})  # 400
    mock.get(BALANCES, token)  # 200
    mock.request("POST", BALANCES, token)  # 405
    mock.get(HISTORY, token)  # 200
    assert [e["status"] for e in entries(mock, token)] == [200, 400, 200, 405, 200]
    assert [e["query"] for e in entries(mock, token, path=HISTORY)] == ["limit=0", ""]
    assert [e["path"] for e in entries(mock, token, method="POST")] == [TOKEN, BALANCES]
    assert [e["path"] for e in entries(mock, token, status=200)] == [TOKEN, BALANCES, HISTORY]
    assert [e["status"] for e in entries(mock, token, valid="false")] == [400, 405]
    assert [e["status"] for e in entries(mock, token, valid="true")] == [200, 200, 200]
    assert [e["status"] for e in entries(mock, token, path=HISTORY, valid="true")] == [200]
    assert entries(mock, token, path="/user/balances") == []  # exact paths
    page = journal(mock, token, method="DELETE")
    assert (page["total"], page["latest"], page["requests"]) == (0, 5, [])  # latest whatever the filters


def test_limit_and_offset_page_the_matching_requests(mock, token):
    for n in range(1, 8):
        mock.get(HISTORY, token, params={"limit": n})
    page = journal(mock, token, path=HISTORY, limit=3, offset=2)
    assert (page["total"], page["limit"], page["offset"]) == (7, 3, 2)
    assert [e["query"] for e in page["requests"]] == ["limit=3", "limit=4", "limit=5"]
    assert journal(mock, token, offset=100)["requests"] == []
    assert journal(mock, token)["limit"] == 100  # the spec's default


def test_since_returns_only_what_came_after(mock, token):
    latest = journal(mock, token)["latest"]
    assert journal(mock, token, since=latest)["requests"] == []
    mock.get(BALANCES, token)
    mock.get(HISTORY, token)
    page = journal(mock, token, since=latest)
    assert [e["path"] for e in page["requests"]] == [BALANCES, HISTORY]
    assert [e["seq"] for e in page["requests"]] == [latest + 1, latest + 2] and page["latest"] == latest + 2
    assert journal(mock, token, since=page["latest"])["total"] == 0


def test_bad_filters_are_refused_as_any_bad_parameter(mock, token):
    for params, name in (({"limit": 0}, "limit"), ({"since": -1}, "since"), ({"method": "get"}, "method"),
                         ({"status": 99}, "status"), ({"valid": "maybe"}, "valid")):
        error = assert_envelope(mock.get(REQUESTS, token, params=params), 400, "invalid_request")
        assert list(error["details"]) == [name], params
    assert [e["path"] for e in entries(mock, token)] == [TOKEN]  # the control API's refusals are not recorded


# -- verdicts -------------------------------------------------------------------------------

def test_a_bad_parameter_is_the_same_violation_as_the_400_it_answered(mock, token):
    error = assert_envelope(mock.get(HISTORY, token, params={"limit": 500, "offset": -1}), 400, "invalid_request")
    assert last(mock, token)["verdict"] == {"valid": False, "violations": [error], "retry": None}
    assert set(error["details"]) == {"limit", "offset"}


def test_a_refusal_lists_every_broken_rule_not_just_the_first(mock, clock):
    read_token = mock.token(DEMO_READ)
    forbidden = assert_envelope(mock.get(BALANCES, read_token, params={"limit": "x"}), 403,
                                "insufficient_permissions")
    bad_query = assert_envelope(mock.get(HISTORY, read_token, params={"limit": "x"}), 400, "invalid_request")
    expired = signed({"sub": "demo-read", "scope": "read", "iat": 1, "nbf": 1, "exp": 2})
    unauthenticated = assert_envelope(mock.get(HISTORY, expired, params={"limit": "x"}), 401,
                                      "authentication_failed")
    balances, history, late = entries(mock, read_token)[1:]
    assert balances["verdict"]["violations"] == [forbidden]  # balances takes no parameter: limit is ignored
    assert history["verdict"]["violations"] == [bad_query]
    assert late["verdict"]["violations"] == [unauthenticated, bad_query]


def test_unknown_paths_and_wrong_methods_are_violations_as_answered(mock, token):
    """An unknown path and a method no view has are the request's fault; a missing slash (301),
    HEAD and OPTIONS are served as Django serves them, and break nothing."""
    missing = assert_envelope(mock.get("/user/balances/nope/", token), 404, "not_found")
    wrong = assert_envelope(mock.request("DELETE", HISTORY, token), 405, "method_not_allowed")
    assert mock.get("/user/balances", token).status_code == 301
    assert mock.request("HEAD", BALANCES, token).status_code == 200
    assert mock.request("OPTIONS", BALANCES, token).status_code == 200
    first, second, slashless, head, options = entries(mock, token)[1:]
    assert first["verdict"]["violations"] == [missing]
    assert second["verdict"]["violations"] == [wrong]
    assert [entry["verdict"]["violations"] for entry in (slashless, head, options)] == [[], [], []]


def test_a_fault_answers_but_the_request_is_still_judged(mock, token):
    forced = mock.get(HISTORY, token, params={"limit": 0}, headers={"Prefer": "code=429"})
    assert forced.status_code == 429
    valid = mock.get(HISTORY, token, headers={"Prefer": "code=503"})
    assert valid.status_code == 503
    not_understood = mock.get(BALANCES, token, headers={"Prefer": "return=minimal"})
    assert not_understood.status_code == 400
    invalid, valid, prefer = entries(mock, token)[1:]
    assert invalid["status"] == 429 and invalid["verdict"]["valid"] is False
    assert invalid["verdict"]["violations"] == [{
        "code": "invalid_request", "message": "Invalid query parameters: limit.",
        "details": {"limit": ["0 is less than the minimum of 1"]}}]
    assert (valid["status"], valid["verdict"]["violations"]) == (503, [])
    assert (prefer["status"], prefer["verdict"]["violations"]) == (400, [])  # the mock's header, not the API's


def test_a_fault_on_a_request_without_a_usable_token_judges_it_as_the_api_would(mock, token):
    expired = signed({"iat": 1, "nbf": 1, "exp": 2})
    assert mock.get("/user/balance", expired, headers={"Prefer": "code=401"}).status_code == 404  # no such route
    assert mock.get(BALANCES, expired, headers={"Prefer": "code=401"}).status_code == 401
    missing, unauthenticated = entries(mock, token)[1:]
    assert missing["verdict"]["violations"][0]["code"] == "not_found"
    assert [v["code"] for v in unauthenticated["verdict"]["violations"]] == ["authentication_failed"]


def test_a_wrong_secret_is_an_invalid_client_violation_and_the_secret_is_stored_nowhere(mock, token):
    wrong = "wrong-secret-7f3a"
    answer = mock.post_token({"grant_type": "client_credentials", "client_id": "demo", "client_secret": wrong})
    assert answer.status_code == 401
    by_basic = mock.post_token(grant(), auth=("demo", wrong))
    assert by_basic.status_code == 401
    form, basic = entries(mock, token)[-2:]
    for entry in (form, basic):
        assert entry["client_id"] == "demo"
        assert entry["verdict"]["violations"] == [{"code": "invalid_client",
                                                   "message": "Client authentication failed.", "details": {}}]
    assert form["body"] == "grant_type=client_credentials&client_id=demo&client_secret=[REDACTED]"
    assert basic["headers"]["authorization"] == "Basic [REDACTED]"
    assert wrong.encode() not in stored(mock, "demo")
    assert wrong not in mock.get(REQUESTS, token, params={"limit": 1000}).text


def test_a_token_request_a_fault_answered_is_judged_by_the_token_endpoints_rules(mock, token):
    answer = mock.post_token({"grant_type": "password", "client_id": "demo"}, headers={"Prefer": "code=401"})
    assert answer.status_code == 401
    entry = last(mock, token)
    assert entry["verdict"]["violations"][0]["code"] == "unsupported_grant_type"


def test_a_body_too_large_to_read_is_a_violation_and_not_recorded(mock, token):
    answer = mock.post_token(b"x" * 70_000, auth=DEMO, headers={"Content-Type": "application/x-www-form-urlencoded"})
    error = assert_envelope(answer, 413, "request_entity_too_large")
    entry = last(mock, token)
    assert (entry["body"], entry["verdict"]["violations"]) == (None, [error])


# -- the retry check ------------------------------------------------------------------------

def rate_limited(mock: InProcessMock, token: str, path: str = HISTORY) -> int:
    """A 429 with Retry-After; how many seconds it asks for."""
    answer = mock.get(path, token, headers={"Prefer": "code=429"})
    assert answer.status_code == 429
    return int(answer.headers["Retry-After"])


def test_a_retry_that_waited_too_little_and_one_that_waited_enough(mock, clock, token):
    wait = rate_limited(mock, token)
    clock.now += wait - 0.25
    mock.get(HISTORY, token, params={"limit": 5})
    hasty = last(mock, token)
    assert hasty["verdict"]["retry"] == {"after": hasty["seq"] - 1, "status": 429, "retry_after_s": wait,
                                         "waited_s": wait - 0.25, "ok": False}
    clock.now += 1
    mock.get(HISTORY, token)  # the second request after the 429: no retry of it
    assert last(mock, token)["verdict"]["retry"] is None

    rate_limited(mock, token)
    clock.now += wait
    mock.get(HISTORY, token)
    patient = last(mock, token)["verdict"]["retry"]
    assert (patient["waited_s"], patient["ok"]) == (wait, True)


def test_only_the_same_method_and_path_is_a_retry(mock, clock, token):
    rate_limited(mock, token, HISTORY)
    clock.now += 1
    mock.get(BALANCES, token)
    mock.request("POST", HISTORY, token)
    clock.now += 100
    mock.get(HISTORY, token)
    balances, post, history = entries(mock, token)[-3:]
    assert balances["verdict"]["retry"] is None and post["verdict"]["retry"] is None
    assert history["verdict"]["retry"]["waited_s"] == 101 and history["verdict"]["retry"]["ok"] is True


def test_the_retry_check_holds_whatever_the_filters(mock, clock, token):
    wait = rate_limited(mock, token)
    latest = journal(mock, token)["latest"]
    clock.now += 2
    mock.get(HISTORY, token, params={"limit": 0})
    retried = entries(mock, token, since=latest, valid="false")
    assert [e["verdict"]["retry"]["after"] for e in retried] == [latest]
    assert retried[0]["verdict"]["retry"]["ok"] is (wait <= 2)


# -- redaction ------------------------------------------------------------------------------

def test_credentials_and_secrets_are_redacted_wherever_they_are_sent(mock, token):
    mock.client.set_cookie("session", "abc")  # the test client sends cookies from its jar
    mock.request("POST", BALANCES, token, json={"amount": "1", "password": "hunter2",
                                                "nested": [{"api_token": "t0k3n", "keep": "me"}]},
                 headers={"Proxy-Authorization": "Basic cHJveHk6cGFzcw==", "X-Client-Secret": "s3cr3t"})
    mock.request("GET", TOKEN + "?client_secret=q-secret&scope=read", headers={"Authorization": "Basic "
                 + "ZGVtbzpkZW1vLXNlY3JldA=="})
    posted, query = entries(mock, token)[-2:]
    assert posted["headers"]["cookie"] == "[REDACTED]"
    assert posted["headers"]["proxy-authorization"] == "Basic [REDACTED]"
    assert posted["headers"]["x-client-secret"] == "[REDACTED]"
    assert posted["body"] == ('{"amount":"1","nested":[{"api_token":"[REDACTED]","keep":"me"}],'  # as sent
                              '"password":"[REDACTED]"}')  # (the test client sorts the keys)
    assert query["query"] == "client_secret=[REDACTED]&scope=read"
    everything = stored(mock, "demo")
    for secret in (b"hunter2", b"t0k3n", b"session=abc", b"cHJveHk6cGFzcw", b"s3cr3t", b"q-secret",
                   b"ZGVtbzpkZW1vLXNlY3JldA"):
        assert secret not in everything, secret


def test_a_json_body_without_secrets_is_kept_as_sent(mock, token):
    mock.request("PUT", HISTORY, token, data=b'{ "a": 1,\n  "b": [true] }',
                 headers={"Content-Type": "application/json"})
    assert last(mock, token)["body"] == '{ "a": 1,\n  "b": [true] }'


# -- bound, clearing, reset, off ------------------------------------------------------------

def test_the_journal_keeps_the_last_requests_of_all_clients_together(clock):
    mock = journal_mock(clock, journal_size=5)
    token, other = mock.token(), mock.token(OTHER)  # 1 and 2
    for n in range(1, 5):  # 3 to 6
        mock.get(HISTORY, token, params={"limit": n})
    mock.get(HISTORY, other)  # 7: 1 and 2 are forgotten
    page = journal(mock, token)
    assert [e["seq"] for e in page["requests"]] == [3, 4, 5, 6] and page["latest"] == 6
    assert [e["seq"] for e in entries(mock, other)] == [7]


def test_clearing_forgets_the_callers_requests_only(mock, token):
    other = mock.token(OTHER)
    mock.get(BALANCES, token)
    mock.get(BALANCES, other)
    latest = journal(mock, token)["latest"]
    cleared = mock.request("DELETE", REQUESTS, token)
    assert cleared.status_code == 200 and cleared.json == {"cleared": 2}
    assert_conforms(cleared)
    assert journal(mock, token) == {"total": 0, "limit": 100, "offset": 0, "latest": 0, "requests": []}
    assert len(entries(mock, other)) == 2
    mock.get(BALANCES, token)
    assert [e["seq"] for e in entries(mock, token)] == [latest + 2]  # numbers go on (`since` stays right);
    # latest + 1 went to the other client
    assert mock.request("DELETE", REQUESTS, token).json == {"cleared": 1}


def test_clearing_needs_the_write_scope(mock, token):
    read_token = mock.token(DEMO_READ)
    assert_envelope(mock.request("DELETE", REQUESTS, read_token), 403, "insufficient_permissions")
    assert journal(mock, read_token)["total"] == 1


def test_a_reset_keeps_the_journal(mock, token):
    mock.get(BALANCES, token)
    before = journal(mock, token)
    assert mock.post(RESET, token).status_code == 200
    assert journal(mock, token) == before


def test_with_the_journal_off_its_paths_say_so_and_nothing_is_recorded(clock):
    mock = journal_mock(clock, journal=False)
    token = mock.token()
    assert mock.get(BALANCES, token).status_code == 200
    for method in ("GET", "DELETE"):
        answer = mock.request(method, REQUESTS, token)
        error = assert_envelope(answer, 404, "not_found")
        assert "--no-journal" in error["message"] and error["details"] == {"path": REQUESTS}
        assert_conforms(answer)
    assert mock.app.extensions[JOURNAL_EXTENSION] is None
    assert_envelope(mock.get(REQUESTS), 401, "authentication_failed")  # still the control API's rules first


# -- with the sandbox's other testing tools -------------------------------------------------

def test_an_armed_fault_answers_and_the_request_is_still_judged_and_its_wait_checked(mock, clock, token):
    fault = mock.post("/__sandbox/faults", token, json={"path": HISTORY, "status": 429, "times": 2, "retry_after": 3})
    assert fault.status_code == 201, fault.text
    assert mock.get(HISTORY, token, params={"limit": 0}).status_code == 429
    clock.now += 1
    assert mock.get(HISTORY, token).status_code == 429
    clock.now += 3
    assert mock.get(HISTORY, token).status_code == 200
    invalid, hasty, patient = entries(mock, token)[-3:]
    assert (invalid["status"], [v["code"] for v in invalid["verdict"]["violations"]]) == (429, ["invalid_request"])
    assert invalid["response_headers"]["retry-after"] == "3"
    assert hasty["verdict"] == {"valid": True, "violations": [], "retry": {
        "after": invalid["seq"], "status": 429, "retry_after_s": 3, "waited_s": 1.0, "ok": False}}
    assert patient["verdict"]["retry"] == {"after": hasty["seq"], "status": 429, "retry_after_s": 3,
                                           "waited_s": 3.0, "ok": True}


def test_a_created_client_has_a_journal_of_its_own(mock, token):
    created = mock.post("/__sandbox/clients", token, json={})
    assert created.status_code == 201, created.text
    credentials = (created.json["client_id"], created.json["client_secret"])
    own = mock.token(credentials)
    assert mock.get(BALANCES, own).status_code == 200
    seen = entries(mock, own)
    assert [(e["client_id"], e["path"]) for e in seen] == [(credentials[0], TOKEN), (credentials[0], BALANCES)]
    assert credentials[1].encode() not in stored(mock, credentials[0])
    assert all(e["client_id"] == "demo" for e in entries(mock, token))
