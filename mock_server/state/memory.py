"""The state in this process's memory: for tests and one-worker runs; gone at exit."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from weakref import WeakKeyDictionary

from mock_server.ledger.bookings import Decision, Remembered, Tail
from mock_server.ledger.ledger import Entry
from mock_server.state.interface import Chunk, Snapshot, kept
from mock_server.state.records import ArmedFault, ClientRecord, Fault


@dataclass
class _Account:
    version: int = 0
    epoch: int = 0
    tail: Tail | None = None
    rows: list[Entry] = field(default_factory=list)
    keys: dict[str, Remembered] = field(default_factory=dict)


class MemoryClients:
    def __init__(self) -> None:
        self._clients: dict[str, ClientRecord] = {}
        self._lock = threading.Lock()

    def add(self, record: ClientRecord) -> bool:
        with self._lock:
            if record.client_id in self._clients:
                return False
            self._clients[record.client_id] = record
            return True

    def get(self, client_id: str) -> ClientRecord | None:
        return self._clients.get(client_id)


class MemoryFaults:
    def __init__(self) -> None:
        self._faults: dict[str, list[ArmedFault]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def arm(self, client: str, fault: Fault) -> ArmedFault:
        with self._lock:
            armed = ArmedFault.of(next(self._ids), fault)
            self._faults.setdefault(client, []).append(armed)
            return armed

    def armed(self, client: str) -> list[ArmedFault]:
        with self._lock:
            return list(self._faults.get(client, ()))

    def disarm(self, client: str) -> int:
        with self._lock:
            return len(self._faults.pop(client, ()))

    def any_armed(self, client: str) -> bool:
        return bool(self._faults.get(client))  # no lock: the answer of nearly every request

    def take(self, client: str, method: str, path: str) -> ArmedFault | None:
        if not self.any_armed(client):
            return None
        with self._lock:
            faults = self._faults.get(client, [])
            for index, fault in enumerate(faults):
                if fault.path == path and fault.method in (None, method):
                    fired = replace(fault, times_left=fault.times_left - 1)
                    if fired.times_left:
                        faults[index] = fired
                    else:
                        del faults[index]
                    return fired
            return None


class MemoryStore:
    url = "memory://"
    shared_between_processes = False

    def __init__(self) -> None:
        self._accounts: dict[str, _Account] = {}
        self._lock = threading.Lock()
        self.clients = MemoryClients()
        self.faults = self._faults = MemoryFaults()
        """``_faults``: this store's own, whoever wraps ``faults`` (a test watching what changes)."""

    def _account(self, account: str) -> _Account:
        return self._accounts.setdefault(account, _Account())

    def version(self, account: str) -> int:
        found = self._accounts.get(account)
        return 0 if found is None else found.version

    def look(self, account: str, client: str) -> tuple[int, bool]:
        return self.version(account), self._faults.any_armed(client)

    def read(self, account: str, epoch: int, since: int) -> Snapshot:
        with self._lock:
            state = self._account(account)
            since = since if epoch == state.epoch else 0
            return Snapshot(state.version, state.epoch, state.tail, since, state.rows[since:])

    def update(self, account: str, initial: Tail, decide: Decision, idempotency_key: str | None = None) -> object:
        with self._lock:
            state = self._account(account)
            outcome = decide(state.tail or initial, state.keys.get(idempotency_key) if idempotency_key else None)
            if outcome.tail is not None:
                state.tail = outcome.tail
                state.rows.extend(outcome.rows)
                if outcome.remember is not None:
                    key, remembered = outcome.remember
                    state.keys[key] = remembered
                state.version += 1
            return outcome.result

    def reset(self, account: str) -> None:
        with self._lock:
            state = self._account(account)
            self._accounts[account] = _Account(version=state.version + 1, epoch=state.epoch + 1)

    def close(self) -> None:
        self._accounts.clear()


@dataclass
class _Recorded:
    """A memory store's journal, shared by every ``MemoryJournal`` opened on the store."""

    last: int = 0
    chunks: dict[str, deque[Chunk]] = field(default_factory=dict)
    order: deque[tuple[int, str]] = field(default_factory=deque)
    """(last number, client) of every chunk, oldest first: what to forget first."""
    lock: threading.Lock = field(default_factory=threading.Lock)


_journals: WeakKeyDictionary[MemoryStore, _Recorded] = WeakKeyDictionary()


class MemoryJournal:
    """The request journal of one process, kept with ``store`` (see ``JournalStore``)."""

    def __init__(self, store: MemoryStore, size: int) -> None:
        self.size = size
        self._recorded = _journals.setdefault(store, _Recorded())

    def append(self, chunks: Sequence[tuple[str, int, bytes]]) -> None:
        recorded = self._recorded
        with recorded.lock:
            for client_id, count, entries in chunks:
                chunk = Chunk(recorded.last + 1, count, entries)
                recorded.last = chunk.last
                recorded.chunks.setdefault(client_id, deque()).append(chunk)
                recorded.order.append((chunk.last, client_id))
            lowest = self._lowest()
            while recorded.order and recorded.order[0][0] < lowest:
                _, client_id = recorded.order.popleft()
                owned = recorded.chunks.get(client_id)
                while owned and owned[0].last < lowest:
                    owned.popleft()

    def read(self, client_id: str) -> tuple[int, list[Chunk]]:
        with self._recorded.lock:
            return self._lowest(), list(self._recorded.chunks.get(client_id, ()))

    def clear(self, client_id: str) -> int:
        with self._recorded.lock:
            lowest = self._lowest()
            return sum(kept(chunk, lowest) for chunk in self._recorded.chunks.pop(client_id, ()))

    def _lowest(self) -> int:
        return self._recorded.last - self.size + 1
