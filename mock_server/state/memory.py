"""The state in this process's memory: for tests and one-worker runs; gone at exit."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field, replace

from ..ledger import Entry
from ..sandbox import Decision, Remembered, Tail
from . import Snapshot
from .testing import ArmedFault, ClientRecord, Fault


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

    def take(self, client: str, method: str, path: str) -> ArmedFault | None:
        if not self._faults.get(client):  # no lock: the answer of nearly every request
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
        self.faults = MemoryFaults()

    def _account(self, account: str) -> _Account:
        return self._accounts.setdefault(account, _Account())

    def version(self, account: str) -> int:
        found = self._accounts.get(account)
        return 0 if found is None else found.version

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
