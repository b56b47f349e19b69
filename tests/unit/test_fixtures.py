"""Fixture sets as the exporter makes them: valid against the spec, consistent, hashed, safe
to write, and the committed sets are what it makes today."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.validation.response.validators import V31ResponseDataValidator
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from mock_server.ledger.fixtures import File, FixtureError, FixtureSet, export, write_atomically
from mock_server.ledger.ledger_file import load
from mock_server.ledger.scenarios import SCENARIOS
from mock_server.spec import load_spec

from ..support import ROOT
from ..support.fixture_sets import export_to, tree


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    """Every scenario exported once, seed 1, client demo."""
    base = tmp_path_factory.mktemp("fixtures")
    return {name: export_to(base / name, name) for name in SCENARIOS}


def test_other_seed_or_client_gives_other_data(exported, tmp_path):
    default = (exported["default"] / "ledger.json").read_bytes()
    assert (export_to(tmp_path / "seed2", seed=2) / "ledger.json").read_bytes() != default
    assert (export_to(tmp_path / "acme", client_id="acme") / "ledger.json").read_bytes() != default


# -- valid -------------------------------------------------------------------------------

def validate_against_spec(folder: Path, openapi: OpenAPI) -> int:
    """Every response body of a fixture set, validated (with openapi-core) as the body of the
    response to its request; headers are not part of a fixture."""
    validator = V31ResponseDataValidator(openapi.spec)
    manifest = json.loads((folder / "manifest.json").read_text())
    checked = 0
    for path, entry in manifest["files"].items():
        assert (folder / path).read_bytes() and entry["sha256"]
        if "request" not in entry:
            continue
        method, target = entry["request"].split(" ", 1)
        route, _, query = target.partition("?")
        environ = EnvironBuilder(method=method, path=route, query_string=query,
                                 base_url="https://api.cryptofuse.io").get_environ()
        response = Response((folder / path).read_bytes(), status=entry["status"], content_type="application/json")
        validator.validate(WerkzeugOpenAPIRequest(Request(environ)), WerkzeugOpenAPIResponse(response))
        checked += 1
    return checked


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_file_validates_against_the_spec(exported, spec, scenario):
    openapi = OpenAPI.from_dict(spec)
    assert validate_against_spec(exported[scenario], openapi) >= 12


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_ledger_file_is_consistent_and_matches_the_bodies(exported, scenario):
    folder = exported[scenario]
    ledger = load(folder / "ledger.json")  # refuses an inconsistent ledger
    document = json.loads((folder / "ledger.json").read_text())
    running = Counter()
    for entry in document["entries"]:
        sign = 1 if entry["type"] == "deposit" else -1
        running[entry["currency"]] += sign * Decimal(entry["amount"])
        assert Decimal(entry["balance_after"]) == running[entry["currency"]] >= 0
    balances = json.loads((folder / "balances.json").read_text())
    assert balances["account"] == document["balances"]
    assert balances["statistics"] == document["statistics"] == ledger.statistics()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["counts"]["entries"] == len(document["entries"]) == len(ledger)
    assert manifest["spec_version"] == load_spec()["info"]["version"] and manifest["scenario"] == scenario
    pages = sorted((folder / "history").glob("page-*.json"))
    walked = [e for page in pages for e in json.loads(page.read_text())["history"]]
    assert walked == list(reversed(document["entries"]))


def test_manifest_hashes_every_file(exported):
    folder = exported["default"]
    manifest = json.loads((folder / "manifest.json").read_text())
    files = {p for p in tree(folder) if p != "manifest.json"}
    assert set(manifest["files"]) == files
    for path, entry in manifest["files"].items():
        assert hashlib.sha256((folder / path).read_bytes()).hexdigest() == entry["sha256"]
    assert manifest["counts"]["files"] == len(files) + 1


def test_errors_cover_every_documented_error_response(exported, spec):
    names = {p.name for p in (exported["default"] / "errors").iterdir()}
    for path, item in spec["paths"].items():
        for operation in item.values():
            for status in operation["responses"]:
                if int(status) >= 400:
                    assert any(n.startswith(f"{operation['operationId']}-{status}-") for n in names), (path, status)


# -- the scenarios -------------------------------------------------------------------------

def entries_of(exported, scenario):
    return json.loads((exported[scenario] / "ledger.json").read_text())["entries"]


def test_empty_is_a_new_account(exported):
    balances = json.loads((exported["empty"] / "balances.json").read_text())
    assert balances == {"account": {}, "sub_accounts": {}, "statistics": {"total_deposits": 0, "total_withdrawals": 0}}
    page = json.loads((exported["empty"] / "history" / "page-0001.json").read_text())
    assert page == {"history": [], "total": 0, "limit": 20, "offset": 0}


def test_single_currency(exported):
    assert {e["currency"] for e in entries_of(exported, "single-currency")} == {"USDTERC20"}


def test_whale_amounts_do_not_survive_a_float(exported):
    account = json.loads((exported["whale"] / "balances.json").read_text())["account"]
    assert len(account) == 10
    assert any(f"{float(v):.6f}" != v for v in account.values())
    assert max(Decimal(v) for v in account.values()) > Decimal("100000000000")


def test_paging_has_thousands_of_entries(exported):
    assert len(entries_of(exported, "paging")) >= 2000
    assert len(list((exported["paging"] / "history").glob("page-*.json"))) == 150


def test_dust_amounts_are_tiny(exported):
    amounts = [Decimal(e["amount"]) for e in entries_of(exported, "dust")]
    assert max(amounts) < Decimal("0.001") and Decimal("0.000001") in amounts


def test_withdrawal_heavy_comes_close_to_zero(exported):
    entries = entries_of(exported, "withdrawal-heavy")
    assert sum(e["type"] == "withdrawal" for e in entries) > sum(e["type"] == "deposit" for e in entries)
    assert any(Decimal(e["balance_after"]) == 0 for e in entries)


# -- safe ----------------------------------------------------------------------------------

def test_an_interrupted_write_leaves_nothing(tmp_path):
    def interrupted():
        yield from list(export(FixtureSet("default", 1, "demo", 20)))[:5]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(interrupted(), tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_forced_write_keeps_the_old_set(tmp_path):
    out = tmp_path / "out"
    write_atomically(iter([File("a.json", b"{}")]), out)

    def failing():
        yield File("b.json", b"{}")
        raise OSError(28, "No space left on device")

    with pytest.raises(FixtureError, match="No space left on device"):
        write_atomically(failing(), out, force=True)
    assert tree(out) == {"a.json": b"{}"} and [p.name for p in tmp_path.iterdir()] == ["out"]


# -- the curated sets in the repository ---------------------------------------------------

@pytest.mark.parametrize(("scenario", "seed"), [("default", 1), ("empty", 1)])
def test_the_committed_fixtures_are_what_the_generator_makes(tmp_path, scenario, seed):
    committed = ROOT / "fixtures" / f"{scenario}-seed{seed}"
    assert committed.is_dir(), f"run: balances-mock fixtures --scenario {scenario} --seed {seed} --out {committed}"
    fresh = export_to(tmp_path / "fresh", scenario, seed)
    assert tree(fresh) == tree(committed), "regenerate with the command on docs/qa/fixtures.md"
