"""Every knob of the mock in one frozen object, and the OAuth clients it knows.

Plain data: it loads without Flask, so a command or the pytest plugin can read and build
settings without starting the web stack."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SEED = 1
DEFAULT_SCENARIO = "default"
"""The scenario served and exported unless one is named (one of ``scenarios.SCENARIOS``)."""
DEFAULT_TOKEN_TTL = 3600  # seconds; the value most documentation pages give
DEFAULT_JOURNAL_SIZE = 10_000


@dataclass(frozen=True)
class Chaos:
    """Server-wide faults for chaos runs; rates are probabilities between 0 and 1. Which
    requests they hit is drawn from the server's seed (``Settings.seed``), like its data."""

    latency_ms: tuple[int, int] | None = None
    """Every request waits a random MIN..MAX milliseconds."""
    error_rate: float = 0.0
    """Share of requests answered 500 or 503 in the envelope."""
    fault_rate: float = 0.0
    """Share of responses cut off mid-body or dropped."""

    @property
    def active(self) -> bool:
        return bool(self.latency_ms or self.error_rate or self.fault_rate)


@dataclass(frozen=True)
class Client:
    """An OAuth client allowed to use the client-credentials grant, and the account it sees.

    ``account`` names the account whose data the client reads (default: its own id), so two
    clients can be two credentials of one account. ``scenario``, ``seed`` and ``ledger_path``
    (``fixtures:`` in a clients file) give the client data of its own instead of the server's.
    """

    client_id: str
    client_secret: str
    scopes: frozenset[str]
    account: str | None = None
    scenario: str | None = None
    seed: int | None = None
    ledger_path: Path | None = None


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
    ledger_path: Path | None = None
    """A ledger.json (or a folder holding one) to serve instead of a generated scenario."""
    clients: tuple[Client, ...] = DEMO_CLIENTS
    token_secret: str | None = field(default=None, repr=False)
    """Signs tokens. None: a random one, so other processes reject this one's tokens."""
    token_ttl: int = DEFAULT_TOKEN_TTL
    chaos: Chaos = Chaos()
    """Server-wide latency, errors and cut connections, drawn from ``seed``; none by default."""
    rate_limit: str | None = None
    """Per-client limits such as ``100/minute;1000/hour;5000/day``; None: no limit."""
    rate_limit_storage: str = "memory://"
    """Where counts live: ``memory://`` (one process) or ``redis://host:port`` (shared)."""
    sandbox: bool = True
    """The control API under ``/__sandbox/``; off, the mock is indistinguishable from the real API."""
    state: str = "memory://"
    """Where the sandbox keeps what it booked (see ``state.open_store``). The CLI's default is a
    SQLite file in a temporary folder, shared by its workers."""
    journal: bool = True
    """The request journal (``GET /__sandbox/requests``), kept in ``state``; only with the sandbox."""
    journal_size: int = DEFAULT_JOURNAL_SIZE
    """Requests the journal keeps, all clients together: the newest."""
    console: bool = True
    """The web console under ``/__console/``; only with the sandbox."""
