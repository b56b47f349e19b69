"""A recorded account through the test client: served byte for byte as recorded when it does not
reconcile, with bookings refused in the envelope; served by the mock's own ledger, sandbox
included, when it does."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from mock_server import Settings

from ..support import ACCOUNT, BALANCES, CLOCK, HISTORY, RESET, SECRET, TRANSACTIONS
from ..support.assertions import assert_conforms, assert_envelope
from ..support.mock import InProcessMock
from ..support.recordings import SOURCE_URL, compact, generated_account, page, real_account, recording_of


def serving(folder: Path, document: dict) -> InProcessMock:
    folder.mkdir()
    (folder / "ledger.json").write_text(json.dumps(document, indent=2))
    return InProcessMock(Settings(token_secret=SECRET, ledger_path=folder))


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    account, odd = real_account()
    mock = serving(tmp_path_factory.mktemp("real") / "recording", recording_of(account))
    return account, odd, mock, mock.token()


def test_every_page_and_filter_is_the_recorded_bytes(real):
    account, odd, mock, token = real
    assert mock.get(BALANCES, token).data == compact(account.balances)
    for params in [{"limit": 100, "offset": 0}, {"limit": 100, "offset": 100}, {"limit": 100, "offset": 200}, {},
                   {"type": "payment"}, {"type": "to_sub", "limit": 5}, {"currency": odd.chain_currency, "limit": 50},
                   {"currency": odd.chain_currency, "type": "deposit", "offset": 3}, {"type": "nothing"}]:
        response = mock.get(HISTORY, token, params=params)
        assert response.status_code == 200
        expected = page(account, params.get("currency"), params.get("type"), params.get("limit", 20),
                        params.get("offset", 0))
        assert response.data == compact(expected), params


def test_a_booking_is_refused_and_says_what_does_not_reconcile(real):
    account, odd, mock, token = real
    before = mock.get(HISTORY, token).data
    refused = mock.post(TRANSACTIONS, token, json={"type": "deposit", "currency": "ETH", "amount": "1"})
    error = assert_envelope(refused, 409, "ledger_read_only")
    assert_conforms(refused)
    assert error["details"]["recorded_from"] == SOURCE_URL and len(error["details"]["reasons"]) == 5
    assert "entries of type 'payment'" in error["message"] and "and 4 more" in error["message"]
    assert any(f"expected {odd.chain_expected}" in reason for reason in error["details"]["reasons"])
    assert mock.get(HISTORY, token).data == before


def test_the_clock_and_reset_work_as_on_any_account(real):
    """The clock starts at the newest recorded entry, moves forward, and reset brings it back
    (bookings are refused on this account, so the clock is what reset has to undo)."""
    account, odd, mock, token = real
    start = account.entries[0]["timestamp"]
    assert mock.get(CLOCK, token).json == {"now": start}
    later = (datetime.fromisoformat(start) + timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    moved = mock.post(CLOCK, token, json={"advance": 60})
    assert moved.status_code == 200 and moved.json == {"now": later}
    assert mock.get(CLOCK, token).json == {"now": later}
    assert mock.post(RESET, token).status_code == 200
    assert mock.get(CLOCK, token).json == {"now": start}
    assert mock.get(ACCOUNT, token).json["base_entries"] == len(account.entries)


def test_a_recording_that_reconciles_takes_bookings(tmp_path):
    account = generated_account()
    mock = serving(tmp_path / "recording", recording_of(account, keep=120))
    token = mock.token()
    currency, balance = next(iter(account.balances["account"].items()))
    booked = mock.post(TRANSACTIONS, token, json={"type": "deposit", "currency": currency, "amount": "1"})
    assert booked.status_code == 201, booked.text
    units, fraction = balance.split(".")
    assert booked.json["balance_after"] == f"{int(units) + 1}.{fraction}"
    statistics = mock.get(BALANCES, token).json["statistics"]
    assert statistics["total_deposits"] == account.balances["statistics"]["total_deposits"] + 1
