"""Authentication and scopes, on the resources and at the token endpoint."""

from __future__ import annotations

import base64
import json

import pytest

from . import checks, redaction, rules
from .conftest import BALANCES, HISTORY
from .paths import TOKEN_PATH

RESOURCES = [BALANCES, HISTORY]


def broken_signature(token: str) -> str:
    """The same token with its signature changed (a JWT's third part, or the last characters)."""
    head, dot, signature = token.rpartition(".")
    if dot and signature:
        swapped = "A" * len(signature) if set(signature) != {"A"} else "B" * len(signature)
        return f"{head}.{swapped}"
    return token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")


def other_subject(token: str) -> str | None:
    """A JWT whose claims were edited without re-signing, or None if the token is no JWT."""
    claims = claims_of(token)
    if claims is None:
        return None
    header, _, signature = token.split(".")
    edited = base64.urlsafe_b64encode(json.dumps({**claims, "scope": "read write admin"}).encode()).rstrip(b"=")
    return f"{header}.{edited.decode()}.{signature}"


def assert_unauthenticated(response, rule: rules.Rule) -> None:
    checks.status_is(response, [401], rule)
    checks.error_body_is_the_envelope(response, response.request.path_url, "GET")


@pytest.mark.parametrize("path", RESOURCES)
def test_no_token_is_401(client, path):
    """401 with a Bearer challenge (RFC 6750); its realm ``api`` is the spec's decision."""
    response = client.get(path)
    assert_unauthenticated(response, rules.NO_TOKEN)
    checks.bearer_realm(response)


@pytest.mark.parametrize("path", RESOURCES)
def test_malformed_token_is_401(client, path):
    assert_unauthenticated(client.get(path, token="not-a-token"), rules.MALFORMED_TOKEN)


@pytest.mark.parametrize("path", RESOURCES)
def test_broken_signature_is_401(client, token, path):
    assert_unauthenticated(client.get(path, token=broken_signature(token)), rules.BROKEN_SIGNATURE)


def test_edited_claims_are_401(client, token):
    edited = other_subject(token)
    if edited is None:
        pytest.skip("the implementation's tokens are not JWTs, so their claims cannot be edited")
    assert_unauthenticated(client.get(HISTORY, token=edited), rules.EDITED_CLAIMS)


@pytest.mark.scopes
def test_read_only_token_on_balances_is_403(client, read_tokens):
    response = client.get(BALANCES, read_tokens.token())
    checks.status_is(response, [403], rules.BALANCES_NEED_WRITE)
    checks.error_body_is_the_envelope(response, BALANCES, "GET")


@pytest.mark.scopes
def test_read_only_token_reads_history(client, read_tokens):
    checks.status_is(client.get(HISTORY, read_tokens.token()), [200], rules.HISTORY_READ_ONLY)


def test_write_only_token_on_history_is_403(client, client_credentials):
    """A token asked for with ``scope=write`` only may not read the history."""
    response = request_token(client, client_credentials, scope="write")
    if response.status_code != 200:
        pytest.skip(f"the server issues no write-only token to --client-id (POST {TOKEN_PATH} with scope=write "
                    f"answered {response.status_code}), so the history's 403 cannot be provoked")
    answer = client.get(HISTORY, response.json()["access_token"])
    checks.status_is(answer, [403], rules.HISTORY_NEEDS_READ)
    checks.error_body_is_the_envelope(answer, HISTORY, "GET")


def test_wrong_client_secret_is_invalid_client(client, client_credentials):
    response = client.request("POST", TOKEN_PATH, data={"grant_type": "client_credentials"},
                              auth=(client_credentials.client_id, client_credentials.client_secret + "-wrong"))
    checks.status_is(response, [401], rules.WRONG_SECRET)
    checks.error_body_is_the_envelope(response, TOKEN_PATH, "POST")
    checks.error_code_is(response, "invalid_client", rules.WRONG_SECRET)
    checks.has_header(response, "WWW-Authenticate", rules.BASIC_CHALLENGE)


def test_unsupported_grant_type(client, client_credentials):
    response = client.request("POST", TOKEN_PATH, data={"grant_type": "password", "username": "u", "password": "p"},
                              auth=(client_credentials.client_id, client_credentials.client_secret))
    checks.status_is(response, [400], rules.UNSUPPORTED_GRANT)
    checks.error_body_is_the_envelope(response, TOKEN_PATH, "POST")
    checks.error_code_is(response, "unsupported_grant_type", rules.UNSUPPORTED_GRANT)


def claims_of(token: str) -> dict | None:
    """A JWT's claims, unverified (only to see what the token says of itself); None otherwise."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


def request_token(client, credentials, judged=False, **form):
    """A token request; unless ``judged``, its answer's conformance is left to the rule about
    the token answer (one broken item, one failure)."""
    return client.request("POST", TOKEN_PATH, judged=judged, data={"grant_type": "client_credentials", **form},
                          auth=(credentials.client_id, credentials.client_secret))


def test_client_credentials_grant_issues_a_bearer_token(client, client_credentials):
    """The token answer as documented (its headers and fields: the client's conformance check,
    here and nowhere else: the fixtures use any token issued), a Bearer token that opens the
    history, and an ``expires_in`` that is the token's life where the token shows it."""
    response = request_token(client, client_credentials, judged=True)
    checks.status_is(response, [200], rules.TOKEN_ISSUED)
    body = response.json()
    if str(body.get("token_type", "")).lower() != "bearer" or not body.get("access_token"):
        raise checks.violation(rules.TOKEN_ISSUED, "token_type Bearer and an access_token",
                               (redaction.body(response.text) or "")[:200], response)
    checks.status_is(client.get(HISTORY, body["access_token"]), [200], rules.TOKEN_ISSUED)
    checks.token_life(response, body, claims_of(body["access_token"]))


def test_token_scope_is_what_the_token_can_do(client, client_credentials):
    """A token asked for with ``scope=read`` reports a scope; the resources it opens and refuses
    must agree with it."""
    response = request_token(client, client_credentials, scope="read")
    if response.status_code != 200:
        pytest.skip(f"the server issues no read-only token to --client-id (scope=read answered "
                    f"{response.status_code}): the scope's claim cannot be tried")
    body = response.json()
    scopes = set(str(body.get("scope", "")).split())
    token = body.get("access_token", "")
    checks.scope_is_true(response, scopes, client.get(BALANCES, token), client.get(HISTORY, token))


def test_unknown_scope_is_invalid_scope(client, client_credentials):
    """Refusing a scope the server does not know (400 ``invalid_scope``) is the spec's decision,
    after oauthlib; a server that issues a token instead is drift, but the token it issues must
    still tell the truth about its scope."""
    response = request_token(client, client_credentials, scope="read no-such-scope-xyz")
    if response.status_code == 200:
        body = response.json()
        scopes = set(str(body.get("scope", "")).split())
        token = body.get("access_token", "")
        checks.scope_is_true(response, scopes, client.get(BALANCES, token), client.get(HISTORY, token))
    checks.status_is(response, [400], rules.UNKNOWN_SCOPE)
    checks.error_body_is_the_envelope(response, TOKEN_PATH, "POST")
    checks.error_code_is(response, "invalid_scope", rules.UNKNOWN_SCOPE)
