"""Pagination and ordering: every entry exactly once, newest first, whatever the page size."""

from __future__ import annotations

import pytest

from . import checks, rules
from .conftest import HISTORY

ONE_BY_ONE = 40
"""Pages of 1 cost a request per entry: they walk only the newest 40."""


@pytest.mark.parametrize("limit", [1, 7, 25])
def test_paging_gives_every_entry_once_in_order(walk, limit):
    """Pages of ``limit`` walked to the window's end equal the pages of 100, and every page
    tells the same total. The window is the reference's, so a walk that collects less (empty
    pages, a total of 0) is compared with what it missed."""
    reference, reference_totals, _ = walk(100)
    walk.judge()
    if len(reference) <= limit:
        pytest.skip(f"the history holds {len(reference)} entries: pages of {limit} cannot show paging")
    window = min(len(reference), ONE_BY_ONE) if limit == 1 else len(reference)
    entries, totals, response = walk(limit, window=window)
    walk.judge()  # the rule about pages: a short page, or a walk that falls short of `total`
    checks.walk_matches_reference(entries[:window], reference[:window], limit, response)
    checks.total_is_constant(response, [*reference_totals, *totals])


def test_pages_echo_limit_and_offset_and_are_full_but_at_the_end(history):
    _, first = history(limit=10, offset=0)
    total = first["total"]
    for limit, offset in [(10, 0), (3, 5), (100, 0), (5, max(total - 2, 0))]:
        response, page = history(limit=limit, offset=offset)
        checks.page_echoes_paging(response, page, limit, offset)
        checks.page_size_is_bounded(response, page, limit, offset)
        checks.total_is_constant(response, [total, page["total"]])


def test_default_page_is_limit_20_offset_0(client, token):
    response = client.get(HISTORY, token)
    checks.status_is(response, [200], rules.VALID_HISTORY_REQUEST)
    page = response.json()
    if page.get("limit") != 20 or page.get("offset") != 0:
        raise checks.violation(rules.DEFAULT_PAGE, "limit=20, offset=0",
                               f"limit={page.get('limit')!r}, offset={page.get('offset')!r}", response)
    checks.page_size_is_bounded(response, page, page["limit"], page["offset"])


def test_offset_past_the_end_gives_an_empty_page(history, client, token):
    """An empty page is the spec's decision (a 404 would be drift); its ``total`` is still the
    documented total (0 there is a break)."""
    _, first = history(limit=1)
    total = first["total"]
    response = client.get(HISTORY, token, params={"offset": total + 10})
    checks.not_a_server_error(response)
    checks.past_the_end(response, total, total + 10)


def test_history_is_newest_first(walk):
    entries, _, response = walk(100)
    if len(entries) < 2:
        pytest.skip(f"the history holds {len(entries)} entries: there is no order to check")
    checks.newest_first(response, entries)


def test_order_is_stable_between_calls(client, token):
    first = client.get(HISTORY, token, params={"limit": 100})
    second = client.get(HISTORY, token, params={"limit": 100})
    if len(first.json().get("history") or []) < 2:
        pytest.skip("the history holds fewer than 2 entries: there is no order to keep")
    checks.same_response(first, second)
