"""POST /o/token/ over real HTTP: the client-credentials flow and its RFC 6749 errors."""

from __future__ import annotations

import jwt
import pytest
import requests

from .conftest import SECRET


def post_token(server, data=None, auth=None, **kwargs):
    return requests.post(f"{server.url}/o/token/", data=data, auth=auth, timeout=10, **kwargs)


def test_basic_auth_grants_every_client_scope(server, openapi_for):
    response = post_token(server, {"grant_type": "client_credentials"}, ("demo", "demo-secret"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "read write"
    claims = jwt.decode(body["access_token"], SECRET, algorithms=["HS256"])
    assert claims["sub"] == "demo" and claims["exp"] - claims["iat"] == 3600


def test_credentials_in_the_form_body(server):
    response = post_token(server, {"grant_type": "client_credentials", "client_id": "demo-read",
                                   "client_secret": "demo-secret"})
    assert response.status_code == 200
    assert response.json()["scope"] == "read"


def test_requested_scope_subset(server):
    response = post_token(server, {"grant_type": "client_credentials", "scope": "read"}, ("demo", "demo-secret"))
    assert response.status_code == 200 and response.json()["scope"] == "read"


def assert_token_error(response, status: int, error: str):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == error, body
    assert body["error_description"]


@pytest.mark.parametrize("auth", [("demo", "wrong"), ("nobody", "demo-secret"), ("demo", "")])
def test_wrong_client_credentials_are_invalid_client(server, auth):
    response = post_token(server, {"grant_type": "client_credentials"}, auth)
    assert_token_error(response, 401, "invalid_client")
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_missing_client_credentials_are_invalid_client(server):
    assert_token_error(post_token(server, {"grant_type": "client_credentials"}), 401, "invalid_client")


def test_broken_basic_header_is_invalid_client(server):
    response = post_token(server, {"grant_type": "client_credentials"},
                          headers={"Authorization": "Basic !!!not-base64"})
    assert_token_error(response, 401, "invalid_client")


def test_unsupported_grant_type(server):
    response = post_token(server, {"grant_type": "password", "username": "u", "password": "p"},
                          ("demo", "demo-secret"))
    assert_token_error(response, 400, "unsupported_grant_type")


def test_scope_beyond_the_client_is_invalid_scope(server):
    response = post_token(server, {"grant_type": "client_credentials", "scope": "read write"},
                          ("demo-read", "demo-secret"))
    assert_token_error(response, 400, "invalid_scope")
    response = post_token(server, {"grant_type": "client_credentials", "scope": "admin"}, ("demo", "demo-secret"))
    assert_token_error(response, 400, "invalid_scope")


@pytest.mark.parametrize(("data", "headers"), [
    ({}, {}),
    ({"scope": "read"}, {}),
    ('{"grant_type": "client_credentials"}', {"Content-Type": "application/json"}),
    ("grant_type=client_credentials&grant_type=client_credentials",
     {"Content-Type": "application/x-www-form-urlencoded"}),
])
def test_malformed_token_requests_are_invalid_request(server, data, headers):
    response = post_token(server, data, ("demo", "demo-secret"), headers=headers)
    assert_token_error(response, 400, "invalid_request")


def test_basic_with_the_same_credentials_in_the_body_is_accepted(server):
    """django-oauth-toolkit authenticates with Basic and does not read the body then."""
    response = post_token(server, {"grant_type": "client_credentials", "client_id": "demo",
                                   "client_secret": "demo-secret"}, ("demo", "demo-secret"))
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "read write"


def test_basic_with_another_client_id_in_the_body_is_invalid_request(server):
    response = post_token(server, {"grant_type": "client_credentials", "client_id": "demo-read"},
                          ("demo", "demo-secret"))
    assert_token_error(response, 400, "invalid_request")
    assert "demo-read" in response.json()["error_description"]


def test_token_endpoint_only_takes_post(server):
    response = requests.get(f"{server.url}/o/token/", timeout=10)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert response.json()["error"]["code"] == "method_not_allowed"
