"""Which account each client sees: a scenario's generated ledger, or a loaded ledger.json.

Resolved once at start-up, before the workers fork, so every worker serves the same data
without sharing any state at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import ledger_file
from .ledger import Ledger
from .scenarios import build_ledger
from .settings import Client, Settings


@dataclass(frozen=True)
class DataSource:
    """Where an account's data comes from: a file, or (scenario, seed, account, length)."""

    scenario: str = ""
    seed: int = 0
    account: str = ""
    entries: int | None = None
    ledger_path: Path | None = None
    """A ledger file: then it alone is the source, whoever reads it."""

    def build(self) -> Ledger:
        if self.ledger_path is not None:
            return ledger_file.load(self.ledger_path)
        return build_ledger(self.scenario, self.seed, self.account, self.entries)


def source_for(client: Client, settings: Settings) -> DataSource:
    """A client's own data settings win over the server's; the account defaults to the client."""
    account = client.account or client.client_id
    if client.ledger_path is not None:
        return DataSource(ledger_path=client.ledger_path)
    if client.scenario is not None or client.seed is not None:
        return DataSource(client.scenario or settings.scenario,
                          settings.seed if client.seed is None else client.seed, account)
    if settings.ledger_path is not None:
        return DataSource(ledger_path=settings.ledger_path)
    return DataSource(settings.scenario, settings.seed, account, settings.entries)


def ledgers_by_client(settings: Settings) -> dict[str, Ledger]:
    """Every client's ledger; clients with the same source share one ledger object."""
    built: dict[DataSource, Ledger] = {}
    ledgers = {}
    for client in settings.clients:
        source = source_for(client, settings)
        if source not in built:
            built[source] = source.build()
        ledgers[client.client_id] = built[source]
    return ledgers
