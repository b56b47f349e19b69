"""POST /o/token/ through the test client: the client-credentials flow and its RFC 6749 errors."""

from __future__ import annotations

import jwt
import pytest

from ..support import DEMO, DEMO_READ, SECRET, TOKEN
from ..support.assertions import assert_token_error

GRANT = {"grant_type": "client_credentials"}


def test_basic_auth_grants_every_client_scope(mock):
    response = mock.post_token(GRANT, DEMO)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"] == "application/json"
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "read write"
    claims = jwt.decode(body["access_token"], SECRET, algorithms=["HS256"])
    assert claims["sub"] == "demo" and claims["exp"] - claims["iat"] == 3600


def test_credentials_in_the_form_body(mock):
    response = mock.post_token({**GRANT, "client_id": DEMO_READ[0], "client_secret": DEMO_READ[1]})
    assert response.status_code == 200
    assert response.json["scope"] == "read"


def test_requested_scope_subset(mock):
    response = mock.post_token({**GRANT, "scope": "read"}, DEMO)
    assert response.status_code == 200 and response.json["scope"] == "read"


@pytest.mark.parametrize("auth", [("demo", "wrong"), ("nobody", "demo-secret"), ("demo", "")])
def test_wrong_client_credentials_are_invalid_client(mock, auth):
    response = mock.post_token(GRANT, auth)
    assert_token_error(response, 401, "invalid_client")
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_missing_client_credentials_are_invalid_client(mock):
    assert_token_error(mock.post_token(GRANT), 401, "invalid_client")


def test_broken_basic_header_is_invalid_client(mock):
    response = mock.post_token(GRANT, headers={"Authorization": "Basic !!!not-base64"})
    assert_token_error(response, 401, "invalid_client")


def test_password_grant_is_unsupported_grant_type(mock):
    response = mock.post_token({"grant_type": "password", "username": "u", "password": "p"}, DEMO)
    assert_token_error(response, 400, "unsupported_grant_type")


def test_scope_beyond_the_client_is_invalid_scope(mock):
    assert_token_error(mock.post_token({**GRANT, "scope": "read write"}, DEMO_READ), 400, "invalid_scope")
    assert_token_error(mock.post_token({**GRANT, "scope": "admin"}, DEMO), 400, "invalid_scope")


@pytest.mark.parametrize(("data", "headers"), [
    ({}, {}),
    ({"scope": "read"}, {}),
    ('{"grant_type": "client_credentials"}', {"Content-Type": "application/json"}),
    ("grant_type=client_credentials&grant_type=client_credentials",
     {"Content-Type": "application/x-www-form-urlencoded"}),
])
def test_malformed_token_requests_are_invalid_request(mock, data, headers):
    response = mock.post_token(data, DEMO, headers=headers)
    assert_token_error(response, 400, "invalid_request")


def test_basic_with_the_same_credentials_in_the_body_is_accepted(mock):
    """django-oauth-toolkit authenticates with Basic and does not read the body then."""
    response = mock.post_token({**GRANT, "client_id": DEMO[0], "client_secret": DEMO[1]}, DEMO)
    assert response.status_code == 200, response.text
    assert response.json["scope"] == "read write"


def test_basic_with_another_client_id_in_the_body_is_invalid_request(mock):
    response = mock.post_token({**GRANT, "client_id": DEMO_READ[0]}, DEMO)
    assert_token_error(response, 400, "invalid_request")
    assert DEMO_READ[0] in response.json["error_description"]


def test_token_endpoint_only_takes_post(mock):
    response = mock.client.get(TOKEN)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST, OPTIONS"
    assert response.json["error"]["code"] == "method_not_allowed"
