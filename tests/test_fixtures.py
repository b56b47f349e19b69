"""balances-mock fixtures: deterministic, spec-valid, safe to write, and served back byte for byte."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.validation.response.validators import V31ResponseDataValidator
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from mock_server.fixtures import File, FixtureError, FixtureSet, export, write_atomically
from mock_server.ledger_file import load
from mock_server.scenarios import SCENARIOS
from mock_server.spec import load_spec

from .conftest import ROOT, start_server

CLI = [sys.executable, "-m", "mock_server"]


def fixtures(out: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "fixtures", "--out", str(out), *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    """Every scenario exported once by the CLI, seed 1, client demo."""
    base = tmp_path_factory.mktemp("fixtures")
    folders = {}
    for name in SCENARIOS:
        result = fixtures(base / name, "--scenario", name)
        assert result.returncode == 0, result.stderr
        folders[name] = base / name
    return folders


# -- deterministic -----------------------------------------------------------------------

def test_same_arguments_give_byte_identical_files(exported, tmp_path):
    again = fixtures(tmp_path / "again", "--scenario", "default", env={"PYTHONHASHSEED": "12345", "TZ": "Asia/Tokyo"})
    assert again.returncode == 0
    assert tree(tmp_path / "again") == tree(exported["default"])


def test_other_seed_or_client_gives_other_data(exported, tmp_path):
    assert fixtures(tmp_path / "seed2", "--seed", "2").returncode == 0
    assert fixtures(tmp_path / "other", "--client-id", "acme").returncode == 0
    default = (exported["default"] / "ledger.json").read_bytes()
    assert (tmp_path / "seed2" / "ledger.json").read_bytes() != default
    assert (tmp_path / "other" / "ledger.json").read_bytes() != default


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


def test_list_shows_every_scenario_with_a_line():
    result = subprocess.run([*CLI, "fixtures", "--list"], capture_output=True, text=True, timeout=60)
    lines = result.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == list(SCENARIOS)
    assert all(len(line.split()) > 3 for line in lines)


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

def test_a_non_empty_folder_is_not_overwritten_without_force(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my own work")
    refused = fixtures(out, "--scenario", "empty")
    assert refused.returncode == 1 and "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert (out / "notes.txt").read_text() == "my own work"
    forced = fixtures(out, "--scenario", "empty", "--force")
    assert forced.returncode == 0 and not (out / "notes.txt").exists() and (out / "ledger.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]  # no staging or retired folders left


def test_an_empty_existing_folder_is_filled(tmp_path):
    (tmp_path / "empty").mkdir()
    assert fixtures(tmp_path / "empty", "--scenario", "empty").returncode == 0


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


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--out", "/proc/forbidden/fixtures"], 1, "cannot write"),
    (["--scenario", "nope", "--out", "x"], 2, "'nope' is not one of"),
    (["--limit", "0", "--out", "x"], 2, "--limit must be between 1 and 100"),
    ([], 2, "--out DIR is required"),
])
def test_bad_arguments_give_one_clear_line(tmp_path, args, code, message):
    result = subprocess.run([*CLI, "fixtures", *args], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == code
    assert message in result.stderr and "Traceback" not in result.stderr


def test_file_in_the_way_is_a_clear_error(tmp_path):
    (tmp_path / "taken").write_text("x")
    result = fixtures(tmp_path / "taken")
    assert result.returncode == 2 and "is a file" in result.stderr and "Traceback" not in result.stderr


def test_large_scenarios_show_progress(exported, tmp_path):
    result = fixtures(tmp_path / "paging", "--scenario", "paging")
    assert result.returncode == 0 and "writing" in result.stderr


# -- served back -------------------------------------------------------------------------

def assert_served_as_exported(mock, folder: Path, client: tuple[str, str] = ("demo", "demo-secret")) -> int:
    token = mock.token(*client)
    manifest = json.loads((folder / "manifest.json").read_text())
    compared = 0
    for path, entry in manifest["files"].items():
        if entry.get("status") != 200:
            continue
        target = entry["request"].split(" ", 1)[1]
        response = mock.get(target, token)
        assert response.status_code == 200
        assert response.content == (folder / path).read_bytes(), path
        compared += 1
    return compared


def test_the_mock_serves_exactly_the_exported_files(exported):
    mock = start_server("--scenario", "paging")
    try:
        assert assert_served_as_exported(mock, exported["paging"]) == 150 + 1 + 5 + 2
    finally:
        mock.stop()


def test_clients_get_accounts_of_their_own(exported, tmp_path):
    clients = tmp_path / "clients.yaml"
    clients.write_text("clients:\n"
                       "  - {client_id: qa-empty, client_secret: qa-secret-1, scenario: empty}\n"
                       "  - {client_id: qa-whale, client_secret: qa-secret-2, scenario: whale, account: demo}\n")
    assert fixtures(tmp_path / "qa-empty", "--scenario", "empty", "--client-id", "qa-empty").returncode == 0
    mock = start_server("--clients", str(clients))
    try:
        assert assert_served_as_exported(mock, tmp_path / "qa-empty", ("qa-empty", "qa-secret-1")) == 4
        assert assert_served_as_exported(mock, exported["whale"], ("qa-whale", "qa-secret-2")) > 10
        assert assert_served_as_exported(mock, exported["default"]) > 10
        read_only = mock.get("/user/balances/history/", mock.token("demo-read")).content
        assert read_only == (exported["default"] / "history" / "page-0001.json").read_bytes()
    finally:
        mock.stop()


def test_serve_fixtures_serves_a_hand_edited_ledger(exported, tmp_path):
    folder = tmp_path / "edited"
    document = json.loads((exported["single-currency"] / "ledger.json").read_text())
    newest = document["entries"].pop()  # drop the newest entry and mend what depended on it
    document["balances"]["USDTERC20"] = document["entries"][-1]["balance_after"]
    document["statistics"][f"total_{newest['type']}s"] -= 1
    folder.mkdir()
    (folder / "ledger.json").write_text(json.dumps(document, indent=1))
    mock = start_server("--fixtures", str(folder))
    try:
        token = mock.token()
        assert mock.get("/user/balances/", token).json()["account"] == document["balances"]
        assert mock.get("/user/balances/history/", token).json()["total"] == len(document["entries"])
    finally:
        mock.stop()


def test_a_client_can_be_served_a_ledger_file_relative_to_the_clients_file(exported, tmp_path):
    (tmp_path / "qa").mkdir()
    (tmp_path / "qa" / "ledger.json").write_bytes((exported["dust"] / "ledger.json").read_bytes())
    clients = tmp_path / "clients.yaml"
    clients.write_text("clients:\n  - {client_id: qa-dust, client_secret: qa-secret, fixtures: qa/ledger.json}\n")
    mock = start_server("--clients", str(clients))
    try:
        assert assert_served_as_exported(mock, exported["dust"], ("qa-dust", "qa-secret")) > 10
    finally:
        mock.stop()


def test_serve_refuses_an_inconsistent_ledger_naming_file_path_and_fault(exported, tmp_path):
    document = json.loads((exported["default"] / "ledger.json").read_text())
    document["entries"][3]["amount"] = "999.000000"
    broken = tmp_path / "ledger.json"
    broken.write_text(json.dumps(document))
    result = subprocess.run([*CLI, "serve", "--port", "0", "--fixtures", str(broken)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{broken}: $.entries[3].balance_after: expected" in result.stderr


# -- the curated set in the repository ----------------------------------------------------

CURATED = [("default", "1"), ("empty", "1")]


@pytest.mark.parametrize(("scenario", "seed"), CURATED)
def test_the_committed_fixtures_are_what_the_generator_makes(tmp_path, scenario, seed):
    committed = ROOT / "fixtures" / f"{scenario}-seed{seed}"
    assert committed.is_dir(), f"run: balances-mock fixtures --scenario {scenario} --seed {seed} --out {committed}"
    assert fixtures(tmp_path / "fresh", "--scenario", scenario, "--seed", seed).returncode == 0
    assert tree(tmp_path / "fresh") == tree(committed), "regenerate with the README's command"
