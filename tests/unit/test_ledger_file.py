"""ledger.json round-trips, and a bad one is refused with the file, the JSON path and the fault."""

from __future__ import annotations

import copy
import json

import pytest

from mock_server.ledger.ledger import format_amount
from mock_server.ledger.ledger_file import LedgerFileError, dump, load
from mock_server.ledger.scenarios import build_ledger


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(dump(build_ledger("default", 4, "demo", entries=60), {"scenario": "default", "seed": 4}))


def write(tmp_path, document) -> str:
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return str(path)


def test_round_trip_gives_the_same_ledger_and_bytes(tmp_path):
    ledger = build_ledger("whale", 2, "acme")
    path = tmp_path / "ledger.json"
    path.write_bytes(dump(ledger, {}))
    loaded = load(tmp_path)  # a folder holding ledger.json works too
    assert [loaded.entry(i) for i in range(len(loaded))] == [ledger.entry(i) for i in range(len(ledger))]
    assert loaded.wallets == ledger.wallets and dump(loaded, {}) == path.read_bytes()


def broken(document, change):
    copied = copy.deepcopy(document)
    change(copied)
    return copied


def set_in(path, value):
    def change(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


CASES = [
    ("{ not json", "not valid JSON"),
    (lambda d: broken(d, lambda x: x.pop("entries")), "$: 'entries' is a required property"),
    (lambda d: broken(d, set_in(["entries", 2, "amount"], "12.5")), "$.entries[2].amount: '12.5' does not match"),
    (lambda d: broken(d, set_in(["entries", 2, "amount"], 12.5)), "$.entries[2].amount: 12.5 is not of type"),
    (lambda d: broken(d, set_in(["entries", 5, "balance_after"], "1.000000")),
     "$.entries[5].balance_after: expected"),
    (lambda d: broken(d, set_in(["entries", 1, "type"], "payment")), "$.entries[1].type: the mock books"),
    (lambda d: broken(d, set_in(["entries", 1, "currency"], "DOGE")), "$.entries[1].currency: 'DOGE' is not in"),
    (lambda d: broken(d, set_in(["entries", 1, "timestamp"], "2000-01-01T00:00:00Z")),
     "$.entries[1].timestamp: entries are oldest first"),
    (lambda d: broken(d, set_in(["entries", 0, "timestamp"], "2020-02-30T00:00:00Z")),
     "$.entries[0].timestamp: 2020-02-30T00:00:00Z is not a real date"),
    (lambda d: broken(d, set_in(["entries", 0, "timestamp"], "2020-01-01T00:00:00.5Z")),
     "$.entries[0].timestamp: the mock keeps whole seconds"),
    (lambda d: broken(d, set_in(["entries", 0, "amount"], "99999999999999.000000")),
     "$.entries[0].amount: 99999999999999.000000 is larger than the mock can hold"),
    (lambda d: broken(d, set_in(["balances", "USDTERC20"], "0.000001")), "$.balances.USDTERC20: expected"),
    (lambda d: broken(d, set_in(["statistics", "total_deposits"], 0)), "$.statistics: expected"),
    (lambda d: broken(d, set_in(["format"], "something-else")), "$.format:"),
]


@pytest.mark.parametrize(("make", "message"), CASES, ids=[m for _, m in CASES])
def test_bad_files_are_refused_with_path_and_reason(tmp_path, document, make, message):
    path = write(tmp_path, make(document) if callable(make) else make)
    with pytest.raises(LedgerFileError) as refused:
        load(tmp_path / "ledger.json")
    assert str(refused.value).startswith(f"{path}: ")
    assert message in str(refused.value)


def test_a_withdrawal_below_zero_is_refused(tmp_path):
    document = {"format": "balances-mock/ledger@1", "currencies": ["ETH"], "balances": {}, "sub_accounts": [],
                "statistics": {"total_deposits": 0, "total_withdrawals": 1},
                "entries": [{"timestamp": "2025-01-01T00:00:00Z", "currency": "ETH", "type": "withdrawal",
                             "amount": "1.000000", "balance_after": "0.000000"}]}
    write(tmp_path, document)
    with pytest.raises(LedgerFileError, match=r"\$.entries\[0\].amount: withdrawing 1.000000 from 0.000000 ETH"):
        load(tmp_path / "ledger.json")


def as_recording(document: dict) -> dict:
    """``document``'s account as ``balances-mock record`` keeps one: entries and balances body as answered."""
    body = {"account": document["balances"], "sub_accounts": {}, "statistics": document["statistics"]}
    return {"format": document["format"], "source": {"recorded_from": "https://api.example.com"},
            "entries": document["entries"], "balances_body": body}


@pytest.mark.parametrize(("make", "where"), [
    (lambda d: broken(as_recording(d), set_in(["entries", 5, "amount"], "0.5\udcff")), "$.entries[5].amount"),
    (lambda d: broken(as_recording(d), set_in(["balances_body", "note\ud800"], 1)), "$.balances_body"),
    (lambda d: broken(d, set_in(["sub_accounts", 0, "name"], "\udcff")), "$.sub_accounts[0].name"),
])
def test_a_lone_surrogate_is_refused_as_not_text(tmp_path, document, make, where):
    """JSON's \\u escapes can spell a lone surrogate, which no answer can carry: a recording served
    as recorded failed every read of its history (found by fuzzing)."""
    path = write(tmp_path, make(document))
    with pytest.raises(LedgerFileError, match="lone surrogate") as refused:
        load(tmp_path / "ledger.json")
    assert str(refused.value).startswith(f"{path}: {where}: ")


def test_a_refusal_is_one_line_whatever_the_file_holds(tmp_path, document):
    """A key of the file is part of the message; its control characters are escaped, so the
    message stays one line and writes nothing into a terminal (found by fuzzing)."""
    write(tmp_path, broken(document, set_in(["balances", "ETH\n\x1b[31mOK"], None)))
    with pytest.raises(LedgerFileError) as refused:
        load(tmp_path / "ledger.json")
    assert "\n" not in str(refused.value) and "\x1b" not in str(refused.value)
    assert "ETH\\n\\x1b[31mOK" in str(refused.value)


def test_missing_file(tmp_path):
    with pytest.raises(LedgerFileError, match="cannot read"):
        load(tmp_path / "nope.json")


def newest_entries(document, keep):
    """The newest ``keep`` entries of ``document``, opening where the dropped ones left off."""
    cut = copy.deepcopy(document)
    dropped, cut["entries"] = cut["entries"][:-keep], cut["entries"][-keep:]
    last: dict[str, str] = {}
    for entry in dropped:
        last[entry["currency"]] = entry["balance_after"]
    counted = {f"total_{t}s": sum(e["type"] == t for e in dropped) for t in ("deposit", "withdrawal")}
    cut["opening"] = {"balances": last, "statistics": counted}
    return cut


def test_a_ledger_opening_mid_history_chains_from_its_opening_balances(tmp_path, document):
    """The newest entries of an account, with what the older ones left: balances and statistics
    are the whole account's, a currency without a kept entry keeps its opening balance."""
    cut = newest_entries(document, 5)
    assert set(cut["opening"]["balances"]) - {e["currency"] for e in cut["entries"]}, "a currency without entries"
    write(tmp_path, cut)
    ledger = load(tmp_path / "ledger.json")
    assert len(ledger) == 5
    assert ledger.statistics() == document["statistics"]
    assert {c: format_amount(v) for c, v in ledger.balances().items()} == document["balances"]
    assert json.loads(dump(ledger, {"scenario": "default", "seed": 4})) == cut  # the opening round-trips


def test_an_opening_that_does_not_lead_to_the_first_entry_is_refused(tmp_path, document):
    cut = newest_entries(document, 5)
    currency = cut["entries"][0]["currency"]
    units, fraction = cut["opening"]["balances"][currency].split(".")
    cut["opening"]["balances"][currency] = f"{int(units) + 1}.{fraction}"
    write(tmp_path, cut)
    with pytest.raises(LedgerFileError, match=r"\$.entries\[0\].balance_after: expected"):
        load(tmp_path / "ledger.json")
