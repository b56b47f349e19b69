"""Client authentication at POST /o/token/ as django-oauth-toolkit does it (its
``OAuth2Validator.authenticate_client`` and oauthlib's ``ClientCredentialsGrant``): HTTP Basic
first, the form body when Basic is absent or fails, and the request refused only where the
toolkit refuses it."""

from __future__ import annotations

import base64

import pytest

from mock_server import Client, Settings, create_app

from ..support.assertions import assert_token_error

CLIENTS = (
    Client("demo", "demo-secret", frozenset({"read", "write"})),
    Client("demo-read", "demo-secret", frozenset({"read"}), account="demo"),
    Client("a b", "x:y+z", frozenset({"read"})),
)
GRANT = {"grant_type": "client_credentials"}


@pytest.fixture(scope="module")
def client():
    app = create_app(Settings(entries=10, token_secret="client-authentication-tests-0123456789", clients=CLIENTS))
    return app.test_client()


def basic(client_id: str, secret: str, scheme: str = "Basic") -> dict[str, str]:
    return {"Authorization": f"{scheme} {base64.b64encode(f'{client_id}:{secret}'.encode()).decode()}"}


def granted(response) -> str:
    """The scope of an issued token (the client it went to shows in it)."""
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["scope"]


@pytest.mark.parametrize("body", [
    {"client_id": "demo"},                                 # requests-oauthlib's include_client_id=True
    {"client_id": "", "client_secret": ""},                # empty fields, as some form builders send
    {"client_id": "demo", "client_secret": "demo-secret"},  # both methods, the same client
    {"client_id": "demo", "client_secret": "not-read"},     # with Basic accepted, the body's secret is unread
])
def test_basic_with_body_fields_of_the_same_client_is_accepted(client, body):
    assert granted(client.post("/o/token/", data={**GRANT, **body}, headers=basic("demo", "demo-secret"))) \
        == "read write"


def test_basic_with_another_client_id_in_the_body_is_assert_token_error(client):
    """oauthlib 4 refuses the discrepancy (as server_error); the mock says invalid_request."""
    description = assert_token_error(client.post("/o/token/", data={**GRANT, "client_id": "demo-read"},
                                      headers=basic("demo", "demo-secret")), 400, "invalid_request")
    assert "demo-read" in description and "demo" in description


@pytest.mark.parametrize(("header", "scope"), [
    (basic("demo", "wrong"), "read write"),         # Basic fails: the body's credentials are tried
    (basic("demo-read", "wrong"), "read write"),    # ... also when they name another client
    (basic("nobody", "demo-secret"), "read write"),
    ({"Authorization": "Basic !!!not-base64"}, "read write"),
    ({"Authorization": "Basic \u00e9t\u00e9"}, "read write"),
    ({"Authorization": "Bearer some.jwt.token"}, "read write"),  # not Basic: ignored
    (basic("demo", "demo-secret", scheme="basic"), "read write"),  # the toolkit reads only "Basic"
])
def test_when_basic_fails_or_is_absent_the_body_authenticates(client, header, scope):
    data = {**GRANT, "client_id": "demo", "client_secret": "demo-secret"}
    assert granted(client.post("/o/token/", data=data, headers=header)) == scope


def test_basic_credentials_are_form_decoded(client):
    """RFC 6749 section 2.3.1: id and secret are form-encoded before base64."""
    assert granted(client.post("/o/token/", data=GRANT, headers=basic("a+b", "x%3Ay%2Bz"))) == "read"


@pytest.mark.parametrize(("header", "data", "says"), [
    ({}, {}, "Client credentials are missing"),
    ({"Authorization": "Bearer some.jwt.token"}, {}, "not HTTP Basic"),
    ({"Authorization": "Basic !!!not-base64"}, {}, "not valid HTTP Basic"),
    ({"Authorization": "Basic \u00e9t\u00e9"}, {}, "not valid HTTP Basic"),  # not ASCII: no 500
    (basic("demo", "demo-secret", scheme="basic"), {}, "must be written 'Basic'"),
    ({}, {"client_id": "", "client_secret": ""}, "Client credentials are missing"),
    ({}, {"client_id": "demo"}, "Client authentication failed"),
    (basic("demo", "wrong"), {}, "Client authentication failed"),
    (basic("demo", "wrong"), {"client_id": "demo", "client_secret": "wrong"}, "Client authentication failed"),
])
def test_no_valid_credentials_is_invalid_client_with_a_reason(client, header, data, says):
    response = client.post("/o/token/", data={**GRANT, **data}, headers=header)
    assert says in assert_token_error(response, 401, "invalid_client")
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert "demo-secret" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("data", "error"), [
    ({"grant_type": "password", "username": "u", "password": "p"}, "unsupported_grant_type"),
    ({"grant_type": "authorization_code", "code": "c"}, "unsupported_grant_type"),
    ({"grant_type": ""}, "invalid_request"),
    ("grant_type=client_credentials&scope=read&scope=read", "invalid_request"),
    ("grant_type=client_credentials&client_id=demo&client_id=demo", "invalid_request"),
])
def test_oauthlib_order_grant_type_then_repeats(client, data, error):
    headers = {**basic("demo", "demo-secret"), "Content-Type": "application/x-www-form-urlencoded"}
    assert_token_error(client.post("/o/token/", data=data, headers=headers), 400, error)


def test_query_parameters_are_refused_as_oauthlib_does(client):
    response = client.post("/o/token/?grant_type=client_credentials", data=GRANT, headers=basic("demo", "demo-secret"))
    assert "query parameters" in assert_token_error(response, 400, "invalid_request")
