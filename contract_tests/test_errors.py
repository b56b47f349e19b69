"""Errors, paths and methods: refused input is 400 in the envelope, never a 500; unknown paths
are 404; a method no view has is 405 with an Allow that tells the truth; HEAD, OPTIONS and a
missing slash as Django answers them (the spec's decisions).

Which input is refused, and that it is refused rather than read some other way, is the
spec's decision (the history page documents no range): a server that answers otherwise is
drift. A server error, a refusal outside the envelope, or another code than
``invalid_request`` is a break.
"""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from . import checks, rules
from .conftest import BALANCES, HISTORY
from .paths import TOKEN_PATH

SAFE = ("GET", "HEAD", "OPTIONS")
"""The methods a claim of ``Allow`` is tried with: trying one that changes state could."""

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
    checks.unknown_path_answer(client.get("/user/balances/no-such-resource/", token),
                               "/user/balances/no-such-resource/")


@pytest.mark.parametrize("path", [BALANCES, HISTORY])
def test_path_without_trailing_slash_is_redirected(client, token, path):
    """301 to the slashed path is the spec's decision (Django's APPEND_SLASH); the redirect, once
    given, must lead where it says (RFC 9110)."""
    response = client.get(path.rstrip("/"), token)
    location = checks.redirected_to_slash(response, path.rstrip("/"))
    followed = client.get(urljoin(response.url, location), token)
    checks.status_is(followed, [200], rules.REDIRECT_LEADS_THERE)


@pytest.mark.parametrize(("method", "path"), [("DELETE", BALANCES), ("DELETE", HISTORY), ("GET", TOKEN_PATH)])
def test_wrong_method_is_405_with_allow(client, token, method, path):
    """405 with an Allow header, in the envelope; and Allow's claim tried: each safe method it
    lists is served, none is a 405."""
    bearer = {"Authorization": f"Bearer {token}"}
    response = client.request(method, path, headers=bearer)
    checks.status_is(response, [405], rules.WRONG_METHOD)
    checks.has_header(response, "Allow", rules.ALLOW_HEADER)
    checks.error_body_is_the_envelope(response, path, method)
    tried = {listed: client.request(listed, path, headers=bearer)
             for listed in checks.allowed_methods(response) if listed in SAFE}
    checks.allow_is_true(response, tried)


def test_head_is_answered_like_get(client, token):
    """HEAD like GET without a body, and named in Allow (the spec's decision, Django's View)."""
    bearer = {"Authorization": f"Bearer {token}"}
    get = client.get(HISTORY, token, params={"limit": 5})
    head = client.request("HEAD", HISTORY, params={"limit": 5}, headers=bearer)
    refusal = client.request("DELETE", HISTORY, headers=bearer)
    if "HEAD" in checks.allowed_methods(refusal):
        checks.allow_is_true(refusal, {"HEAD": head})  # listed, it must be served: a promise
    checks.head_like_get(get, head)
    checks.allow_lists(refusal, "HEAD", rules.HEAD_LIKE_GET)


@pytest.mark.parametrize("path", [BALANCES, HISTORY])
def test_options_answers_drf_metadata(client, token, path):
    """OPTIONS answered with DRF's metadata, and named in Allow (the spec's decision)."""
    response = client.request("OPTIONS", path, headers={"Authorization": f"Bearer {token}"})
    checks.options_metadata(response)
    checks.allow_lists(response, "OPTIONS", rules.OPTIONS_METADATA)
