"""Where the sandbox keeps what it booked, shared by every worker (and, with Redis, every
replica): one small interface, three stores.

- ``sqlite:///path/state.db``: the default (in a temporary file the server removes at exit,
  or a path that keeps the sandbox across restarts); WAL mode, one writer at a time.
- ``redis://host:port/N``: shared between replicas on several machines.
- ``memory://``: one process only (the CLI then runs one worker).

A store knows nothing of ledgers or money. Per account it keeps a version that moves on
every change (workers re-read an account only when it moved), the account's ``Tail`` (as
JSON), its booked entries (append-only until reset), and what idempotency keys booked. A
change is a pure ``Decision`` (``sandbox.py``) that the store runs atomically against the
current tail: no lost update, no double spend, in any number of processes.

Beside the accounts, a store keeps the clients created and the faults armed through the
control API (``clients`` and ``faults``, see ``testing.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..ledger import Entry
from ..sandbox import Decision, Tail
from .testing import ClientStore, FaultStore


@dataclass(frozen=True)
class Snapshot:
    """An account as the store holds it: ``rows`` are the booked entries from ``since`` on
    (from the first one when ``epoch``, the number of resets, is not the one asked about)."""

    version: int
    epoch: int
    tail: Tail | None
    """None: nothing booked or moved since start or reset (the tail is the base's)."""
    since: int
    rows: list[Entry]


class Store(Protocol):
    """The state of sandbox accounts, keyed by an account key (see ``accounts.py``)."""

    url: str
    """Where the state lives, secrets removed, for the banner."""
    shared_between_processes: bool
    clients: ClientStore
    """Clients created with ``POST /__sandbox/clients``."""
    faults: FaultStore
    """Faults armed with ``POST /__sandbox/faults``."""

    def version(self, account: str) -> int:
        """A number that moves whenever the account changes; cheap, asked on every read."""
        ...

    def read(self, account: str, epoch: int, since: int) -> Snapshot:
        """The account now, with its booked entries from ``since`` on if ``epoch`` still holds."""
        ...

    def update(self, account: str, initial: Tail, decide: Decision, idempotency_key: str | None = None) -> object:
        """Run ``decide`` on the account's tail (``initial`` if it has none yet) and what
        ``idempotency_key`` remembers, write its outcome atomically, return its result.
        What ``decide`` raises propagates, and nothing is written."""
        ...

    def reset(self, account: str) -> None:
        """Forget everything booked on the account: its tail, entries and keys."""
        ...

    def close(self) -> None:
        ...


class StateUrlError(ValueError):
    """A ``--state`` URL the mock cannot use; the message says which forms it takes."""


def redacted(url: str) -> str:
    """A state URL without its password, for the banner and messages."""
    scheme, sep, rest = url.partition("://")
    _, at, host = rest.rpartition("@")
    return f"{scheme}{sep}{'***@' if at else ''}{host}"


def open_store(url: str) -> Store:
    """The store a ``--state`` URL names."""
    scheme = url.partition("://")[0].lower()
    if scheme == "memory":
        from .memory import MemoryStore
        return MemoryStore()
    if scheme == "sqlite":
        from .sqlite import SqliteStore
        return SqliteStore.from_url(url)
    if scheme in ("redis", "rediss", "unix"):
        from .redis import RedisStore
        return RedisStore.from_url(url)
    raise StateUrlError(f"unknown state store {url!r}: use sqlite:///path/state.db, redis://host:port/N "
                        "or memory://")
