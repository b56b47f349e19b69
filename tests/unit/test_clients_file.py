"""The YAML clients file: what it may say, and a clear message naming the entry when it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.commands.clients_file import ClientsFileError, load_clients
from mock_server.ledger.scenarios import SCENARIOS

SCOPES = ("read", "write")


def load(tmp_path: Path, content: str):
    path = tmp_path / "clients.yaml"
    path.write_text(content)
    return load_clients(path, SCOPES, SCENARIOS)


def test_a_client_gets_every_scope_by_default_and_its_data_relative_to_the_file(tmp_path):
    (client,) = load(tmp_path, "clients:\n  - {client_id: a, client_secret: b, seed: 3, fixtures: qa/ledger.json}\n")
    assert client.scopes == {"read", "write"} and client.seed == 3
    assert client.ledger_path == tmp_path / "qa" / "ledger.json"


@pytest.mark.parametrize(("content", "message"), [
    ("clients: nope", "expected a top-level 'clients:' list"),
    ("clients:\n  - client_id: x\n", "clients[0].client_secret: required"),
    ("clients:\n  - {client_id: x, client_secret: y, scopes: [admin]}\n", "unknown scope admin"),
    ("clients: [\n", "not valid YAML"),
    ("clients:\n  - {client_id: x, client_secret: y, colour: blue}\n", "clients[0]: unknown key colour"),
    ("clients:\n  - {client_id: x, client_secret: y, scenario: huge}\n", "unknown scenario 'huge'"),
    ("clients:\n  - {client_id: x, client_secret: y, seed: many}\n", "clients[0].seed: expected an integer"),
    ("clients:\n  - {client_id: x, client_secret: y}\n  - {client_id: x, client_secret: z}\n",
     "client_id listed twice: x"),
])
def test_bad_clients_file_is_a_clear_error(tmp_path, content, message):
    with pytest.raises(ClientsFileError) as refused:
        load(tmp_path, content)
    assert message in str(refused.value) and str(tmp_path / "clients.yaml") in str(refused.value)


def test_missing_clients_file_is_a_clear_error(tmp_path):
    with pytest.raises(ClientsFileError, match="cannot read"):
        load_clients(tmp_path / "no.yaml", SCOPES, SCENARIOS)
