"""The clients file: extra OAuth clients in YAML, each checked with the file and entry named.

Read by ``serve --clients``; what it yields are plain ``Client`` settings, so an embedding
test builds the same clients in code.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from mock_server.settings import Client


class ClientsFileError(ValueError):
    """A clients file that cannot be used; the message names the file and the entry."""


def load_clients(path: Path, known_scopes: Iterable[str], scenarios: Iterable[str] = ()) -> tuple[Client, ...]:
    """Clients from a YAML file, shaped as::

        clients:
          - client_id: ci-bot
            client_secret: s3cret
            scopes: [read, write]     # or "read write"; default: all
            account: ci-bot           # optional: whose data it sees (default: its own id)
            scenario: empty           # optional: data of its own...
            seed: 3                   # ...for this seed
            fixtures: ./qa/ledger.json  # or a ledger.json, relative to this file
    """
    known = frozenset(known_scopes)
    scenario_names = frozenset(scenarios)
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ClientsFileError(f"{path}: cannot read: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise ClientsFileError(f"{path}: not valid YAML: {error}") from None
    entries = document.get("clients") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ClientsFileError(f"{path}: expected a top-level 'clients:' list")
    clients = [_client(entry, f"{path}: clients[{i}]", known, scenario_names, Path(path).parent)
               for i, entry in enumerate(entries)]
    ids = [c.client_id for c in clients]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ClientsFileError(f"{path}: client_id listed twice: {', '.join(duplicates)}")
    return tuple(clients)


def _client(entry: Any, where: str, known: frozenset[str], scenarios: frozenset[str], base: Path) -> Client:
    if not isinstance(entry, dict):
        raise ClientsFileError(f"{where}: expected a mapping with client_id, client_secret, scopes")
    values = {}
    for key in ("client_id", "client_secret"):
        value = entry.get(key)
        if not isinstance(value, str) or not value:
            raise ClientsFileError(f"{where}.{key}: required, a non-empty string")
        values[key] = value
    scopes = entry.get("scopes", sorted(known))
    if isinstance(scopes, str):
        scopes = scopes.split()
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise ClientsFileError(f"{where}.scopes: expected a list of scopes or a space-separated string")
    unknown = sorted(set(scopes) - known)
    if unknown:
        raise ClientsFileError(
            f"{where}.scopes: unknown scope {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    unexpected = sorted(set(entry) - {"client_id", "client_secret", "scopes", "account", "scenario", "seed",
                                      "fixtures"})
    if unexpected:
        raise ClientsFileError(f"{where}: unknown key {', '.join(unexpected)}")
    account, scenario, seed, fixtures = (entry.get(k) for k in ("account", "scenario", "seed", "fixtures"))
    if account is not None and (not isinstance(account, str) or not account):
        raise ClientsFileError(f"{where}.account: expected a non-empty string")
    if scenario is not None and scenario not in scenarios:
        raise ClientsFileError(
            f"{where}.scenario: unknown scenario {scenario!r} (known: {', '.join(sorted(scenarios))})")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise ClientsFileError(f"{where}.seed: expected an integer")
    if fixtures is not None and not isinstance(fixtures, str):
        raise ClientsFileError(f"{where}.fixtures: expected a path")
    return Client(values["client_id"], values["client_secret"], frozenset(scopes), account, scenario, seed,
                  base / fixtures if fixtures else None)


def merge_clients(base: Iterable[Client], extra: Iterable[Client]) -> tuple[Client, ...]:
    """``base`` plus ``extra``; a client in ``extra`` replaces one of the same id."""
    merged = {c.client_id: c for c in base}
    merged.update((c.client_id, c) for c in extra)
    return tuple(merged.values())
