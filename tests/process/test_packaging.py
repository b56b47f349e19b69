"""Installed from a wheel, with no checkout in sight, the mock still finds its spec and serves."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from ..support import ROOT, SPEC_PATH
from ..support.mock import start_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The project's wheel unpacked into a folder of its own (dependencies come from this venv)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out), str(ROOT)], check=True, timeout=300)
    wheel = next(out.glob("balances_mock-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("mock_server/spec/openapi.yaml") == SPEC_PATH.read_bytes()
        assert archive.read("contract_tests/openapi.yaml") == SPEC_PATH.read_bytes()
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True, timeout=300)
    return target


def test_wheel_serves_without_the_checkout(installed, tmp_path):
    env = {"PYTHONPATH": str(installed)}
    where = subprocess.run([sys.executable, "-c", "import mock_server.spec as s; print(s.spec_path())"],
                           capture_output=True, text=True, env={**os.environ, **env}, cwd=tmp_path, check=True)
    assert where.stdout.strip().startswith(str(installed))
    mock = start_server(env=env, cwd=tmp_path)
    try:
        assert mock.get("/user/balances/history/", mock.token()).json()["total"] == 300
    finally:
        mock.stop()


def test_console_script_and_pytest_plugin_are_declared(installed):
    entry_points = (next(installed.glob("balances_mock-*.dist-info")) / "entry_points.txt").read_text()
    assert "balances-mock = mock_server.commands.main:main" in entry_points
    assert "[pytest11]\nbalances_mock = mock_server.testing.pytest_plugin" in entry_points


def test_contract_command_runs_from_the_wheel(installed, server, tmp_path):
    report = tmp_path / "contract.xml"
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "contract", server.url, "--client-id", "demo",
         "--client-secret", "demo-secret", "--read-client-id", "demo-read", "--read-client-secret", "demo-secret",
         "--examples", "5", "--window", "100", "--junitxml", str(report)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(installed)})
    assert result.returncode == 0, result.stdout + result.stderr
    where = subprocess.run([sys.executable, "-c", "import contract_tests; print(contract_tests.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path,
                           env={**os.environ, "PYTHONPATH": str(installed)})
    assert where.stdout.startswith(str(installed))
    suite = ET.parse(report).getroot()
    assert int(suite.find("testsuite").get("tests")) >= 35 and suite.find("testsuite").get("failures") == "0"


def test_contract_command_fails_on_a_broken_implementation(installed, variants_server, tmp_path):
    """The wheel's suite, with the right credentials, against a server whose history is oldest
    first: the run fails by the rule that breaks, not for want of a token."""
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "contract", f"{variants_server.url}/v/ordering-oldest-first",
         "--client-id", "demo", "--client-secret", "demo-secret", "-k", "test_history_is_newest_first"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(installed)})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Contract rule broken: history is newest first" in result.stdout
    assert "balances contract: FAIL" in result.stdout
