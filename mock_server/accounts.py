"""Which account each client sees, and that account as this worker serves it now.

An account's base (a scenario's generated ledger, or a loaded ledger.json) is resolved once
at start-up, before the workers fork, and never changes. With the sandbox on, what it
booked lives in the state store; a worker asks the store for the account's version on each
read (one cheap call) and re-reads the account only when the version moved, so a booking
answered by one worker is in the next read of every other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from . import ledger_file
from .ledger import Entry, Ledger, LedgerView
from .render import entry_renderer, render_balances, render_entry, render_history
from .sandbox import Decision, Stacked, Tail, initial_tail
from .scenarios import build_ledger
from .serializer import to_json
from .settings import Client, Settings
from .state import Store

RENDERED_ENTRIES_PER_LEDGER = 16_384
"""Rendered base entries kept per ledger and worker: about 8 MB at most. Clients re-read the
newest pages far more than old ones, so formatting the same amounts again is saved."""
PAGES_PER_VIEW = 256
"""History pages kept as bytes per account view and worker: about 5 MB at most (pages of 100)."""


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

    def digest(self) -> str:
        """Names the base: a state kept across restarts never stacks bookings on another base."""
        if self.ledger_path is not None:
            path = self.ledger_path / "ledger.json" if self.ledger_path.is_dir() else self.ledger_path
            material = path.read_bytes()
        else:
            material = f"{self.scenario}/{self.seed}/{self.account}/{self.entries}".encode()
        return hashlib.sha256(material).hexdigest()[:16]


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


@dataclass(frozen=True)
class Account:
    """An account the server serves: its name, its base and where the store keeps its state."""

    name: str
    source: DataSource
    base: Ledger
    key: str
    """The account in the state store: its name and its base's digest."""
    initial: Tail
    rendered: Callable[[int], dict[str, str]]
    """The base's rendered entries, memoised (shared by every account on the same base)."""


@dataclass(frozen=True)
class View:
    """An account at one version, as the resources answer it."""

    ledger: LedgerView
    balances_json: bytes
    rendered: Callable[[int], dict[str, str]]
    """The rendered entry at a position of ``ledger``."""
    page: Callable[[str | None, str | None, int, int], bytes]
    """The history page for (currency, type, limit, offset), as bytes."""
    tail: Tail
    version: int = 0
    epoch: int = 0
    rows: tuple[Entry, ...] = ()
    """The booked entries, oldest first."""


class Accounts:
    """Every client's account, kept current from the store (None: the sandbox is off, and
    accounts never change)."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.store = store
        built: dict[DataSource, Ledger] = {}
        memos: dict[int, Callable[[int], dict[str, str]]] = {}
        self._accounts: dict[str, Account] = {}
        self._views: dict[str, View] = {}
        for client in settings.clients:
            source = source_for(client, settings)
            if source not in built:  # clients with the same source share one ledger
                built[source] = source.build()
            base = built[source]
            name = client.account or client.client_id
            memo = memos.setdefault(id(base), lru_cache(maxsize=RENDERED_ENTRIES_PER_LEDGER)(entry_renderer(base)))
            account = Account(name, source, base, f"{name}@{source.digest()}", initial_tail(base), memo)
            self._accounts[client.client_id] = account
            if account.key not in self._views:
                self._views[account.key] = _view(account, 0, 0, account.initial, ())

    def of(self, client_id: str) -> Account:
        return self._accounts[client_id]

    def view(self, client_id: str) -> View:
        """The client's account as it is now: one version check, and a re-read only if it moved."""
        account = self._accounts[client_id]
        current = self._views[account.key]
        if self.store is None or self.store.version(account.key) == current.version:
            return current
        snapshot = self.store.read(account.key, current.epoch, len(current.rows))
        if snapshot.since and snapshot.since == len(current.rows):  # the same epoch: only new entries
            view = _grown(current, snapshot.version, snapshot.tail or account.initial, tuple(snapshot.rows))
        else:
            view = _view(account, snapshot.version, snapshot.epoch, snapshot.tail or account.initial,
                         tuple(snapshot.rows))
        self._views[account.key] = view
        return view

    def update(self, client_id: str, decide: Decision, idempotency_key: str | None = None) -> object:
        """Run a sandbox decision on the client's account, atomically in the store."""
        account = self._accounts[client_id]
        return self._store().update(account.key, account.initial, decide, idempotency_key)

    def reset(self, client_id: str) -> None:
        self._store().reset(self._accounts[client_id].key)

    def _store(self) -> Store:
        if self.store is None:
            raise RuntimeError("the sandbox is off: accounts never change")
        return self.store


def _view(account: Account, version: int, epoch: int, tail: Tail, rows: tuple[Entry, ...]) -> View:
    """The account with ``rows`` booked on its base; base entries keep their rendering memo."""
    if not rows:
        return View(account.base, to_json(render_balances(account.base)), account.rendered,
                    _pages(account.base, account.rendered), tail, version, epoch)
    stacked = Stacked.on(account.base, rows)
    rendered = _StackedRendering(account.rendered, len(account.base), [render_entry(row) for row in rows])
    return View(stacked, to_json(render_balances(stacked)), rendered, _pages(stacked, rendered), tail, version,
                epoch, rows)


def _grown(current: View, version: int, tail: Tail, new: tuple[Entry, ...]) -> View:
    """``current`` with ``new`` entries booked on top: the cost of the new entries only."""
    if not new:
        return replace(current, tail=tail, version=version)
    if not isinstance(current.ledger, Stacked):
        raise AssertionError("a view with booked entries is stacked")
    stacked = current.ledger.extended(new)
    before: _StackedRendering = current.rendered  # type: ignore[assignment]
    rendered = _StackedRendering(before.base_memo, len(stacked.base), [*before.booked, *map(render_entry, new)])
    return View(stacked, to_json(render_balances(stacked)), rendered, _pages(stacked, rendered), tail, version,
                current.epoch, current.rows + new)


def _pages(ledger: LedgerView, rendered: Callable[[int], dict[str, str]]
           ) -> Callable[[str | None, str | None, int, int], bytes]:
    """History pages of one view as bytes, memoised: clients poll the same few pages (the
    newest, with their usual filters and size), and a view never changes (a booking makes a
    new one)."""

    @lru_cache(maxsize=PAGES_PER_VIEW)
    def page(currency: str | None, type: str | None, limit: int, offset: int) -> bytes:
        params = {"currency": currency, "type": type, "limit": limit, "offset": offset}
        return to_json(render_history(ledger, params, rendered))

    return page


class _StackedRendering:
    """Base positions from the base's memo; booked ones rendered once, when they arrive."""

    def __init__(self, base_memo: Callable[[int], dict[str, str]], base_size: int,
                 booked: list[dict[str, str]]) -> None:
        self.base_memo = base_memo
        self.booked = booked
        self._base_size = base_size

    def __call__(self, position: int) -> dict[str, str]:
        if position < self._base_size:
            return self.base_memo(position)
        return self.booked[position - self._base_size]
