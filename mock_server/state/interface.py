"""The one small interface every state store offers (``Store``, ``JournalStore``), and the
plain values that cross it; the stores (``memory``, ``sqlite``, ``redis``) implement it and
``mock_server.state`` opens the one a URL names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from mock_server.ledger.bookings import Decision, Tail
from mock_server.ledger.ledger import Entry
from mock_server.state.records import ClientStore, FaultStore


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

    def look(self, account: str, client: str) -> tuple[int, bool]:
        """The account's ``version`` and whether ``client`` has a fault armed, in one call: what
        every read of the API asks the store first (one query or round trip, not two)."""
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




# -- the request journal ---------------------------------------------------------------------

@dataclass(frozen=True)
class Chunk:
    """Some requests of one client, recorded together: ``entries`` (serialized by ``journal.py``,
    which alone reads them) hold ``count`` requests, numbered ``first``, ``first + 1``, ..."""

    first: int
    count: int
    entries: bytes

    @property
    def last(self) -> int:
        return self.first + self.count - 1


class JournalStore(Protocol):
    """The requests a server answered, shared by its workers (and replicas) through the same
    store as the sandbox, and bounded: the store keeps the last ``size`` sequence numbers it
    handed out, whichever clients they went to.

    Workers write in batches, each client's requests of a batch as one chunk, so a request
    costs the store a share of one write rather than a write of its own. Sequence numbers are
    handed out at commit, so they grow in commit order and a reader asking for what came after
    the last number it saw never misses an entry.
    """

    size: int

    def append(self, chunks: Sequence[tuple[str, int, bytes]]) -> None:
        """Store each (client id, count, entries) with the next ``count`` sequence numbers, in one
        transaction, then forget what falls out of the last ``size``."""
        ...

    def read(self, client_id: str) -> tuple[int, list[Chunk]]:
        """The lowest sequence number still kept (numbers below it are forgotten, also where a
        chunk straddles it), and the client's chunks, oldest first."""
        ...

    def clear(self, client_id: str) -> int:
        """Forget the client's requests; how many were kept."""
        ...


def kept(chunk: Chunk, lowest: int) -> int:
    """How many of a chunk's requests are still kept when ``lowest`` is the lowest number kept."""
    return max(0, chunk.last - max(chunk.first, lowest) + 1)
