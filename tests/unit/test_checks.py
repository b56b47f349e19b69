"""The contract suite's single checks that need no server (``contract_tests/checks.py``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests import rules
from contract_tests.checks import ContractViolation, _instant, newest_first

STAMPS = st.builds(lambda whole, fraction, zs: whole + (f".{fraction}" if fraction is not None else "") + zs,
                   st.sampled_from(["2025-01-15T09:30:00", "2025-01-15T09:30:01", "2025-01-16T00:00:00"]),
                   st.none() | st.text("0123456789", max_size=7), st.sampled_from(["Z", "", "ZZ"]))


def _newest_first_by_decimal(stamps: list[str]) -> bool:
    return all(_instant(stamps[i]) <= _instant(stamps[i - 1]) for i in range(1, len(stamps)))


@given(st.lists(STAMPS, max_size=6))
def test_newest_first_orders_fractions_of_a_second_as_decimals_do(stamps):
    """A page's digits compare as strings (the quick way) exactly as their decimals would."""
    entries = [{"timestamp": stamp} for stamp in stamps]
    try:
        newest_first(None, entries)
        kept = True
    except ContractViolation as violation:
        assert violation.rule == rules.NEWEST_FIRST
        kept = False
    assert kept == _newest_first_by_decimal(stamps)


@pytest.mark.parametrize(("stamps", "kept"), [
    (["2025-01-15T09:30:00.5Z", "2025-01-15T09:30:00.49Z"], True),
    (["2025-01-15T09:30:00.05Z", "2025-01-15T09:30:00.5Z"], False),
    (["2025-01-15T09:30:00.50Z", "2025-01-15T09:30:00.5Z", "2025-01-15T09:30:00Z"], True),
    (["2025-01-15T09:30:00.5Z", "2025-01-15T09:30:00.500Z", "2025-01-15T09:30:00.000Z"], True),
    (["2025-01-15T09:30:00Z", "2025-01-15T09:30:00.0001Z"], False),
])
def test_newest_first_compares_fractions_of_a_second(stamps, kept):
    entries = [{"timestamp": stamp} for stamp in stamps]
    if kept:
        newest_first(None, entries)
    else:
        with pytest.raises(ContractViolation):
            newest_first(None, entries)


def test_newest_first_falls_back_to_decimals_for_fractions_that_are_not_plain_digits():
    """``1e2`` is not a page's fraction, but a decimal reads it (0.1e2 = 10): the same verdict as ever."""
    newest_first(None, [{"timestamp": "2025-01-15T09:30:00.1e2Z"}, {"timestamp": "2025-01-15T09:30:00.9Z"}])
    with pytest.raises(ContractViolation):
        newest_first(None, [{"timestamp": "2025-01-15T09:30:00.9Z"}, {"timestamp": "2025-01-15T09:30:00.1e2Z"}])
