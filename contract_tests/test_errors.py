"""Errors: bad parameters are 400 in the envelope, never 200 or 500; unknown paths are 404."""

from __future__ import annotations

import pytest

from . import checks
from .conftest import HISTORY

BAD_PARAMETERS = ["limit=abc", "limit=0", "limit=-1", "limit=101", "limit=1.5", "offset=-1", "offset=x"]


@pytest.mark.parametrize("query", BAD_PARAMETERS)
def test_bad_parameters_are_400_in_the_envelope(client, token, query):
    response = client.get(f"{HISTORY}?{query}", token)
    checks.status_is(response, [400], f"a bad parameter ({query}) is 400, never 200 or 500")
    checks.error_body_is_the_envelope(response, HISTORY, "GET")
    checks.error_code_is(response, "invalid_request", "a bad parameter is invalid_request")


def test_unknown_path_is_404_in_the_envelope(client, token):
    response = client.get("/user/balances/no-such-resource/", token)
    checks.status_is(response, [404], "an unknown path is 404")
    checks.error_body_is_the_envelope(response, "/user/balances/no-such-resource/", "GET")


def test_wrong_method_is_405_with_allow(client, token):
    response = client.request("DELETE", HISTORY, headers={"Authorization": f"Bearer {token}"})
    checks.status_is(response, [405], "a method the path does not have is 405")
    if not response.headers.get("Allow"):
        raise checks.violation("a 405 names the allowed methods", "an Allow header", "none", response)
    checks.error_body_is_the_envelope(response, HISTORY, "DELETE")
