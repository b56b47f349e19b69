"""Where the sandbox keeps what it booked, shared by every worker (and, with Redis, every
replica): one small interface, three stores.

- ``sqlite:///path/state.db``: the default (in a temporary file the server removes at exit,
  or a path that keeps the sandbox across restarts); WAL mode, one writer at a time.
- ``redis://host:port/N``: shared between replicas on several machines.
- ``memory://``: one process only (the CLI then runs one worker).

A store knows nothing of ledgers or money. Per account it keeps a version that moves on
every change (workers re-read an account only when it moved), the account's ``Tail`` (as
JSON), its booked entries (append-only until reset), and what idempotency keys booked. A
change is a pure ``Decision`` (``mock_server.ledger.bookings``) that the store runs atomically against the
current tail: no lost update, no double spend, in any number of processes.

Beside the accounts, a store keeps the clients created and the faults armed through the
control API (``clients`` and ``faults``, see ``records.py``), and in the same place the request
journal (``JournalStore``, opened with ``open_journal``).

Offers: ``open_store``, ``open_journal`` and, from ``interface.py``, ``Store``, ``JournalStore``,
``Snapshot``, ``Chunk``, ``StateUrlError`` and ``redacted``. May import ``mock_server.ledger``
(the entries and bookings it stores) and nothing above it.
"""

from __future__ import annotations

from mock_server.state.interface import (
    Chunk,
    JournalStore,
    Snapshot,
    StateUrlError,
    Store,
    kept,
    redacted,
)

__all__ = ["Chunk", "JournalStore", "Snapshot", "StateUrlError", "Store", "kept", "open_journal", "open_store",
           "redacted"]


def open_store(url: str) -> Store:
    """The store a ``--state`` URL names."""
    scheme = url.partition("://")[0].lower()
    if scheme == "memory":
        from mock_server.state.memory import MemoryStore
        return MemoryStore()
    if scheme == "sqlite":
        from mock_server.state.sqlite import SqliteStore
        return SqliteStore.from_url(url)
    if scheme in ("redis", "rediss", "unix"):
        from mock_server.state.redis import RedisStore
        return RedisStore.from_url(url)
    raise StateUrlError(f"unknown state store {url!r}: use sqlite:///path/state.db, redis://host:port/N "
                        "or memory://")


def open_journal(store: Store, size: int) -> JournalStore:
    """The request journal in the same place as ``store``'s state, keeping ``size`` requests."""
    from mock_server.state.memory import MemoryJournal, MemoryStore
    from mock_server.state.sqlite import SqliteJournal, SqliteStore

    if isinstance(store, MemoryStore):
        return MemoryJournal(store, size)
    if isinstance(store, SqliteStore):
        return SqliteJournal(store, size)
    from mock_server.state.redis import RedisJournal, RedisStore

    if isinstance(store, RedisStore):
        return RedisJournal(store, size)
    raise TypeError(f"no request journal for a {type(store).__name__}")
