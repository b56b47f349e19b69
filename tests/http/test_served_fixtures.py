"""The mock serves exactly what the exporter writes: per scenario, per client, from a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mock_server import Client, Settings
from mock_server.settings import DEMO_CLIENTS

from ..support import BALANCES, DEMO_READ, HISTORY, SECRET
from ..support.fixture_sets import assert_served_as_exported, export_to
from ..support.mock import InProcessMock

READ_WRITE = frozenset({"read", "write"})


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("served")
    return {name: export_to(base / name, name) for name in ("default", "paging", "whale", "dust", "single-currency")}


def serving(**settings) -> InProcessMock:
    return InProcessMock(Settings(token_secret=SECRET, **settings))


def test_the_mock_serves_exactly_the_exported_files(exported):
    assert assert_served_as_exported(serving(scenario="paging"), exported["paging"]) == 150 + 1 + 5 + 2


def test_clients_get_accounts_of_their_own(exported, tmp_path):
    qa_empty = export_to(tmp_path / "qa-empty", "empty", client_id="qa-empty")
    mock = serving(clients=(*DEMO_CLIENTS, Client("qa-empty", "qa-secret-1", READ_WRITE, scenario="empty"),
                            Client("qa-whale", "qa-secret-2", READ_WRITE, scenario="whale", account="demo")))
    assert assert_served_as_exported(mock, qa_empty, ("qa-empty", "qa-secret-1")) == 4
    assert assert_served_as_exported(mock, exported["whale"], ("qa-whale", "qa-secret-2")) > 10
    assert assert_served_as_exported(mock, exported["default"]) > 10
    read_only = mock.get(HISTORY, mock.token(DEMO_READ)).data
    assert read_only == (exported["default"] / "history" / "page-0001.json").read_bytes()


def test_a_hand_edited_ledger_is_served(exported, tmp_path):
    folder = tmp_path / "edited"
    document = json.loads((exported["single-currency"] / "ledger.json").read_text())
    newest = document["entries"].pop()  # drop the newest entry and mend what depended on it
    document["balances"]["USDTERC20"] = document["entries"][-1]["balance_after"]
    document["statistics"][f"total_{newest['type']}s"] -= 1
    folder.mkdir()
    (folder / "ledger.json").write_text(json.dumps(document, indent=1))
    mock = serving(ledger_path=folder)
    token = mock.token()
    assert mock.get(BALANCES, token).json["account"] == document["balances"]
    assert mock.get(HISTORY, token).json["total"] == len(document["entries"])


def test_a_client_can_be_served_a_ledger_file_of_its_own(exported):
    mock = serving(clients=(*DEMO_CLIENTS, Client("qa-dust", "qa-secret", READ_WRITE,
                                                  ledger_path=exported["dust"] / "ledger.json")))
    assert assert_served_as_exported(mock, exported["dust"], ("qa-dust", "qa-secret")) > 10
