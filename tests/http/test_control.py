"""The sandbox's control API through the test client: booking, the clock, reset, idempotency,
bad input, and every resource agreeing at once. One app for the module (memory state), each
test starting from a reset account."""

from __future__ import annotations

import pytest

from mock_server import Client, Settings
from mock_server.settings import DEMO_CLIENTS

from ..support import ACCOUNT, BALANCES, CLOCK, DEMO, DEMO_READ, HISTORY, RESET, SECRET, TRANSACTIONS
from ..support.assertions import assert_conforms, assert_envelope
from ..support.mock import InProcessMock

OTHER = ("other", "other-secret")


@pytest.fixture(scope="module")
def sandbox() -> InProcessMock:
    clients = (*DEMO_CLIENTS, Client(*OTHER, frozenset({"read", "write"})))
    return InProcessMock(Settings(token_secret=SECRET, clients=clients))


@pytest.fixture(scope="module")
def token(sandbox: InProcessMock) -> str:
    return sandbox.token()


@pytest.fixture(autouse=True)
def fresh_account(sandbox: InProcessMock, token: str) -> None:
    assert sandbox.post(RESET, token).status_code == 200


def book(sandbox, token, type="deposit", currency="USDTERC20", amount="100", headers=None, **extra):
    return sandbox.post(TRANSACTIONS, token, json={"type": type, "currency": currency, "amount": amount, **extra},
                        headers=headers)


def page(sandbox, token, **params):
    return sandbox.get(HISTORY, token, params={"limit": 100, **params}).json


def snapshot(sandbox, token) -> list[bytes]:
    """Everything a client reads of the account, as bytes."""
    reads = [sandbox.get(BALANCES, token), sandbox.get(ACCOUNT, token), sandbox.get(CLOCK, token)]
    reads += [sandbox.get(HISTORY, token, params={"limit": 100, "offset": offset}) for offset in (0, 100, 200, 300)]
    reads += [sandbox.get(HISTORY, token, params={"currency": "USDTERC20"})]
    return [r.data for r in reads]


# -- booking --------------------------------------------------------------------------------

def test_a_deposit_is_the_newest_entry_everywhere_at_once(sandbox, token):
    before_page = page(sandbox, token)
    before = sandbox.get(BALANCES, token).json
    response = book(sandbox, token, amount="250")
    assert response.status_code == 201
    assert_conforms(response)
    entry = response.json
    previous = before["account"]["USDTERC20"]
    assert entry == {"timestamp": "2025-01-15T09:30:00Z", "currency": "USDTERC20", "type": "deposit",
                     "amount": "250.000000", "balance_after": f"{float(previous) + 250:.6f}"}
    after_page = page(sandbox, token)
    assert after_page["history"][0] == entry
    assert after_page["total"] == before_page["total"] + 1
    assert after_page["history"][1:] == before_page["history"][:99]  # everything shifts by one
    balances = sandbox.get(BALANCES, token).json
    assert balances["account"]["USDTERC20"] == entry["balance_after"]
    assert balances["statistics"]["total_deposits"] == before["statistics"]["total_deposits"] + 1
    assert balances["statistics"]["total_withdrawals"] == before["statistics"]["total_withdrawals"]
    assert balances["sub_accounts"] == before["sub_accounts"]


def test_filters_and_pages_agree_after_bookings(sandbox, token):
    filters = {"usdt": {"currency": "USDTERC20"}, "eth": {"currency": "ETH"},
               "deposits": {"type": "deposit"}, "withdrawals": {"type": "withdrawal"}}
    before = {name: page(sandbox, token, **f)["total"] for name, f in filters.items()}
    deposit = book(sandbox, token, amount="10").json
    withdrawal = book(sandbox, token, type="withdrawal", amount="5").json
    assert withdrawal["balance_after"] == f"{float(deposit['balance_after']) - 5:.6f}"
    usdt = page(sandbox, token, **filters["usdt"])
    assert usdt["total"] == before["usdt"] + 2 and usdt["history"][:2] == [withdrawal, deposit]
    assert page(sandbox, token, **filters["eth"])["total"] == before["eth"]
    deposits, withdrawals = page(sandbox, token, **filters["deposits"]), page(sandbox, token, **filters["withdrawals"])
    assert (deposits["history"][0], deposits["total"]) == (deposit, before["deposits"] + 1)
    assert (withdrawals["history"][0], withdrawals["total"]) == (withdrawal, before["withdrawals"] + 1)
    # A page further down holds the same entries as the full page, at the same offsets.
    small = sandbox.get(HISTORY, token, params={"limit": 7, "offset": 2}).json
    full = page(sandbox, token)
    assert small["history"] == full["history"][2:9] and small["total"] == full["total"]


def test_a_new_currency_starts_at_zero(sandbox, token):
    refused = book(sandbox, token, type="withdrawal", currency="SOL", amount="1")
    error = assert_envelope(refused, 409, "insufficient_funds")
    assert error["details"] == {"currency": "SOL", "available": "0.000000", "requested": "1.000000"}
    entry = book(sandbox, token, currency="SOL", amount="1.5").json
    assert entry["balance_after"] == "1.500000"
    account = sandbox.get(BALANCES, token).json["account"]
    assert list(account)[-1] == "SOL" and account["SOL"] == "1.500000"
    assert page(sandbox, token, currency="SOL") == {"history": [entry], "total": 1, "limit": 100, "offset": 0}


def test_a_withdrawal_above_the_balance_is_refused_and_changes_nothing(sandbox, token):
    available = sandbox.get(BALANCES, token).json["account"]["USDCERC20"]
    before = snapshot(sandbox, token)
    requested = f"{float(available) + 0.000001:.6f}"
    error = assert_envelope(book(sandbox, token, type="withdrawal", currency="USDCERC20", amount=requested),
                            409, "insufficient_funds")
    assert error["details"] == {"currency": "USDCERC20", "available": available, "requested": requested}
    assert snapshot(sandbox, token) == before
    emptied = book(sandbox, token, type="withdrawal", currency="USDCERC20", amount=available).json
    assert emptied["balance_after"] == "0.000000"


def test_an_amount_no_balance_can_hold_is_the_accounts_409(sandbox, token):
    """The schema takes up to 13 whole digits; whether a deposit fits depends on the balance."""
    before = snapshot(sandbox, token)
    too_much = book(sandbox, token, currency="SOL", amount="9999999999999")
    assert_conforms(too_much)
    error = assert_envelope(too_much, 409, "balance_limit_exceeded")
    assert error["details"] == {"currency": "SOL", "balance": "0.000000", "requested": "9999999999999.000000",
                                "maximum": "9223372036854.775807"}
    error = assert_envelope(book(sandbox, token, type="withdrawal", currency="SOL", amount="9999999999999"),
                            409, "insufficient_funds")
    assert error["details"] == {"currency": "SOL", "available": "0.000000", "requested": "9999999999999.000000"}
    assert snapshot(sandbox, token) == before


def test_amounts_are_normalised_to_six_places(sandbox, token):
    assert book(sandbox, token, amount="7").json["amount"] == "7.000000"
    assert book(sandbox, token, amount="0.5").json["amount"] == "0.500000"
    assert book(sandbox, token, amount="0.000001").json["amount"] == "0.000001"


def test_a_read_credential_of_the_account_sees_the_bookings_and_another_client_does_not(sandbox, token):
    other = sandbox.token(OTHER)
    other_before = sandbox.get(HISTORY, other).data
    entry = book(sandbox, token, currency="SOL", amount="3").json
    read_only = sandbox.token(DEMO_READ)
    assert sandbox.get(HISTORY, read_only).json["history"][0] == entry
    assert sandbox.get(HISTORY, other).data == other_before
    sandbox.post(RESET, other)


# -- idempotency --------------------------------------------------------------------------

def test_the_same_key_and_body_answer_the_first_booking_again(sandbox, token):
    key = {"Idempotency-Key": "order-1"}
    first = book(sandbox, token, amount="100", headers=key)
    again = book(sandbox, token, amount="100.000000", headers=key)
    assert again.status_code == 201 and again.data == first.data
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert sandbox.get(ACCOUNT, token).json["booked_entries"] == 1
    error = assert_envelope(book(sandbox, token, amount="101", headers=key), 409, "idempotency_key_reused")
    assert error["details"] == {"idempotency_key": "order-1"}
    assert sandbox.get(ACCOUNT, token).json["booked_entries"] == 1


def test_a_refused_request_is_not_remembered_and_reset_forgets_keys(sandbox, token):
    key = {"Idempotency-Key": "payout-7"}
    assert book(sandbox, token, type="withdrawal", currency="SOL", amount="2", headers=key).status_code == 409
    book(sandbox, token, currency="SOL", amount="5")
    assert book(sandbox, token, type="withdrawal", currency="SOL", amount="2", headers=key).status_code == 201
    sandbox.post(RESET, token)
    after_reset = book(sandbox, token, currency="SOL", amount="9", headers=key)  # the key with another booking
    assert after_reset.status_code == 201, after_reset.json  # a key reset did not forget would be a 409
    assert "Idempotent-Replayed" not in after_reset.headers
    assert sandbox.get(ACCOUNT, token).json["booked_entries"] == 1


def test_a_malformed_idempotency_key_is_a_400(sandbox, token):
    error = assert_envelope(book(sandbox, token, headers={"Idempotency-Key": "x" * 256}), 400, "invalid_request")
    assert list(error["details"]) == ["Idempotency-Key"]


# -- the clock ----------------------------------------------------------------------------

def test_the_clock_starts_at_the_newest_entry_and_moves_on_a_second_per_booking(sandbox, token):
    newest = page(sandbox, token)["history"][0]["timestamp"]
    assert sandbox.get(CLOCK, token).json == {"now": newest}
    stamps = [book(sandbox, token, amount="1").json["timestamp"] for _ in range(3)]
    assert stamps == ["2025-01-15T09:30:00Z", "2025-01-15T09:30:01Z", "2025-01-15T09:30:02Z"]
    assert sandbox.get(CLOCK, token).json == {"now": "2025-01-15T09:30:03Z"}


def test_the_clock_advances_and_is_set_forward_only(sandbox, token):
    moved = sandbox.post(CLOCK, token, json={"advance": 3600})
    assert moved.status_code == 200 and moved.json == {"now": "2025-01-15T10:30:00Z"}
    assert_conforms(moved)
    assert sandbox.post(CLOCK, token, json={"set": "2025-02-01T00:00:00Z"}).json == {"now": "2025-02-01T00:00:00Z"}
    assert book(sandbox, token, amount="1").json["timestamp"] == "2025-02-01T00:00:00Z"
    backwards = sandbox.post(CLOCK, token, json={"set": "2025-01-31T00:00:00Z"})
    assert_conforms(backwards)
    error = assert_envelope(backwards, 409, "clock_backwards")
    assert error["details"] == {"clock": "2025-02-01T00:00:01Z", "requested": "2025-01-31T00:00:00Z"}
    assert error["message"] == ("The clock only moves forward: it reads 2025-02-01T00:00:01Z, and "
                                "2025-01-31T00:00:00Z is before that.")
    for body, field in (({"advance": -1}, "advance"), ({}, "body"), ({"advance": 1, "set": "2026-01-01T00:00:00Z"},
                                                                      "body"), ({"advance": "60"}, "advance")):
        assert list(assert_envelope(sandbox.post(CLOCK, token, json=body), 400, "invalid_request")["details"]) \
            == [field], body
    assert sandbox.get(CLOCK, token).json == {"now": "2025-02-01T00:00:01Z"}


def test_a_timestamp_moves_the_clock_and_never_rewrites_history(sandbox, token):
    timed = book(sandbox, token, amount="1", timestamp="2025-03-01T12:00:00Z").json
    assert timed["timestamp"] == "2025-03-01T12:00:00Z"
    assert book(sandbox, token, amount="1").json["timestamp"] == "2025-03-01T12:00:01Z"
    before = snapshot(sandbox, token)
    backdated = book(sandbox, token, amount="1", timestamp="2025-03-01T11:59:59Z", headers={"Idempotency-Key": "b"})
    assert_conforms(backdated)
    error = assert_envelope(backdated, 409, "backdated_transaction")
    assert error["details"] == {"newest_entry": "2025-03-01T12:00:01Z", "requested": "2025-03-01T11:59:59Z"}
    assert "never rewrites history" in error["message"]
    assert snapshot(sandbox, token) == before
    assert book(sandbox, token, amount="1", headers={"Idempotency-Key": "b"}).status_code == 201  # not remembered


def test_a_whole_number_written_with_a_fraction_is_that_integer(sandbox, token):
    """JSON Schema counts 3600.0 as an integer, as DRF's IntegerField reads it: the clock moves
    by 3600 s (it was a 500)."""
    moved = sandbox.post(CLOCK, token, data=b'{"advance": 3600.0}', content_type="application/json")
    assert (moved.status_code, moved.json) == (200, {"now": "2025-01-15T10:30:00Z"})
    assert_envelope(sandbox.post(CLOCK, token, data=b'{"advance": 1.5}', content_type="application/json"),
                    400, "invalid_request")


def test_the_clock_stops_at_the_last_second_a_timestamp_can_show(sandbox, token):
    assert sandbox.post(CLOCK, token, json={"set": "9999-12-31T23:59:00Z"}).status_code == 200
    before = snapshot(sandbox, token)
    for refused, field, value in ((sandbox.post(CLOCK, token, json={"advance": 60}), "advance", 60),
                                  (book(sandbox, token, timestamp="9999-12-31T23:59:59Z"), "timestamp",
                                   "9999-12-31T23:59:59Z")):
        assert_conforms(refused)
        error = assert_envelope(refused, 409, "clock_limit_exceeded")
        assert error["details"] == {"clock": "9999-12-31T23:59:00Z", field: value, "maximum": "9999-12-31T23:59:59Z"}
    assert snapshot(sandbox, token) == before
    assert sandbox.post(CLOCK, token, json={"advance": 59}).json == {"now": "9999-12-31T23:59:59Z"}


# -- reset and the account ------------------------------------------------------------------

def test_reset_returns_the_account_byte_for_byte(sandbox, token):
    pristine = snapshot(sandbox, token)
    book(sandbox, token, currency="SOL", amount="1", headers={"Idempotency-Key": "k"})
    book(sandbox, token, type="withdrawal", amount="1")
    sandbox.post(CLOCK, token, json={"advance": 86400})
    assert snapshot(sandbox, token) != pristine
    reset = sandbox.post(RESET, token)
    assert reset.status_code == 200 and reset.json["booked_entries"] == 0
    assert_conforms(reset)
    assert snapshot(sandbox, token) == pristine
    fresh = InProcessMock(Settings(token_secret=SECRET))
    fresh_token = fresh.token()
    assert [fresh.get(BALANCES, fresh_token).data, fresh.get(HISTORY, fresh_token).data] == \
           [sandbox.get(BALANCES, token).data, sandbox.get(HISTORY, token).data]


def test_the_account_says_what_it_is_built_from_and_what_was_booked(sandbox, token):
    book(sandbox, token, amount="1")
    response = sandbox.get(ACCOUNT, token)
    assert_conforms(response)
    assert response.json == {"account": "demo", "scenario": "default", "seed": 1, "ledger_file": None,
                             "base_entries": 300, "booked_entries": 1, "clock": "2025-01-15T09:30:01Z"}


def test_an_empty_account_starts_its_clock_at_the_reference_time():
    clients = (Client("new", "new-secret", frozenset({"read", "write"}), scenario="empty"),)
    empty = InProcessMock(Settings(token_secret=SECRET, clients=clients))
    token = empty.token(("new", "new-secret"))
    assert empty.get(CLOCK, token).json == {"now": "2025-01-15T09:30:00Z"}
    entry = book(empty, token, currency="BTC", amount="0.1").json
    assert entry["balance_after"] == "0.100000"
    assert empty.get(BALANCES, token).json == {"account": {"BTC": "0.100000"}, "sub_accounts": {},
                                               "statistics": {"total_deposits": 1, "total_withdrawals": 0}}


# -- bad input ----------------------------------------------------------------------------

BAD_BODIES = [
    ({"type": "deposit", "currency": "USDTERC20", "amount": "-1"}, "amount"),
    ({"type": "deposit", "currency": "USDTERC20", "amount": "1.1234567"}, "amount"),
    ({"type": "deposit", "currency": "USDTERC20", "amount": "abc"}, "amount"),
    ({"type": "deposit", "currency": "USDTERC20", "amount": "0.000000"}, "amount"),
    ({"type": "deposit", "currency": "USDTERC20", "amount": "0"}, "amount"),
    ({"type": "deposit", "currency": "USDTERC20", "amount": 100}, "amount"),
    ({"type": "payment", "currency": "USDTERC20", "amount": "1"}, "type"),
    ({"type": "deposit", "currency": "usdt", "amount": "1"}, "currency"),
    ({"type": "deposit", "currency": "USDTERC20", "amount": "1", "memo": "x"}, "memo"),
    ({"type": "deposit", "currency": "USDTERC20"}, "amount"),
    ({"type": "deposit", "currency": "USDTERC20", "amount": "1", "timestamp": "2025-02-30T00:00:00Z"}, "timestamp"),
    ({"type": "deposit", "currency": "USDTERC20", "amount": "1", "timestamp": "2025-02-01T00:00:00+01:00"},
     "timestamp"),
    (["deposit"], "body"),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES, ids=[str(b) for b, _ in BAD_BODIES])
def test_bad_bodies_are_a_400_naming_the_field_and_book_nothing(sandbox, token, body, field):
    before = snapshot(sandbox, token)
    error = assert_envelope(sandbox.post(TRANSACTIONS, token, json=body), 400, "invalid_request")
    assert field in error["details"] and all(error["details"][field]), error
    assert field in error["message"]
    assert snapshot(sandbox, token) == before


@pytest.mark.parametrize(("data", "content_type"), [
    (b'{"type": "deposit", "currency": "USDTERC20", "amount": "1"', "application/json"),
    (b'{"type": "deposit", "currency": "USDTERC20", "amount": 1e400}', "application/json"),
    (b"type=deposit&currency=USDTERC20&amount=1", "application/x-www-form-urlencoded"),
    (b"", "application/json"),
])
def test_malformed_json_and_other_media_types_are_a_400(sandbox, token, data, content_type):
    response = sandbox.post(TRANSACTIONS, token, data=data, content_type=content_type)
    assert_envelope(response, 400, "invalid_request")
    assert sandbox.get(ACCOUNT, token).json["booked_entries"] == 0


def test_the_control_api_needs_a_token_and_write_to_change_anything(sandbox, token):
    assert_envelope(sandbox.post(TRANSACTIONS, None, json={"type": "deposit", "currency": "SOL", "amount": "1"}),
                    401, "authentication_failed")
    read_only = sandbox.token(DEMO_READ)
    for path, body in ((TRANSACTIONS, {"type": "deposit", "currency": "SOL", "amount": "1"}),
                       (CLOCK, {"advance": 1}), (RESET, None)):
        error = assert_envelope(sandbox.post(path, read_only, json=body), 403, "insufficient_permissions")
        assert error["details"]["required_scopes"] == ["write"]
    assert sandbox.get(CLOCK, read_only).status_code == 200
    assert sandbox.get(ACCOUNT, read_only).status_code == 200
    assert sandbox.get(ACCOUNT, token).json["booked_entries"] == 0


def test_other_methods_are_a_405_with_allow(sandbox, token):
    response = sandbox.request("DELETE", CLOCK, token)
    assert_envelope(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, POST"
    assert sandbox.get(TRANSACTIONS, token).headers["Allow"] == "POST"


# -- the sandbox off, and what it leaves alone ------------------------------------------------

def test_without_the_sandbox_its_paths_are_unknown_like_any_other():
    plain = InProcessMock(Settings(token_secret=SECRET, sandbox=False))
    token = plain.token()
    for path in (ACCOUNT, TRANSACTIONS, "/__sandbox/", "/__nope/"):
        response = plain.post(path, token, json={}) if path == TRANSACTIONS else plain.get(path, token)
        error = assert_envelope(response, 404, "not_found")
        assert error == {"code": "not_found", "message": f"No such path: {path}.", "details": {"path": path}}


def test_the_control_api_is_neither_rate_limited_nor_faulty_on_purpose():
    limited = InProcessMock(Settings(token_secret=SECRET, rate_limit="3/minute"))
    token = limited.token()  # the first of three
    for _ in range(5):
        assert book(limited, token, currency="SOL", amount="1").status_code == 201
        assert limited.get(CLOCK, token, headers={"Prefer": "code=500"}).status_code == 200
    assert limited.get(BALANCES, token).status_code == 200
    assert limited.get(BALANCES, token).status_code == 200
    assert_envelope(limited.get(BALANCES, token), 429, "rate_limit_exceeded")


def test_the_same_calls_on_two_fresh_apps_give_the_same_bytes():
    def session() -> list[bytes]:
        app = InProcessMock(Settings(token_secret=SECRET))
        token = app.token(DEMO)
        answers = [book(app, token, currency=c, amount=a).data for c, a in (("SOL", "1"), ("ETH", "0.1"))]
        answers.append(app.post(CLOCK, token, json={"advance": 60}).data)
        answers.append(book(app, token, type="withdrawal", currency="SOL", amount="0.25").data)
        return answers + snapshot(app, token)

    assert session() == session()
