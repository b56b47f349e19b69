"""The report of what in a recording does not reconcile: each finding names the currency, the
entry (offset in the history, newest first, and timestamp) and what was expected against what
came back; a recording that reconciles has none."""

from __future__ import annotations

import copy

import pytest

from mock_server.ledger.reconcile import reconcile
from mock_server.ledger.recorded import BODY

from ..support.recordings import generated_account, real_account, recording_of


def findings_of(document):
    return reconcile(document["entries"], document[BODY], document.get("opening"), document["source"]["partial"])


def test_an_account_that_reconciles_has_no_finding():
    assert findings_of(recording_of(generated_account())) == []


def test_the_newest_entries_reconcile_from_their_opening():
    document = recording_of(generated_account(), keep=70)
    assert document["source"]["partial"] and document["opening"]["statistics"]["total_deposits"] > 0
    assert findings_of(document) == []


@pytest.fixture(scope="module")
def real():
    account, odd = real_account()
    return findings_of(recording_of(account)), odd


def test_each_kind_of_departure_is_named_once_where_it_is(real):
    findings, odd = real
    assert sorted(f.kind for f in findings) == ["balance", "chain", "fields", "type", "type"], findings
    payment, to_sub = (next(f for f in findings if f.got == kind) for kind in ("payment", "to_sub"))
    assert (payment.offset, payment.count, to_sub.offset) == (odd.payment, 1, odd.to_sub)
    assert "the documentation does not say whether 'payment' adds or subtracts" in payment.message
    fields = next(f for f in findings if f.kind == "fields")
    assert fields.offset == odd.reference and "'reference'" in fields.message


def test_a_broken_link_gives_currency_entry_expected_and_got(real):
    findings, odd = real
    chain = next(f for f in findings if f.kind == "chain")
    assert (chain.currency, chain.offset, chain.expected, chain.got) == (
        odd.chain_currency, odd.chain, odd.chain_expected, odd.chain_got)
    assert chain.timestamp and chain.timestamp in chain.message
    assert f"is {odd.chain_got}, expected {odd.chain_expected}" in chain.message


def test_a_balance_that_disagrees_with_the_history(real):
    findings, odd = real
    balance = next(f for f in findings if f.kind == "balance")
    assert (balance.currency, balance.expected, balance.got) == (odd.balance_currency, odd.balance_expected,
                                                                 odd.balance_got)
    assert "the newest balance_after" in balance.message


def change(document, how):
    changed = copy.deepcopy(document)
    how(changed)
    return findings_of(changed)


@pytest.fixture(scope="module")
def clean():
    return recording_of(generated_account(40))


@pytest.mark.parametrize(("how", "kind", "words"), [
    (lambda d: d["entries"][5].update(amount="5.1"), "amount", "amounts not in the API's form"),
    (lambda d: d["entries"][5].update(timestamp=d["entries"][5]["timestamp"].replace("Z", ".250Z")), "timestamp",
     "fractions of a second"),
    (lambda d: d["entries"][5].update(timestamp="yesterday"), "timestamp", "not in the API's form"),
    (lambda d: d["entries"][5].update(timestamp="2030-01-01T00:00:00Z"), "order", "not newest first"),
    (lambda d: d[BODY]["statistics"].update(total_deposits=0), "statistics", "total_deposits is 0, expected"),
    (lambda d: d[BODY]["statistics"].update(total_payments=3), "fields", "'total_payments'"),
    (lambda d: d[BODY].update(updated_at="2025-01-15T09:30:00Z"), "fields", "'updated_at'"),
    (lambda d: d[BODY]["account"].update(USDTSOL="1.000000"), "balance", "the history has no entry in it"),
    (lambda d: d["entries"][5].pop("balance_after"), "fields", "without 'balance_after'"),
    (lambda d: d["entries"].__setitem__(5, dict(reversed(list(d["entries"][5].items())))), "fields",
     "another order"),
])
def test_each_departure_on_its_own(clean, how, kind, words):
    findings = change(clean, how)
    assert [f.kind for f in findings if f.kind == kind], findings
    assert any(words in f.message for f in findings), [f.message for f in findings]
    offsets = {f.offset for f in findings if f.offset is not None}
    assert offsets <= {len(clean["entries"]) - 1 - 5, len(clean["entries"]) - 1 - 6, len(clean["entries"]) - 1 - 4}


def test_a_currency_listed_at_zero_without_history_reconciles(clean):
    assert change(clean, lambda d: d[BODY]["account"].update(USDTSOL="0.000000")) == []


def test_many_entries_of_one_kind_are_one_finding_that_counts_them(clean):
    findings = change(clean, lambda d: [e.update(fee="0.100000") for e in d["entries"]])
    assert len(findings) == 1 and findings[0].count == 40 and findings[0].offset == 0
