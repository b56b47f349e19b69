"""--anonymize: the same seed gives the same recording, no real figure or date is left, and the
account is as consistent as it was (links that held still hold, those that did not still not)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from mock_server.ledger.ledger import Ledger
from mock_server.ledger.ledger_file import from_document
from mock_server.ledger.reconcile import reconcile
from mock_server.ledger.recorded import BODY
from mock_server.record.anonymize import AnonymizeError, Disguise, anonymize

from ..support.recordings import generated_account, real_account, recording_of


def findings_of(document):
    return reconcile(document["entries"], document[BODY], document.get("opening"), document["source"]["partial"])


def figures(document) -> set[str]:
    """Every amount and timestamp string of a recording, but zero (which scaling keeps)."""
    found = {v for e in document["entries"] for k, v in e.items() if k in ("timestamp", "amount", "balance_after")}
    found |= {v for part in ("account", "sub_accounts") for v in document[BODY][part].values()}
    found |= set((document.get("opening") or {}).get("balances", {}).values())
    return found - {"0.000000"}


@pytest.fixture(scope="module")
def account():
    return generated_account()


def test_the_same_seed_gives_the_same_bytes_and_another_seed_others(account):
    document = recording_of(account)
    first, second = anonymize(document, "7")[0], anonymize(document, "7")[0]
    assert json.dumps(first) == json.dumps(second)
    assert json.dumps(anonymize(document, "8")[0]) != json.dumps(first)


@pytest.mark.parametrize("keep", [None, 120], ids=["whole", "newest-120"])
def test_no_figure_or_date_is_left_and_the_account_still_reconciles(account, keep):
    document = recording_of(account, keep)
    disguised, dropped = anonymize(document, "seed-1")
    text = json.dumps(disguised)
    assert not [figure for figure in figures(document) if f'"{figure}"' in text]
    assert findings_of(disguised) == [] and dropped == []
    assert isinstance(from_document(Path("ledger.json"), disguised), Ledger)
    assert "recorded_at" not in disguised["source"] and disguised["source"]["anonymized"] is True
    kept = [(e["currency"], e["type"]) for e in document["entries"]]
    assert [(e["currency"], e["type"]) for e in disguised["entries"]] == kept
    assert disguised[BODY]["statistics"] == document[BODY]["statistics"]


def test_what_did_not_reconcile_still_does_not_and_undocumented_fields_go():
    account, odd = real_account()
    document = recording_of(account)
    disguised, dropped = anonymize(document, "seed-1")
    before = [(f.kind, f.currency, f.offset) for f in findings_of(document) if f.kind != "fields"]
    assert [(f.kind, f.currency, f.offset) for f in findings_of(disguised)] == before
    assert dropped == ["entries[].reference"]
    assert "inv-1042" not in json.dumps(disguised)


def test_tiny_movements_never_round_to_nothing():
    entries = [{"timestamp": f"2025-01-0{i + 1}T00:00:00Z", "currency": "BTC", "type": kind, "amount": amount,
                "balance_after": after}
               for i, (kind, amount, after) in enumerate([("deposit", "0.000001", "0.000001"),
                                                          ("deposit", "0.000001", "0.000002"),
                                                          ("withdrawal", "0.000001", "0.000001"),
                                                          ("withdrawal", "0.000001", "0.000000")])]
    body = {"account": {"BTC": "0.000000"}, "sub_accounts": {}, "statistics": {"total_deposits": 2,
                                                                               "total_withdrawals": 2}}
    document = {"format": "balances-mock/ledger@1", "source": {"recorded_from": "x", "partial": False},
                "entries": entries, BODY: body}
    disguised, _ = anonymize(document, "1")
    assert all(Decimal(e["amount"]) > 0 for e in disguised["entries"])
    assert findings_of(disguised) == []


def test_timestamps_keep_their_form():
    disguise = Disguise("3")
    assert disguise.shift("2025-01-15T09:30:00.250Z").endswith(".250Z")
    assert disguise.shift("2025-01-15T09:30:00+00:00").endswith("+00:00")
    assert disguise.shift("2025-01-15T09:30:00Z") != "2025-01-15T09:30:00Z"
    assert re.fullmatch(r"0\d{3}-\d\d-\d\dT\d\d:\d\d:\d\dZ", disguise.shift("0900-06-15T09:30:00Z"))  # four digits
    with pytest.raises(AnonymizeError, match="cannot be shifted"):
        disguise.shift("15/01/2025 09:30")


def test_amounts_keep_their_places_and_factors_stay_above_one():
    disguise = Disguise("3")
    assert all(Decimal("1.5") <= disguise.factor(c) <= Decimal("9.5") for c in ("ETH", "BTC", "USDTERC20"))
    assert len(disguise.scale("5.12345678", "ETH").split(".")[1]) == 8
    assert disguise.scale("n/a", "ETH") == "n/a" and disguise.scale("0.000000", "ETH") == "0.000000"
