"""Errors: refused input is 400 in the envelope, never a 500; unknown paths are 404; other
methods are 405 with Allow.

Which input is refused, and that it is refused rather than read some other way, is the
spec's decision (the history page documents no range): a server that answers otherwise is
drift. A server error, a refusal outside the envelope, or another code than
``invalid_request`` is a break.
"""

from __future__ import annotations

import pytest

from . import checks, rules
from .conftest import BALANCES, HISTORY
from .paths import TOKEN_PATH

BAD_PARAMETERS = [
    ("limit=abc", rules.BAD_PARAMETER_REFUSED), ("limit=0", rules.BAD_PARAMETER_REFUSED),
    ("limit=-1", rules.BAD_PARAMETER_REFUSED), ("limit=101", rules.LIMIT_RANGE),
    ("limit=500", rules.LIMIT_RANGE), ("limit=1.5", rules.BAD_PARAMETER_REFUSED),
    ("offset=-1", rules.BAD_PARAMETER_REFUSED), ("offset=x", rules.BAD_PARAMETER_REFUSED),
    ("currency=", rules.EMPTY_FILTER_REFUSED), ("type=", rules.EMPTY_FILTER_REFUSED),
]


@pytest.mark.parametrize(("query", "rule"), BAD_PARAMETERS, ids=[q for q, _ in BAD_PARAMETERS])
def test_bad_parameters_are_400_in_the_envelope(client, token, query, rule):
    response = client.get(f"{HISTORY}?{query}", token)
    checks.not_a_server_error(response)
    checks.status_is(response, [400], rule)
    checks.error_body_is_the_envelope(response, HISTORY, "GET")
    checks.error_code_is(response, "invalid_request", rules.INVALID_REQUEST_CODE)


def test_unknown_path_is_404_in_the_envelope(client, token):
    response = client.get("/user/balances/no-such-resource/", token)
    checks.status_is(response, [404], rules.UNKNOWN_PATH)
    checks.error_body_is_the_envelope(response, "/user/balances/no-such-resource/", "GET")


@pytest.mark.parametrize("path", [BALANCES, HISTORY])
def test_path_without_trailing_slash_is_404(client, token, path):
    response = client.get(path.rstrip("/"), token)
    checks.status_is(response, [404], rules.TRAILING_SLASH)
    checks.error_body_is_the_envelope(response, path.rstrip("/"), "GET")


@pytest.mark.parametrize(("method", "path"), [("DELETE", BALANCES), ("DELETE", HISTORY), ("GET", TOKEN_PATH)])
def test_wrong_method_is_405_with_allow(client, token, method, path):
    response = client.request(method, path, headers={"Authorization": f"Bearer {token}"})
    checks.status_is(response, [405], rules.WRONG_METHOD)
    checks.has_header(response, "Allow", rules.ALLOW_HEADER)
    checks.error_body_is_the_envelope(response, path, method)


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS"])
def test_head_and_options_are_405(client, token, method):
    response = client.request(method, HISTORY, headers={"Authorization": f"Bearer {token}"})
    checks.status_is(response, [405], rules.HEAD_AND_OPTIONS)
    checks.has_header(response, "Allow", rules.ALLOW_HEADER)
