"""The state in this process's memory: for tests and one-worker runs; gone at exit."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..ledger import Entry
from ..sandbox import Decision, Remembered, Tail
from . import Snapshot


@dataclass
class _Account:
    version: int = 0
    epoch: int = 0
    tail: Tail | None = None
    rows: list[Entry] = field(default_factory=list)
    keys: dict[str, Remembered] = field(default_factory=dict)


class MemoryStore:
    url = "memory://"
    shared_between_processes = False

    def __init__(self) -> None:
        self._accounts: dict[str, _Account] = {}
        self._lock = threading.Lock()

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
