"""balances-mock fixtures and serve --fixtures on the command line: byte-identical output in
any environment, one clear line for each mistake, nothing a user wrote overwritten."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from mock_server.commands.main import main
from mock_server.ledger.scenarios import SCENARIOS

from ..support.fixture_sets import export_to, tree
from ..support.mock import CLI


def fixtures(out: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "fixtures", "--out", str(out), *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


def invoke(*args: str):
    """The command in-process (click's runner): for what needs no interpreter of its own."""
    return CliRunner().invoke(main, list(args))


def test_the_command_writes_byte_identical_files_in_any_environment(tmp_path):
    result = fixtures(tmp_path / "cli", "--scenario", "default", env={"PYTHONHASHSEED": "12345", "TZ": "Asia/Tokyo"})
    assert result.returncode == 0, result.stderr
    assert tree(tmp_path / "cli") == tree(export_to(tmp_path / "in-process", "default"))


def test_large_scenarios_show_progress(tmp_path):
    result = invoke("fixtures", "--scenario", "paging", "--out", str(tmp_path / "paging"))
    assert result.exit_code == 0 and "writing" in result.stderr


def test_list_shows_every_scenario_with_a_line():
    lines = invoke("fixtures", "--list").stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == list(SCENARIOS)
    assert all(len(line.split()) > 3 for line in lines)


def test_a_non_empty_folder_is_not_overwritten_without_force(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my own work")
    refused = invoke("fixtures", "--out", str(out), "--scenario", "empty")
    assert refused.exit_code == 1 and "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert (out / "notes.txt").read_text() == "my own work"
    forced = invoke("fixtures", "--out", str(out), "--scenario", "empty", "--force")
    assert forced.exit_code == 0 and not (out / "notes.txt").exists() and (out / "ledger.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]  # no staging or retired folders left


def test_an_empty_existing_folder_is_filled(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    assert invoke("fixtures", "--out", str(out), "--scenario", "empty").exit_code == 0
    assert tree(out) == tree(export_to(tmp_path / "in-process", "empty"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in-process", "out"]  # no staging folder left


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--out", "/proc/forbidden/fixtures"], 1, "cannot write"),
    (["--scenario", "nope", "--out", "x"], 2, "'nope' is not one of"),
    (["--limit", "0", "--out", "x"], 2, "--limit must be between 1 and 100"),
    ([], 2, "--out DIR is required"),
])
def test_bad_arguments_give_one_clear_line(tmp_path, args, code, message):
    result = invoke("fixtures", *args)
    assert result.exit_code == code
    assert message in result.stderr and "Traceback" not in result.stderr


def test_file_in_the_way_is_a_clear_error(tmp_path):
    (tmp_path / "taken").write_text("x")
    result = invoke("fixtures", "--out", str(tmp_path / "taken"))
    assert result.exit_code == 2 and "is a file" in result.stderr


def test_serve_refuses_an_inconsistent_ledger_naming_file_path_and_fault(tmp_path):
    document = json.loads((export_to(tmp_path / "set") / "ledger.json").read_text())
    document["entries"][3]["amount"] = "999.000000"
    broken = tmp_path / "ledger.json"
    broken.write_text(json.dumps(document))
    result = subprocess.run([*CLI, "serve", "--port", "0", "--fixtures", str(broken)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{broken}: $.entries[3].balance_after: expected" in result.stderr
