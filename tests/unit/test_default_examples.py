"""The examples tools serve by default (the first of each response: Prism, Postman, docs
pages) describe one account that passes the contract suite's own paging and ledger rules,
run here on the examples instead of on HTTP answers. The documentation's verbatim examples
stay in the spec beside them, and the same rules show why they cannot be the default."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import pytest

from contract_tests import checks

from ..support import BALANCES, HISTORY, SPEC_PATH, read_yaml

SPEC = read_yaml(SPEC_PATH)


def examples(path: str, status: str = "200") -> dict[str, Any]:
    """The named examples of an operation's JSON response, in the spec's order."""
    response = SPEC["paths"][path]["get"]["responses"][status]
    return {name: example["value"] for name, example in response["content"]["application/json"]["examples"].items()}


def default(path: str, status: str = "200") -> Any:
    return next(iter(examples(path, status).values()))


def query_defaults() -> dict[str, Any]:
    """What GET without parameters asks for: the spec's defaults of limit and offset."""
    parameters = SPEC["paths"][HISTORY]["get"]["parameters"]
    return {p["name"]: p["schema"]["default"] for p in parameters if "default" in p["schema"]}


def check_page(page: Mapping[str, Any], limit: int, offset: int) -> None:
    """The paging rules of contract_tests/test_pagination.py on one page."""
    checks.page_echoes_paging(None, page, limit, offset)
    checks.page_size_is_bounded(None, page, limit, offset)
    checks.newest_first(None, page["history"])


def check_ledger(balances: Mapping[str, Any], page: Mapping[str, Any]) -> None:
    """The ledger rules of contract_tests/test_ledger.py, on a page that holds the whole history."""
    entries = page["history"]
    assert page["offset"] == 0 and page["total"] == len(entries), "the page must hold the whole history"
    for currency in dict.fromkeys([*balances["account"], *(e["currency"] for e in entries)]):
        mine = [e for e in entries if e["currency"] == currency]
        checks.balance_chain(None, currency, mine)
        checks.balance_is_newest_balance_after(None, currency, balances["account"], mine[0] if mine else None)
    types = Counter(e["type"] for e in entries)
    checks.statistics_count_history(None, balances["statistics"], types["deposit"], types["withdrawal"])


def test_the_default_history_page_passes_the_paging_rules():
    defaults = query_defaults()
    check_page(default(HISTORY), defaults["limit"], defaults["offset"])


def test_the_default_examples_pass_the_ledger_rules():
    check_ledger(default(BALANCES), default(HISTORY))


def test_each_oldest_entry_is_a_deposit_into_an_empty_balance():
    """The chain rule compares neighbours only; the account also starts from zero, as the mock's do."""
    oldest = {}
    for entry in default(HISTORY)["history"]:
        oldest[entry["currency"]] = entry
    for entry in oldest.values():
        assert entry["type"] == "deposit" and entry["balance_after"] == entry["amount"], entry


def test_the_history_403_fits_the_history_scope():
    """History needs only read, so its refusal names read, never a read-only token."""
    details = default(HISTORY, "403")["error"]["details"]
    assert details["required_scopes"] == SPEC["paths"][HISTORY]["get"]["security"][0]["oauth2"]
    assert not set(details["required_scopes"]) <= set(details["granted_scopes"])


def test_the_documentation_examples_stay_verbatim_but_not_first():
    documented_page, documented_balances = examples(HISTORY)["documented"], examples(BALANCES)["documented"]
    assert documented_page["history"][0]["balance_after"] == "5500.000000" and documented_page["total"] == 35
    assert documented_balances["statistics"] == {"total_deposits": 1234, "total_withdrawals": 456}
    assert default(HISTORY) is not documented_page and default(BALANCES) is not documented_balances


@pytest.mark.parametrize(("rules", "broken"), [("paging", "a page is full except at the end"),
                                               ("ledger", "a balance equals the newest balance_after")])
def test_the_same_rules_refuse_the_documentation_examples(rules, broken):
    """Proof that the rules bite: the verbatim examples break both groups."""
    page, balances = examples(HISTORY)["documented"], examples(BALANCES)["documented"]
    with pytest.raises(checks.ContractViolation, match=broken):
        if rules == "paging":
            check_page(page, page["limit"], page["offset"])
        else:
            check_ledger(balances, {**page, "total": len(page["history"])})
