"""Clients created through the control API (``POST /__sandbox/clients``), through the test
client: their credentials at the token endpoint, their scopes, an account of their own whose
data is the generated (scenario, seed) account of ``demo`` whatever the id, and the same
client known to every app that shares the state."""

from __future__ import annotations

import re

import pytest

from mock_server import Settings, create_app
from mock_server.ledger.scenarios import SCENARIOS
from mock_server.state import open_store

from ..support import ACCOUNT, BALANCES, CLOCK, DEMO_READ, HISTORY, RESET, SECRET, TRANSACTIONS
from ..support.assertions import assert_conforms, assert_envelope, assert_token_error
from ..support.mock import InProcessMock, grant

CLIENTS = "/__sandbox/clients"


@pytest.fixture(scope="module")
def sandbox() -> InProcessMock:
    """A server of the dust scenario with seed 3, so defaults are told from the library's."""
    return InProcessMock(Settings(token_secret=SECRET, scenario="dust", seed=3))


@pytest.fixture(scope="module")
def token(sandbox: InProcessMock) -> str:
    return sandbox.token()


def create(sandbox: InProcessMock, token: str, **body) -> dict:
    response = sandbox.post(CLIENTS, token, json=body)
    assert response.status_code == 201, response.text
    assert_conforms(response)
    return response.json


def credentials(created: dict) -> tuple[str, str]:
    return created["client_id"], created["client_secret"]


def reads(mock: InProcessMock, token: str) -> list[bytes]:
    """What a client reads of its account: balances and several history pages and filters, as bytes."""
    answers = [mock.get(BALANCES, token)]
    answers += [mock.get(HISTORY, token, params={"limit": 100, "offset": offset}) for offset in (0, 100, 200)]
    answers += [mock.get(HISTORY, token, params={"type": "withdrawal", "limit": 7, "offset": 3})]
    assert all(answer.status_code == 200 for answer in answers)
    return [answer.data for answer in answers]


def test_a_created_client_has_an_id_a_secret_and_the_servers_data_by_default(sandbox, token):
    created = create(sandbox, token)
    assert re.fullmatch(r"sandbox-[0-9a-f]{12}", created["client_id"]), created
    assert len(created["client_secret"]) >= 32
    assert {key: created[key] for key in ("scopes", "scenario", "seed", "entries")} == {
        "scopes": ["read", "write"], "scenario": "dust", "seed": 3, "entries": SCENARIOS["dust"].profile.entries}
    other = create(sandbox, token)
    assert other["client_id"] != created["client_id"] and other["client_secret"] != created["client_secret"]


def test_its_credentials_get_a_token_with_basic_and_in_the_form(sandbox, token):
    created = create(sandbox, token, scenario="whale", seed=7)
    client_id, secret = credentials(created)
    basic = sandbox.post_token(grant(), (client_id, secret))
    assert basic.status_code == 200 and basic.json["scope"] == "read write"
    form = sandbox.post_token({**grant("read"), "client_id": client_id, "client_secret": secret})
    assert form.status_code == 200 and form.json["scope"] == "read"
    for answer in (basic, form):
        assert sandbox.get(ACCOUNT, answer.json["access_token"]).json["account"] == client_id


def test_a_wrong_secret_is_refused_as_for_a_configured_client(sandbox, token):
    client_id, secret = credentials(create(sandbox, token))
    other_secret = create(sandbox, token)["client_secret"]
    configured = assert_token_error(sandbox.post_token(grant(), ("demo", "not-the-secret")), 401, "invalid_client")
    for wrong in ("", secret[:-1], secret + "x", other_secret):
        refused = sandbox.post_token(grant(), (client_id, wrong))
        assert assert_token_error(refused, 401, "invalid_client") == configured
        assert refused.headers["WWW-Authenticate"] == 'Basic realm="api"'
    unknown = sandbox.post_token(grant(), ("sandbox-000000000000", secret))
    assert assert_token_error(unknown, 401, "invalid_client") == configured


def test_a_read_only_client_reads_and_is_refused_writes_and_the_write_scope(sandbox, token):
    read_only = create(sandbox, token, scopes=["read"])
    assert read_only["scopes"] == ["read"]
    assert_token_error(sandbox.post_token(grant("read write"), credentials(read_only)), 400, "invalid_scope")
    reader = sandbox.token(credentials(read_only))
    assert sandbox.get(HISTORY, reader).status_code == 200
    assert sandbox.get(ACCOUNT, reader).status_code == 200
    assert_envelope(sandbox.get(BALANCES, reader), 403, "insufficient_permissions")  # needs read and write
    refused = sandbox.post(TRANSACTIONS, reader, json={"type": "deposit", "currency": "SOL", "amount": "1"})
    assert assert_envelope(refused, 403, "insufficient_permissions")["details"]["required_scopes"] == ["write"]
    assert_envelope(sandbox.post(CLIENTS, reader, json={}), 403, "insufficient_permissions")


def test_its_data_is_the_generated_demo_account_of_its_scenario_and_seed(sandbox, token):
    created = create(sandbox, token, scenario="whale", seed=7)
    assert created["entries"] == SCENARIOS["whale"].profile.entries
    twin = create(sandbox, token, scenario="whale", seed=7, entries=SCENARIOS["whale"].profile.entries)
    reference = InProcessMock(Settings(token_secret=SECRET, scenario="whale", seed=7))
    expected = reads(reference, reference.token())
    assert reads(sandbox, sandbox.token(credentials(created))) == expected
    assert reads(sandbox, sandbox.token(credentials(twin))) == expected
    account = sandbox.get(ACCOUNT, sandbox.token(credentials(created))).json
    assert account == {"account": created["client_id"], "scenario": "whale", "seed": 7, "ledger_file": None,
                       "base_entries": 200, "booked_entries": 0, "clock": "2025-01-15T09:30:00Z"}


def test_a_seed_written_with_a_fraction_is_that_integer(sandbox, token):
    """``7.0`` is the integer 7 to JSON Schema: the same data as seed 7, not another ledger."""
    created = sandbox.post(CLIENTS, token, data=b'{"scenario": "whale", "seed": 7.0, "entries": 12.0}',
                           content_type="application/json")
    assert created.status_code == 201, created.text
    assert (created.json["seed"], created.json["entries"]) == (7, 12)
    twin = create(sandbox, token, scenario="whale", seed=7, entries=12)
    assert reads(sandbox, sandbox.token(credentials(created.json))) == reads(sandbox, sandbox.token(credentials(twin)))


def test_entries_sets_the_history_length(sandbox, token):
    created = create(sandbox, token, scenario="single-currency", entries=12)
    assert (created["scenario"], created["entries"]) == ("single-currency", 12)
    reader = sandbox.token(credentials(created))
    assert sandbox.get(HISTORY, reader).json["total"] == 12
    assert sandbox.get(ACCOUNT, reader).json["base_entries"] == 12
    empty = sandbox.token(credentials(create(sandbox, token, scenario="empty", entries=0)))
    assert sandbox.get(HISTORY, empty).json["total"] == 0


def test_an_empty_account_cannot_have_entries(sandbox, token):
    error = assert_envelope(sandbox.post(CLIENTS, token, json={"scenario": "empty", "entries": 12}), 400,
                            "invalid_request")
    assert error["details"] == {"entries": [
        "12 is not one of the lengths of an empty scenario's history (it has no currencies): 0"]}


def test_entries_on_a_server_whose_scenario_is_empty_are_a_409_naming_it():
    """Well formed (the request names no scenario), but the server's own has no currencies."""
    empty = InProcessMock(Settings(token_secret=SECRET, scenario="empty"))
    refused = empty.post(CLIENTS, empty.token(), json={"entries": 12})
    assert_conforms(refused)
    error = assert_envelope(refused, 409, "scenario_has_no_currencies")
    assert error["details"] == {"scenario": "empty", "entries": 12}
    assert error["message"] == ("This server's scenario is empty, and the empty scenario has no currencies, so its "
                                "history has no entries: only 0 is possible. Name another scenario, or ask for 0 "
                                "entries.")
    assert empty.post(CLIENTS, empty.token(), json={"entries": 12, "scenario": "whale"}).status_code == 201


def test_two_created_clients_of_the_same_data_are_isolated(sandbox, token):
    one, other = (sandbox.token(credentials(create(sandbox, token, seed=5))) for _ in range(2))
    before = reads(sandbox, other)
    assert reads(sandbox, one) == before
    booked = sandbox.post(TRANSACTIONS, one, json={"type": "deposit", "currency": "USDTERC20", "amount": "5"})
    assert booked.status_code == 201
    assert sandbox.post(CLOCK, one, json={"advance": 60}).json == {"now": "2025-01-15T09:31:01Z"}
    assert sandbox.get(HISTORY, one, params={"limit": 1}).json["history"] == [booked.json]
    assert sandbox.get(ACCOUNT, one).json["booked_entries"] == 1
    assert reads(sandbox, other) == before
    assert sandbox.get(CLOCK, other).json == {"now": "2025-01-15T09:30:00Z"}
    reset = sandbox.post(RESET, one)
    assert reset.status_code == 200 and reset.json["booked_entries"] == 0
    assert reads(sandbox, one) == before


@pytest.mark.parametrize(("body", "field"), [
    ({"scenario": "nope"}, "scenario"),
    ({"seed": -1}, "seed"),
    ({"seed": "1"}, "seed"),
    ({"entries": 100_001}, "entries"),
    ({"scopes": []}, "scopes"),
    ({"scopes": ["admin"]}, "scopes"),
    ({"scopes": ["read", "read"]}, "scopes"),
    ({"client_id": "mine"}, "client_id"),
])
def test_a_bad_request_is_a_400_naming_the_field(sandbox, token, body, field):
    error = assert_envelope(sandbox.post(CLIENTS, token, json=body), 400, "invalid_request")
    assert list(error["details"]) == [field], error


def test_creating_needs_a_token_with_write(sandbox):
    assert_envelope(sandbox.post(CLIENTS, None, json={}), 401, "authentication_failed")
    assert_envelope(sandbox.post(CLIENTS, sandbox.token(DEMO_READ), json={}), 403, "insufficient_permissions")


def test_a_client_created_on_one_app_gets_a_token_from_another_and_reads_on_a_third(tmp_path):
    """Three apps on one SQLite state, as three workers or replicas would be."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    first, second, third = (InProcessMock(app=create_app(Settings(token_secret=SECRET), open_store(url)))
                            for _ in range(3))
    created = create(first, first.token(), scenario="single-currency")
    token = second.token(credentials(created))
    assert third.get(ACCOUNT, token).json["account"] == created["client_id"]
    assert third.get(HISTORY, token).json["total"] == SCENARIOS["single-currency"].profile.entries
    booked = second.post(TRANSACTIONS, token, json={"type": "deposit", "currency": "USDTERC20", "amount": "1"})
    assert third.get(HISTORY, token, params={"limit": 1}).json["history"] == [booked.json]


def test_a_token_of_a_client_the_state_does_not_know_is_refused(sandbox, token):
    created = create(sandbox, token)
    issued = sandbox.token(credentials(created))
    elsewhere = InProcessMock(Settings(token_secret=SECRET))  # the same secret, another state
    error = assert_envelope(elsewhere.get(HISTORY, issued), 401, "authentication_failed")
    assert error["details"] == {"reason": "The token was not issued to a known client."}
    assert_token_error(elsewhere.post_token(grant(), credentials(created)), 401, "invalid_client")
