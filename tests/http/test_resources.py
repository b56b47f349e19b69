"""The resource endpoints through the test client: data, paging, filters, auth and routing."""

from __future__ import annotations

import time

import jwt
import pytest

from ..support import BALANCES, HISTORY, SECRET
from ..support.assertions import assert_conforms, assert_envelope
from ..support.tokens import signed, tampered


def walk(mock, token, limit, **filters):
    """Every entry, page by page, checking that each page echoes its paging."""
    entries, offset, totals = [], 0, set()
    while True:
        body = mock.get(HISTORY, token, params={**filters, "limit": limit, "offset": offset}).json
        totals.add(body["total"])
        assert body["limit"] == limit and body["offset"] == offset
        assert len(body["history"]) <= limit
        if not body["history"]:
            return entries, totals
        entries += body["history"]
        offset += limit


# -- data --------------------------------------------------------------------------------

def test_balances_conform_and_agree_with_history(mock, token):
    response = mock.get(BALANCES, token)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert_conforms(response)
    balances = response.json
    history, _ = walk(mock, token, 100)
    newest = {}
    for entry in history:  # newest first: the first seen per currency is the newest
        newest.setdefault(entry["currency"], entry["balance_after"])
    assert balances["account"] == newest
    assert balances["statistics"] == {
        "total_deposits": sum(e["type"] == "deposit" for e in history),
        "total_withdrawals": sum(e["type"] == "withdrawal" for e in history),
    }
    assert balances["sub_accounts"] and set(balances["sub_accounts"]) <= set(balances["account"])


def test_history_default_page(mock, token):
    response = mock.get(HISTORY, token)
    assert response.status_code == 200
    assert_conforms(response)
    body = response.json
    assert (body["limit"], body["offset"], body["total"]) == (20, 0, 300)
    assert len(body["history"]) == 20
    stamps = [e["timestamp"] for e in body["history"]]
    assert stamps == sorted(stamps, reverse=True)


def test_balance_after_chains_by_amount(mock, token):
    history, _ = walk(mock, token, 100)
    running = {}
    for entry in reversed(history):
        amount = entry["amount"]
        previous = running.get(entry["currency"], "0.000000")
        sign = 1 if entry["type"] == "deposit" else -1
        micro = int(previous.replace(".", "")) + sign * int(amount.replace(".", ""))
        assert int(entry["balance_after"].replace(".", "")) == micro >= 0
        running[entry["currency"]] = entry["balance_after"]


@pytest.mark.parametrize("limit", [1, 7, 100])
def test_pages_of_any_size_walk_the_whole_history(mock, token, limit):
    one_page = mock.get(HISTORY, token, params={"limit": 100}).json
    everything, _ = walk(mock, token, 100)
    entries, totals = walk(mock, token, limit)
    assert entries == everything and totals == {300}
    assert everything[:100] == one_page["history"]


def test_offset_past_the_end(mock, token):
    body = mock.get(HISTORY, token, params={"offset": 5000}).json
    assert body == {"history": [], "total": 300, "limit": 20, "offset": 5000}


def test_an_offset_beyond_64_bits_is_echoed_exactly(mock, token):
    body = mock.get(HISTORY, token, params={"offset": 10**30}).json
    assert body == {"history": [], "total": 300, "limit": 20, "offset": 10**30}


def test_the_same_query_gives_the_same_bytes(mock, token):
    assert mock.get(HISTORY, token, params={"limit": 100}).data == \
        mock.get(HISTORY, token, params={"limit": 100}).data


@pytest.mark.parametrize("filters", [{"currency": "USDTERC20"}, {"type": "withdrawal"},
                                     {"currency": "ETH", "type": "deposit"}])
def test_filters_match_and_add_up(mock, token, filters):
    entries, totals = walk(mock, token, 100, **filters)
    assert entries and len(totals) == 1 and totals == {len(entries)}
    for entry in entries:
        assert all(entry[key] == value for key, value in filters.items())


def test_per_currency_totals_add_up(mock, token):
    currencies = mock.get(BALANCES, token).json["account"]
    totals = [mock.get(HISTORY, token, params={"currency": c}).json["total"] for c in currencies]
    assert sum(totals) == 300


@pytest.mark.parametrize("filters", [{"currency": "DOGE"}, {"currency": "usdterc20"}, {"type": "payment"}])
def test_unknown_filter_values_match_nothing(mock, token, filters):
    response = mock.get(HISTORY, token, params=filters)
    assert response.status_code == 200
    assert response.json == {"history": [], "total": 0, "limit": 20, "offset": 0}


def test_read_scope_suffices_for_history(mock, read_token):
    assert mock.get(HISTORY, read_token).status_code == 200


def test_head_is_answered_like_get_without_a_body(mock, token):
    """Django's View answers HEAD with its GET handler (decision ``head-like-get``)."""
    get, head = mock.get(HISTORY, token), mock.request("HEAD", HISTORY, token)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    assert mock.request("HEAD", HISTORY, None).status_code == 401
    assert mock.request("HEAD", HISTORY, token, params={"limit": "abc"}).status_code == 400


@pytest.mark.parametrize(("path", "name"), [(BALANCES, "Account Balances"), (HISTORY, "Balance History")])
def test_options_answers_drf_s_metadata(mock, token, path, name):
    """DRF's SimpleMetadata (decision ``options-metadata``), behind the same token as GET."""
    response = mock.request("OPTIONS", path, token, params={"limit": "abc"})  # the query is not read
    assert response.status_code == 200 and response.headers["Allow"] == "GET, HEAD, OPTIONS"
    metadata = response.json
    assert list(metadata) == ["name", "description", "renders", "parses"]
    assert metadata["name"] == name and metadata["description"]
    assert metadata["renders"] == ["application/json", "text/html"]
    assert metadata["parses"] == ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]
    assert_envelope(mock.request("OPTIONS", path, None), 401, "authentication_failed")


def test_options_on_the_token_endpoint_is_django_s_empty_answer(mock):
    response = mock.client.options("/o/token/")
    assert response.status_code == 200 and response.data == b""
    assert response.headers["Allow"] == "POST, OPTIONS"


# -- bad parameters ----------------------------------------------------------------------

@pytest.mark.parametrize(("query", "bad"), [
    ("limit=abc", {"limit"}),
    ("limit=1.5", {"limit"}),
    ("limit=0", {"limit"}),
    ("limit=-5", {"limit"}),
    ("limit=101", {"limit"}),
    ("limit=99999999999999999999999", {"limit"}),
    ("offset=-1", {"offset"}),
    ("offset=x", {"offset"}),
    ("offset=2.0", {"offset"}),
    ("currency=", {"currency"}),
    ("limit=abc&offset=-1", {"limit", "offset"}),
])
def test_bad_parameters_are_400_naming_each(mock, token, query, bad):
    response = mock.get(f"{HISTORY}?{query}", token)
    error = assert_envelope(response, 400, "invalid_request")
    assert set(error["details"]) == bad
    assert all(isinstance(reasons, list) and reasons for reasons in error["details"].values())
    assert_conforms(response)


def test_invalid_utf8_in_the_query_is_400(mock, token):
    assert_envelope(mock.get(f"{HISTORY}?currency=%ff%fe", token), 400, "invalid_request")


def test_repeated_parameter_last_wins_and_unknown_ones_are_ignored(mock, token):
    body = mock.get(f"{HISTORY}?limit=5&limit=3&colour=blue", token).json
    assert body["limit"] == 3 and len(body["history"]) == 3


# -- auth --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [BALANCES, HISTORY])
@pytest.mark.parametrize("authorization", [
    None,
    "",
    "Bearer",
    "Bearer not-a-jwt",
    "Basic ZGVtbzpkZW1vLXNlY3JldA==",
    "Token abc",
])
def test_missing_or_malformed_token_is_401(mock, path, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = mock.get(path, headers=headers)
    assert_envelope(response, 401, "authentication_failed")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_conforms(response)


@pytest.mark.parametrize("make", [
    pytest.param(lambda t: tampered(t), id="tampered-signature"),
    pytest.param(lambda t: signed({"exp": int(time.time()) - 10, "iat": int(time.time()) - 4000}), id="expired"),
    pytest.param(lambda t: signed(secret="another-secret-of-a-different-replica-xx"), id="wrong-key"),
    pytest.param(lambda t: signed({"nbf": int(time.time()) + 600}), id="not-yet-valid"),
    pytest.param(lambda t: signed({"sub": "stranger"}), id="unknown-client"),
    pytest.param(lambda t: jwt.encode({"sub": "demo", "scope": "read write"}, SECRET), id="missing-claims"),
    pytest.param(lambda t: jwt.encode({"iss": "balances-mock", "sub": "demo", "scope": "read write",
                                       "iat": 0, "nbf": 0, "exp": 2**40}, None, algorithm="none"), id="alg-none"),
])
def test_bad_tokens_are_401(mock, token, make):
    response = mock.get(HISTORY, make(token))
    error = assert_envelope(response, 401, "authentication_failed")
    assert error["message"] == "Invalid or missing authentication token"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_read_only_token_on_balances_is_403_naming_scopes(mock, read_token):
    response = mock.get(BALANCES, read_token)
    error = assert_envelope(response, 403, "insufficient_permissions")
    assert error["details"] == {"required_scopes": ["read", "write"], "granted_scopes": ["read"]}
    assert_conforms(response)


def test_scope_narrowed_token_is_403_too(mock):
    write_only = mock.token(scope="write")
    assert_envelope(mock.get(HISTORY, write_only), 403, "insufficient_permissions")


def test_auth_is_checked_before_parameters(mock):
    assert_envelope(mock.get(f"{HISTORY}?limit=abc"), 401, "authentication_failed")


# -- routing -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/nope/", "/user/balances/history/extra/", "/user/balance"])
def test_unknown_paths_are_404(mock, token, path):
    error = assert_envelope(mock.get(path, token), 404, "not_found")
    assert error["details"] == {"path": path}


@pytest.mark.parametrize(("method", "path", "query"), [("GET", "/user/balances", ""),
                                                       ("GET", "/user/balances/history", "?limit=5&offset=1"),
                                                       ("POST", "/o/token", "")])
def test_a_path_without_its_slash_is_redirected_to_it(mock, method, path, query):
    """Django's CommonMiddleware with APPEND_SLASH (decision ``trailing-slash``): 301, query kept,
    before any token is read."""
    response = mock.client.open(path + query, method=method)
    assert response.status_code == 301 and response.data == b""
    assert response.headers["Location"] == f"{path}/{query}"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "TRACE"])
@pytest.mark.parametrize("path", [BALANCES, HISTORY])
def test_wrong_methods_are_405_naming_get_head_and_options(mock, token, method, path):
    response = mock.request(method, path, token)
    error = assert_envelope(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert error["details"]["allowed_methods"] == ["GET", "HEAD", "OPTIONS"]
