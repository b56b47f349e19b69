"""A recording's ledger.json loads as the mock's own ledger when that ledger writes every entry and
the balances exactly as recorded; otherwise as a recording served as recorded, with the reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.ledger.ledger import Ledger
from mock_server.ledger.ledger_file import LedgerFileError, from_document
from mock_server.ledger.recorded import Recorded
from mock_server.ledger.render import render_balances, render_history

from ..support.recordings import compact, generated_account, page, real_account, recording_of

FILE = Path("ledger.json")


def test_a_recording_that_reconciles_is_the_mocks_own_ledger():
    account = generated_account()
    loaded = from_document(FILE, recording_of(account))
    assert isinstance(loaded, Ledger)
    assert compact(render_balances(loaded)) == compact(account.balances)
    for offset in (0, 100, 200):
        params = {"limit": 100, "offset": offset}
        assert compact(render_history(loaded, params)) == compact(page(account, None, None, 100, offset))


def test_the_newest_entries_load_as_a_ledger_that_opens_mid_history():
    account = generated_account()
    loaded = from_document(FILE, recording_of(account, keep=50))
    assert isinstance(loaded, Ledger) and len(loaded) == 50
    assert compact(render_balances(loaded)) == compact(account.balances)  # the statistics count the whole account
    assert render_history(loaded, {"limit": 50, "offset": 0})["history"] == account.entries[:50]


@pytest.fixture(scope="module")
def real():
    account, odd = real_account()
    return account, odd, from_document(FILE, recording_of(account))


def test_a_recording_that_does_not_reconcile_is_served_as_recorded(real):
    account, odd, loaded = real
    assert isinstance(loaded, Recorded)
    assert len(loaded.reasons) == 5 and any("'payment'" in reason for reason in loaded.reasons)
    assert loaded.balances_body == account.balances
    rendered = loaded.raw
    for currency, kind, limit, offset in [(None, None, 100, 0), (None, None, 100, 200), (None, "payment", 10, 0),
                                          (None, "deposit", 7, 3), (odd.chain_currency, None, 100, 0),
                                          (odd.chain_currency, "deposit", 5, 2), ("DOGE", None, 5, 0),
                                          (None, None, 5, 10_000)]:
        served = render_history(loaded, {"currency": currency, "type": kind, "limit": limit, "offset": offset},
                                rendered)
        assert compact(served) == compact(page(account, currency, kind, limit, offset)), (currency, kind)
    assert loaded.newest_second() is not None


def test_fields_in_another_order_alone_are_served_as_recorded():
    document = recording_of(generated_account(30))
    document["entries"][-1] = dict(reversed(list(document["entries"][-1].items())))
    loaded = from_document(FILE, document)
    assert isinstance(loaded, Recorded) and "another order" in loaded.reasons[0]
    assert list(loaded.raw(29)) == list(reversed(["timestamp", "currency", "type", "amount", "balance_after"]))


def test_what_is_not_named_by_the_report_is_still_a_reason():
    """The sub-accounts listed in another order than the balances: nothing is wrong with the
    figures, but the mock would write the body otherwise, so it is served as recorded."""
    account = generated_account(30)
    sub_accounts = account.balances["sub_accounts"]
    account.balances["sub_accounts"] = dict(reversed(list(sub_accounts.items())))
    loaded = from_document(FILE, recording_of(account))
    assert isinstance(loaded, Recorded)
    assert loaded.reasons[0].startswith("the balances body is recorded as")


def test_a_recording_the_mock_cannot_filter_is_refused():
    document = recording_of(generated_account(10))
    del document["entries"][3]["currency"]
    with pytest.raises(LedgerFileError, match=r"ledger.json: \$.entries\[3\]: 'currency' is a required property"):
        from_document(FILE, document)

