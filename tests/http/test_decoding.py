"""Hostile bytes on every path (the API, the token endpoint, the control API, the console): each
is answered with a 4xx in the path's own format, never a 5xx or a traceback, and a refused
request books, arms and creates nothing. The class is closed at one door,
``mock_server/twin/decoding.py``; these requests are what a fuzzer or a careless client sends."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from werkzeug.test import Client

from mock_server.journal.journal import Journal
from mock_server.proxy.forwarder import Proxy, ProxyOptions
from mock_server.proxy.judge import ProxyJudge
from mock_server.spec import load_spec
from mock_server.state import open_journal, open_store

from ..support import ACCOUNT, BALANCES, DEMO, HISTORY, TOKEN, TRANSACTIONS
from ..support.mock import InProcessMock

BASIC = "Basic " + base64.b64encode(b"%s:%s" % (DEMO[0].encode(), DEMO[1].encode())).decode()
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

HOSTILE_JSON = {
    "not UTF-8": b'{"type": "deposit", "currency": "ETH", "amount": "\xff"}',
    "overlong UTF-8": b'{"type": "deposit", "currency": "\xc0\xaf", "amount": "1"}',
    "lone surrogate": b'{"type": "deposit", "currency": "\\udcff", "amount": "1"}',
    "NUL": b'{"type": "deposit", "currency": "ETH\\u0000", "amount": "1"}',
    "nested 100,000 deep": b"[" * 100_000,  # over the 64 KB a control body may have: 413
    "nested 10,000 deep": b"[" * 10_000,
    "10,000 digits": b'{"type": "deposit", "currency": "ETH", "amount": ' + b"9" * 10_000 + b"}",
    "duplicate keys": b'{"type": "deposit", "currency": "ETH", "amount": "1", "amount": "1000"}',
    "a form that says it is JSON": b"type=deposit&currency=ETH&amount=1",
}
CONTROL_POSTS = ["/__sandbox/transactions", "/__sandbox/clock", "/__sandbox/clients", "/__sandbox/faults"]

HOSTILE_QUERIES = {
    "not UTF-8": b"currency=%ff",
    "overlong UTF-8": b"currency=%c0%af",
    "raw bytes": b"currency=\xff",
    "NUL": b"currency=ETH%00",
    "10,000 parameters": b"&".join(b"p%d=1" % n for n in range(10_000)),
}


@pytest.fixture
def fresh() -> InProcessMock:
    """A mock of its own: what a refused request might have changed is checked afterwards."""
    return InProcessMock()


def snapshot(mock: InProcessMock, token: str) -> tuple[Any, ...]:
    """What a refused request must leave as it was: balances, history, the account's clock and
    bookings, and the next answer (no fault armed)."""
    headers = {"Authorization": f"Bearer {token}"}
    return tuple(mock.client.get(path, headers=headers).get_data() for path in (BALANCES, HISTORY, ACCOUNT))


def assert_refused_in_the_envelope(response: Any) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data()[:300])
    assert response.headers["Content-Type"] == JSON
    error = json.loads(response.get_data())["error"]
    assert error["code"] and error["message"] and isinstance(error["details"], dict), error
    return error


@pytest.mark.parametrize("path", CONTROL_POSTS)
@pytest.mark.parametrize("case", list(HOSTILE_JSON))
def test_a_hostile_json_body_is_a_400_and_changes_nothing(fresh, path, case):
    token = fresh.token()
    before = snapshot(fresh, token)
    response = fresh.client.post(path, data=HOSTILE_JSON[case], headers={
        "Authorization": f"Bearer {token}", "Content-Type": JSON})
    error = assert_refused_in_the_envelope(response)
    expected = (413, "request_entity_too_large") if len(HOSTILE_JSON[case]) > 64 * 1024 else (400, "invalid_request")
    assert (response.status_code, error["code"]) == expected, error
    assert snapshot(fresh, token) == before


@pytest.mark.parametrize("case", list(HOSTILE_QUERIES))
@pytest.mark.parametrize("path", [HISTORY, BALANCES])
def test_a_hostile_query_is_a_400_in_the_envelope(mock, token, path, case):
    response = mock.client.get(path, environ_overrides={"QUERY_STRING": HOSTILE_QUERIES[case].decode("latin-1")},
                               headers={"Authorization": f"Bearer {token}"})
    error = assert_refused_in_the_envelope(response)
    assert response.status_code == 400 and error["code"] == "invalid_request", error


@pytest.mark.parametrize("value", [b"Bearer \xff\xfe", b"Bearer \x00", b"\xc0\xaf", b"Basic \xff"])
def test_a_credential_of_hostile_bytes_is_a_401(mock, value):
    response = mock.client.get(BALANCES, headers={"Authorization": value.decode("latin-1")})
    assert_refused_in_the_envelope(response)
    assert response.status_code == 401


def test_a_prefer_header_of_hostile_bytes_is_a_400(mock, token):
    response = mock.client.get(BALANCES, headers={"Authorization": f"Bearer {token}",
                                                  "Prefer": b"code=\xff".decode("latin-1")})
    assert assert_refused_in_the_envelope(response)["code"] == "invalid_request"


@pytest.mark.parametrize("path", ["/user/balances/%ff/", "/user/%c0%af/", "/__console/%00", "/__sandbox/%ff",
                                  "/" + "a" * 100_000])
def test_a_hostile_path_is_a_404_in_the_envelope(mock, token, path):
    response = mock.client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert assert_refused_in_the_envelope(response)["code"] == "not_found"


@pytest.mark.parametrize(("body", "error"), [
    (b"grant_type=client_credentials%00", "invalid_request"),
    (b"grant_type=client_credentials&" + b"&".join(b"p%d=1" % n for n in range(1_000)), "invalid_request"),
    (b"grant_type=\xff", "unsupported_grant_type"),
    (b"grant_type=%ff%fe", "unsupported_grant_type"),
])
def test_a_hostile_token_form_is_an_rfc6749_error(mock, body, error):
    response = mock.client.post(TOKEN, data=body, headers={"Authorization": BASIC, "Content-Type": FORM})
    assert response.status_code == 400, response.get_data()
    assert response.headers["Content-Type"] == JSON
    assert json.loads(response.get_data())["error"] == error


def test_stray_bytes_in_a_token_form_are_read_as_django_reads_them(mock):
    """django-oauth-toolkit hands oauthlib ``request.POST``, which Django reads leniently, so an
    unknown parameter of stray bytes does not stop the grant (as on the real API)."""
    response = mock.client.post(TOKEN, data=b"grant_type=client_credentials&x=\xff&y=%ff",
                                headers={"Authorization": BASIC, "Content-Type": FORM})
    assert response.status_code == 200, response.get_data()
    assert json.loads(response.get_data())["token_type"] == "Bearer"


def test_a_body_over_the_limit_is_a_413_before_it_is_read(fresh):
    token = fresh.token()
    before = snapshot(fresh, token)
    response = fresh.client.post(TRANSACTIONS, data=b"x" * 10_000_000, headers={
        "Authorization": f"Bearer {token}", "Content-Type": JSON})
    assert assert_refused_in_the_envelope(response) and response.status_code == 413
    assert snapshot(fresh, token) == before


@pytest.mark.parametrize("query", ["limit=%ff", "limit=1%00", "client=%c0%af",
                                   "&".join(f"p{n}=1" for n in range(1_001))])
def test_the_proxys_own_path_refuses_hostile_queries_in_the_envelope(query):
    journal = Journal(open_journal(open_store("memory://"), 100), None, batched=False)
    proxy = Proxy(ProxyOptions("http://127.0.0.1:9", timeout=1), ProxyJudge(load_spec()), journal,
                  report=lambda line: None)
    response = Client(proxy).get("/__proxy/requests", environ_overrides={"QUERY_STRING": query})
    assert assert_refused_in_the_envelope(response)["code"] == "invalid_request"
    assert response.status_code == 400
