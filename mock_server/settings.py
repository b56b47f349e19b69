"""Every knob of the mock in one frozen object, and the OAuth clients it knows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_SEED = 1
DEFAULT_SCENARIO = "default"
"""The scenario served and exported unless one is named (one of ``scenarios.SCENARIOS``)."""
DEFAULT_TOKEN_TTL = 3600  # seconds; the value most documentation pages give


@dataclass(frozen=True)
class Client:
    """An OAuth client allowed to use the client-credentials grant, and the account it sees.

    ``account`` names the account whose data the client reads (default: its own id), so two
    clients can be two credentials of one account. ``scenario``, ``seed`` and ``fixtures``
    give the client data of its own instead of the server's.
    """

    client_id: str
    client_secret: str
    scopes: frozenset[str]
    account: str | None = None
    scenario: str | None = None
    seed: int | None = None
    fixtures: Path | None = None


DEMO_CLIENTS = (
    Client("demo", "demo-secret", frozenset({"read", "write"})),
    Client("demo-read", "demo-secret", frozenset({"read"}), account="demo"),
)


@dataclass(frozen=True)
class Settings:
    """What ``create_app`` needs; the CLI builds it from flags and environment variables."""

    seed: int = DEFAULT_SEED
    scenario: str = DEFAULT_SCENARIO
    entries: int | None = None
    """History length; None: the scenario's own."""
    fixtures: Path | None = None
    """A ledger.json (or a folder holding one) to serve instead of a generated scenario."""
    clients: tuple[Client, ...] = DEMO_CLIENTS
    token_secret: str | None = field(default=None, repr=False)
    """Signs tokens. None: a random one, so other processes reject this one's tokens."""
    token_ttl: int = DEFAULT_TOKEN_TTL
    latency_ms: tuple[int, int] | None = None
    """Every request waits a random MIN..MAX milliseconds (chaos runs)."""
    error_rate: float = 0.0
    """Share of requests answered 500 or 503 in the envelope (chaos runs)."""
    fault_rate: float = 0.0
    """Share of responses cut off mid-body or dropped (chaos runs)."""
    rate_limit: str | None = None
    """Per-client limits such as ``100/minute;1000/hour;5000/day``; None: no limit."""
    rate_limit_storage: str = "memory://"
    """Where counts live: ``memory://`` (one process) or ``redis://host:port`` (shared)."""


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
