"""Every documented item of the contract is checked by the suite, and would be caught broken.

Against the mock, a run reaches every item (the self-test asserts 100%). Here the variants of
``ITEMS_BROKEN`` break, between them, every header and body field of every documented answer
on its own (a field of the wrong JSON type, a required header dropped, an optional one given a
value its schema refuses) and every answer's Content-Type. Each run must fail, and between
them every item must be observed failing: a single failure lists every item no run caught.
"""

from __future__ import annotations

import pytest

from ..support.contract import CREDENTIALS, SMALL_WINDOW, WITHOUT_SCHEMA, variant_url
from ..support.variants import CONTRACT, ITEMS_BROKEN

pytestmark = pytest.mark.slow


def failing(run) -> set[str]:
    """The items some rule of the run saw not as documented."""
    return {f"{i['operation']} {i['status']} {i['part']}" for i in run.report.as_dict()["coverage"]["items"]
            if any(rule["failed"] for rule in i["rules"])}


def test_every_documented_item_is_caught_when_broken(contract, variants_server):
    not_caught = {item.key for item in CONTRACT.items}
    for variant in ITEMS_BROKEN:
        run = contract(variant_url(variants_server, variant), *CREDENTIALS, *WITHOUT_SCHEMA, *SMALL_WINDOW)
        assert run.returncode == 1, f"{variant.name} was not caught:\n{run.output}"
        not_caught -= failing(run)
    assert not not_caught, f"documented items no broken variant got caught: {sorted(not_caught)}"
