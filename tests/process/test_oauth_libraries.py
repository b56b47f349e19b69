"""The token endpoint and both resources as integrators reach them: through OAuth client
libraries nobody on this project wrote (requests-oauthlib and Authlib), over real HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from oauthlib.oauth2 import BackendApplicationClient, InvalidClientError, InvalidScopeError
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from ..support import BALANCES, HISTORY
from ..support.docs import MOCK_URL, python_block


@pytest.fixture(autouse=True)
def plain_http(monkeypatch):
    """oauthlib refuses http:// token URLs unless told the transport is trusted (the mock is local)."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def recorded(session) -> list:
    """The requests a session sends, to see how the library authenticated the client."""
    sent: list = []
    session.hooks["response"].append(lambda response, *args, **kwargs: sent.append(response.request))
    return sent


def assert_client_authentication(request, method: str) -> None:
    form = parse_qs(request.body if isinstance(request.body, str) else request.body.decode())
    if method == "client_secret_basic":
        assert request.headers["Authorization"].startswith("Basic ") and "client_secret" not in form
    else:
        assert "Authorization" not in request.headers and form["client_secret"] == ["demo-secret"]


def assert_reads_both_resources(session, url: str, balances_status: int = 200) -> None:
    history = session.get(f"{url}{HISTORY}", params={"currency": "ETH", "limit": 5})
    assert history.status_code == 200, history.text
    assert 0 < len(history.json()["history"]) <= 5
    assert {entry["currency"] for entry in history.json()["history"]} == {"ETH"}
    balances = session.get(f"{url}{BALANCES}")
    assert balances.status_code == balances_status, balances.text
    if balances_status == 200:
        assert "ETH" in balances.json()["account"]
    else:
        assert balances.json()["error"]["code"] == "insufficient_permissions"


# -- requests-oauthlib -------------------------------------------------------------------

def test_requests_oauthlib_basic_with_include_client_id(server):
    """The common recipe: Basic, and client_id repeated in the body."""
    session = OAuth2Session(client=BackendApplicationClient(client_id="demo"))
    sent = recorded(session)
    token = session.fetch_token(f"{server.url}/o/token/", auth=HTTPBasicAuth("demo", "demo-secret"),
                                include_client_id=True)
    assert token["scope"] == ["read", "write"] and token["token_type"] == "Bearer"
    assert_client_authentication(sent[0], "client_secret_basic")
    assert parse_qs(sent[0].body)["client_id"] == ["demo"]
    assert_reads_both_resources(session, server.url)


def test_requests_oauthlib_secret_in_the_body(server):
    session = OAuth2Session(client=BackendApplicationClient(client_id="demo"))
    sent = recorded(session)
    session.fetch_token(f"{server.url}/o/token/", client_id="demo", client_secret="demo-secret",
                        include_client_id=True)
    assert_client_authentication(sent[0], "client_secret_post")
    assert_reads_both_resources(session, server.url)


def test_requests_oauthlib_narrower_scope(server):
    session = OAuth2Session(client=BackendApplicationClient(client_id="demo", scope=["read"]))
    token = session.fetch_token(f"{server.url}/o/token/", auth=HTTPBasicAuth("demo", "demo-secret"))
    assert token["scope"] == ["read"]
    assert_reads_both_resources(session, server.url, balances_status=403)


def test_requests_oauthlib_wrong_secret_is_invalid_client(server):
    session = OAuth2Session(client=BackendApplicationClient(client_id="demo"))
    with pytest.raises(InvalidClientError) as raised:
        session.fetch_token(f"{server.url}/o/token/", auth=HTTPBasicAuth("demo", "wrong"))
    assert raised.value.status_code == 401


def test_requests_oauthlib_too_wide_a_scope_is_invalid_scope(server):
    session = OAuth2Session(client=BackendApplicationClient(client_id="demo-read", scope=["read", "write"]))
    with pytest.raises(InvalidScopeError):
        session.fetch_token(f"{server.url}/o/token/", auth=HTTPBasicAuth("demo-read", "demo-secret"))


# -- Authlib -----------------------------------------------------------------------------

METHODS = ["client_secret_basic", "client_secret_post"]


@pytest.mark.parametrize("method", METHODS)
def test_authlib_fetches_a_token_and_reads(server, method):
    session = AuthlibSession("demo", "demo-secret", token_endpoint_auth_method=method)
    sent = recorded(session)
    token = session.fetch_token(f"{server.url}/o/token/", grant_type="client_credentials")
    assert token["scope"] == "read write"
    assert_client_authentication(sent[0], method)
    assert_reads_both_resources(session, server.url)


@pytest.mark.parametrize("method", METHODS)
def test_authlib_narrower_scope(server, method):
    session = AuthlibSession("demo", "demo-secret", token_endpoint_auth_method=method, scope="read")
    assert session.fetch_token(f"{server.url}/o/token/", grant_type="client_credentials")["scope"] == "read"
    assert_reads_both_resources(session, server.url, balances_status=403)


@pytest.mark.parametrize("method", METHODS)
def test_authlib_wrong_secret_is_invalid_client(server, method):
    session = AuthlibSession("demo", "wrong", token_endpoint_auth_method=method)
    with pytest.raises(OAuthError) as raised:
        session.fetch_token(f"{server.url}/o/token/", grant_type="client_credentials")
    assert raised.value.error == "invalid_client"


@pytest.mark.parametrize("method", METHODS)
def test_authlib_too_wide_a_scope_is_invalid_scope(server, method):
    session = AuthlibSession("demo-read", "demo-secret", token_endpoint_auth_method=method, scope="read write")
    with pytest.raises(OAuthError) as raised:
        session.fetch_token(f"{server.url}/o/token/", grant_type="client_credentials")
    assert raised.value.error == "invalid_scope"


# -- the documented examples -------------------------------------------------------------

@pytest.mark.parametrize("title", ["Authlib", "requests-oauthlib"])
def test_the_documented_example_runs(title, server):
    """The page's example, exactly as a user copies it, with the test server's address for the mock's."""
    block = python_block("docs/integrators/tokens.md", title)
    names: dict = {}
    exec(compile(block.text.replace(MOCK_URL, server.url), block.where, "exec"), names)
    if title == "Authlib":
        assert "ETH" in names["balances"]["account"]
    else:
        assert len(names["page"]["history"]) == 5 and names["page"]["limit"] == 5
