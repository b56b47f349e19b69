"""Fixture sets written in-process, read back as trees, and compared with what a mock serves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mock_server.ledger.fixtures import FixtureSet, export, write_atomically

from . import DEMO


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` by its relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def export_to(out: Path, scenario: str = "default", seed: int = 1, client_id: str = "demo", limit: int = 20) -> Path:
    """What ``balances-mock fixtures`` writes for these arguments, written in-process."""
    write_atomically(export(FixtureSet(scenario, seed, client_id, limit)), out)
    return out


def assert_served_as_exported(mock: Any, folder: Path, client: tuple[str, str] = DEMO) -> int:
    """Every 200 body of the set is what the mock answers to its request; returns how many."""
    token = mock.token(client)
    manifest = json.loads((folder / "manifest.json").read_text())
    compared = 0
    for path, entry in manifest["files"].items():
        if entry.get("status") != 200:
            continue
        response = mock.get(entry["request"].split(" ", 1)[1], token)
        assert response.status_code == 200
        assert response.data == (folder / path).read_bytes(), path
        compared += 1
    return compared
