"""Faults on purpose: Prefer per request, chaos server-wide, replayable from the seed."""

from __future__ import annotations

import time

import pytest

from mock_server import Settings
from mock_server.settings import Chaos

from ..support import HISTORY, SECRET, TOKEN
from ..support.assertions import assert_conforms
from ..support.mock import InProcessMock
from ..support.tokens import signed


def prefer(mock, value, token=None, path=HISTORY):
    return mock.get(path, token, headers={"Prefer": value})


@pytest.mark.parametrize(("code", "header"), [(429, "Retry-After"), (503, None), (500, None), (400, None),
                                               (403, None), (405, "Allow")])
def test_prefer_code_answers_the_documented_response(mock, token, code, header):
    response = prefer(mock, f"code={code}", token)
    assert response.status_code == code
    assert response.headers["Content-Type"] == "application/json"
    assert set(response.json["error"]) == {"code", "message", "details"}
    if header:
        assert response.headers[header]
    assert_conforms(response)


def test_prefer_429_carries_retry_after_in_seconds(mock, token):
    response = prefer(mock, "code=429", token)
    assert response.json["error"]["code"] == "rate_limit_exceeded"
    assert int(response.headers["Retry-After"]) >= 0


def test_prefer_401_needs_no_token_and_challenges(mock):
    response = prefer(mock, "code=401")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


def test_prefer_code_200_is_the_real_answer(mock, token):
    assert prefer(mock, "code=200", token).data == mock.get(HISTORY, token).data


def test_prefer_on_the_token_endpoint_uses_its_own_error_format(mock):
    response = mock.post_token(headers={"Prefer": "code=401"})
    assert response.status_code == 401 and response.json["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(("path", "value"), [(TOKEN, "return=minimal"), (TOKEN, "code=418"),
                                             ("/o/token", "return=minimal")])
def test_a_prefer_not_understood_on_the_token_endpoint_is_an_rfc6749_error(mock, path, value):
    """An OAuth client reads RFC 6749's body on the token endpoint (as the contract suite reads
    its path: with or without the slash), whichever step refused (found by fuzzing: this was
    the API's envelope)."""
    response = mock.client.post(path, data={"grant_type": "client_credentials"}, headers={"Prefer": value})
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request" and "Prefer" in response.json["error_description"]
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("value", "fragment"), [
    ("code=418", "not a documented response"),
    ("code=201", "not a documented response"),
    ("return=minimal", "'return' is not supported"),
    ("example=foo", "'example' is not supported"),
    ("delay=soon", "delay needs a whole number"),
    ("code=-1", "code needs a whole number"),
])
def test_prefer_values_not_understood_are_400(mock, token, value, fragment):
    response = prefer(mock, value, token)
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "invalid_request" and fragment in error["message"]


def test_prefer_delay_waits_first(mock, token):
    started = time.monotonic()
    response = prefer(mock, "delay=300, code=200", token)
    assert response.status_code == 200 and time.monotonic() - started >= 0.3


def chaotic(seed: int = 1, **chaos) -> InProcessMock:
    return InProcessMock(Settings(token_secret=SECRET, seed=seed, chaos=Chaos(**chaos)))


def answers(mock: InProcessMock, count: int = 40) -> list:
    """The same sequence of requests, signed locally so no token request joins the sequence."""
    token = signed()
    return [mock.get(f"{HISTORY}?limit={1 + i % 5}", token) for i in range(count)]


def test_error_rate_answers_500_and_503_in_the_envelope_and_replays_from_the_seed():
    first = answers(chaotic(error_rate=0.5, seed=7))
    seen = [answer.status_code for answer in first]
    assert {500, 503} <= set(seen) and 200 in seen
    for answer in first:
        if answer.status_code >= 500:
            assert answer.headers["Content-Type"] == "application/json"
            assert answer.json["error"]["code"] in {"server_error", "service_unavailable"}
    assert [answer.status_code for answer in answers(chaotic(error_rate=0.5, seed=7))] == seen
    assert [answer.status_code for answer in answers(chaotic(error_rate=0.5, seed=8))] != seen


def test_latency_delays_every_request():
    mock = chaotic(latency_ms=(60, 80))
    token = signed()
    for _ in range(3):
        started = time.monotonic()
        assert mock.get(HISTORY, token).status_code == 200
        assert time.monotonic() - started >= 0.06

