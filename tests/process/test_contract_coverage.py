"""Every documented item of the contract is checked by the suite, and would be caught broken.

Against the mock, a run reaches every item (the self-test asserts 100%). Here each documented
answer (operation x status) is served with every header and body field broken on its own, and
the rule that reached that answer against the mock must now observe each item failing and fail
the run; one more variant gives every documented answer the wrong Content-Type. One test runs
them all, so a single failure lists every item no variant could get caught.
"""

from __future__ import annotations

import pytest

from ..support.contract import CREDENTIALS, SMALL_WINDOW, WITHOUT_SCHEMA, variant_url
from ..support.variants import CONTENT_TYPE_BROKEN, ITEMS_BROKEN

pytestmark = pytest.mark.slow


def failing(run) -> set[str]:
    """The items some rule of the run saw not as documented."""
    return {f"{i['operation']} {i['status']} {i['part']}" for i in run.report.as_dict()["coverage"]["items"]
            if any(rule["failed"] for rule in i["rules"])}


def test_every_documented_item_is_caught_when_broken(contract, server, variants_server):
    baseline = contract(server.url, *CREDENTIALS, *WITHOUT_SCHEMA, *SMALL_WINDOW)
    assert baseline.returncode == 0 and not baseline.report.holes, baseline.output
    reached_by = {f"{i['operation']} {i['status']} {i['part']}": [r["rule"] for r in i["rules"]]
                  for i in baseline.report.as_dict()["coverage"]["items"]}
    missed: dict[str, list[str]] = {}
    for group, variant in ITEMS_BROKEN.items():
        items = [item.key for item in variant_items(group)]
        run = contract(variant_url(variants_server, variant), *CREDENTIALS, *WITHOUT_SCHEMA, *SMALL_WINDOW,
                       rules=reaching(items, reached_by))
        caught = failing(run)
        not_caught = [key for key in items if key.split(" ", 2)[2] != "header Content-Type" and key not in caught]
        if not_caught or run.returncode != 1:
            missed[variant.name] = not_caught or [f"the run passed:\n{run.output}"]
    content_types = {key for key in reached_by if key.endswith(" header Content-Type")}
    for variant in CONTENT_TYPE_BROKEN:
        # Every rule: one broken answer can stop a rule before it reaches the next.
        run = contract(variant_url(variants_server, variant), *CREDENTIALS, *WITHOUT_SCHEMA, *SMALL_WINDOW)
        assert run.returncode == 1, run.output
        content_types -= failing(run)
    assert not content_types, f"Content-Type items no variant got caught: {sorted(content_types)}"
    assert not missed, missed


def reaching(items: list[str], reached_by: dict[str, list[str]]) -> list[str]:
    """A few rules that, between them, reached every one of ``items`` against the mock."""
    rules: list[str] = []
    for key in items:
        if not set(rules) & set(reached_by[key]):
            rules.append(reached_by[key][0])
    return rules


def variant_items(group: str):
    from ..support.variants import CONTRACT

    return next(r for r in CONTRACT.responses if f"{r.operation} {r.status}" == group).items
