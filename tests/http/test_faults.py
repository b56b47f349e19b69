"""Faults on purpose: Prefer per request, chaos server-wide, replayable from the seed."""

from __future__ import annotations

import time

import jwt
import pytest
import requests
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from mock_server.errors import ApiError
from mock_server.faults import MAX_DELAY_MS, Preference, parse_latency, parse_prefer

from .conftest import SECRET, start_server

HISTORY = "/user/balances/history/"


def prefer(server, value, token=None, path=HISTORY):
    return server.get(path, token, headers={"Prefer": value})


@pytest.mark.parametrize(("code", "header"), [(429, "Retry-After"), (503, None), (500, None), (400, None),
                                               (403, None), (405, "Allow")])
def test_prefer_code_answers_the_documented_response(server, token, openapi_for, code, header):
    response = prefer(server, f"code={code}", token)
    assert response.status_code == code
    assert response.headers["Content-Type"] == "application/json"
    assert set(response.json()["error"]) == {"code", "message", "details"}
    if header:
        assert response.headers[header]
    openapi_for(server.url).validate_response(RequestsOpenAPIRequest(response.request),
                                              RequestsOpenAPIResponse(response))


def test_prefer_429_carries_retry_after_in_seconds(server, token):
    response = prefer(server, "code=429", token)
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    assert int(response.headers["Retry-After"]) >= 0


def test_prefer_401_needs_no_token_and_challenges(server):
    response = prefer(server, "code=401")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


def test_prefer_code_200_is_the_real_answer(server, token):
    assert prefer(server, "code=200", token).content == server.get(HISTORY, token).content


def test_prefer_on_the_token_endpoint_uses_its_own_error_format(server):
    response = requests.post(f"{server.url}/o/token/", headers={"Prefer": "code=401"}, timeout=10)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(("value", "fragment"), [
    ("code=418", "not a documented response"),
    ("code=201", "not a documented response"),
    ("return=minimal", "'return' is not supported"),
    ("example=foo", "'example' is not supported"),
    ("delay=soon", "delay needs a whole number"),
    ("code=-1", "code needs a whole number"),
])
def test_prefer_values_not_understood_are_400(server, token, value, fragment):
    response = prefer(server, value, token)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and fragment in error["message"]


def test_prefer_delay_waits_first(server, token):
    started = time.monotonic()
    response = prefer(server, "delay=300, code=200", token)
    assert response.status_code == 200 and time.monotonic() - started >= 0.3


def test_prefer_parsing():
    assert parse_prefer(["code=429; foo=bar", 'delay="20"']) == Preference(429, 20)
    assert parse_prefer([f"delay={MAX_DELAY_MS * 10}"]).delay_ms == MAX_DELAY_MS
    assert parse_prefer([]) == Preference()
    with pytest.raises(ApiError):
        parse_prefer(["respond-async"])


def test_latency_parsing():
    assert parse_latency("10:20") == (10, 20) and parse_latency("5") == (5, 5)
    for bad in ("20:10", "a:b", "-1:5", f"0:{MAX_DELAY_MS + 1}"):
        with pytest.raises(ValueError):
            parse_latency(bad)


def signed_token() -> str:
    """A token signed with the test servers' secret, so no token request joins the sequence."""
    now = int(time.time())
    return jwt.encode({"iss": "balances-mock", "sub": "demo", "scope": "read write", "iat": now, "nbf": now,
                       "exp": now + 600}, SECRET, algorithm="HS256")


def responses(mock, count=40) -> list[requests.Response]:
    token = signed_token()
    return [mock.get(f"{HISTORY}?limit={1 + i % 5}", token) for i in range(count)]


def statuses(mock) -> list[int]:
    return [response.status_code for response in responses(mock)]


def test_error_rate_answers_500_and_503_in_the_envelope_and_replays_from_the_seed():
    first = start_server("--error-rate", "0.5", "--seed", "7", "--workers", "1")
    try:
        answers = responses(first)
    finally:
        first.stop()
    seen = [answer.status_code for answer in answers]
    assert {500, 503} <= set(seen) and 200 in seen
    for answer in answers:
        if answer.status_code >= 500:
            assert answer.headers["Content-Type"] == "application/json"
            assert answer.json()["error"]["code"] in {"server_error", "service_unavailable"}
    again = start_server("--error-rate", "0.5", "--seed", "7", "--workers", "1")
    try:
        assert statuses(again) == seen
    finally:
        again.stop()
    other = start_server("--error-rate", "0.5", "--seed", "8", "--workers", "1")
    try:
        assert statuses(other) != seen
    finally:
        other.stop()


def test_latency_delays_every_request():
    mock = start_server("--latency", "60:80")
    try:
        token = mock.token()
        for _ in range(3):
            started = time.monotonic()
            assert mock.get(HISTORY, token).status_code == 200
            assert time.monotonic() - started >= 0.06
    finally:
        mock.stop()


def test_fault_rate_cuts_responses_like_a_network_does():
    mock = start_server("--fault-rate", "1", "--seed", "2")
    try:
        failures = []
        for i in range(12):
            try:
                response = requests.get(f"{mock.url}{HISTORY}?limit={i + 1}", timeout=10)
                failures.append(("complete", len(response.content)))
            except requests.exceptions.RequestException as error:
                failures.append((type(error).__name__, 0))
        assert all(kind != "complete" for kind, _ in failures), failures
        assert mock.process.poll() is None  # the server survives its own faults
    finally:
        mock.stop()
