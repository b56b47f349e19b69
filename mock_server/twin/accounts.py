"""Which account each client sees, and that account as this worker serves it now.

An account's base (a scenario's generated ledger, or a loaded ledger.json) is resolved once
at start-up, before the workers fork, and never changes. With the sandbox on, what it
booked lives in the state store; a worker asks the store for the account's version on each
read (one cheap call) and re-reads the account only when the version moved, so a booking
answered by one worker is in the next read of every other.

A client created through the control API has an account of its own, named by its id, built
by each worker when it first serves it. Its base is generated from (scenario, seed, entries)
for the account ``demo`` whatever the id, so a test gets the same data on every run; clients
with the same data share one base.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from mock_server.ledger import ledger_file
from mock_server.ledger.bookings import Decision, Stacked, Tail, initial_tail
from mock_server.ledger.ledger import Entry, Ledger, LedgerView
from mock_server.ledger.recorded import Recorded
from mock_server.ledger.render import entry_renderer, render_balances, render_entry, render_history
from mock_server.ledger.scenarios import DEFAULT_ACCOUNT, build_ledger
from mock_server.serializer import to_json
from mock_server.settings import Client, Settings
from mock_server.state.interface import Store
from mock_server.state.records import ClientRecord

RENDERED_ENTRIES_PER_LEDGER = 16_384
"""Rendered base entries kept per ledger and worker: about 8 MB at most. Clients re-read the
newest pages far more than old ones, so formatting the same amounts again is saved."""
PAGES_PER_VIEW = 256
"""History pages kept as bytes per account view and worker: about 5 MB at most (pages of 100)."""
CREATED_ACCOUNTS_PER_WORKER = 1024
"""Created clients' accounts a worker keeps built, the most recently read; another is built again
(its state read from the store) when it is read again. A test suite creates one per test."""
CREATED_BASES_PER_WORKER = 32
"""Distinct bases of created clients a worker keeps: one per (scenario, seed, entries) in use."""


@dataclass(frozen=True)
class DataSource:
    """Where an account's data comes from: a file, or (scenario, seed, account, length)."""

    scenario: str = ""
    seed: int = 0
    account: str = ""
    entries: int | None = None
    ledger_path: Path | None = None
    """A ledger file: then it alone is the source, whoever reads it."""

    def build(self) -> Ledger | Recorded:
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


def created_source(record: ClientRecord) -> DataSource:
    """A created client's data: its (scenario, seed, entries), generated for the account ``demo``."""
    return DataSource(record.scenario, record.seed, DEFAULT_ACCOUNT, record.entries)


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
    base: Ledger | Recorded
    """Its ledger, or a recording that does not reconcile, served as recorded (no bookings)."""
    key: str
    """The account in the state store: its name and its base's digest."""
    initial: Tail
    rendered: Callable[[int], Mapping[str, Any]]
    """The base's rendered entries, memoised (shared by every account on the same base)."""
    balances_json: bytes
    """The base's balances body."""


@dataclass(frozen=True)
class View:
    """An account at one version, as the resources answer it."""

    ledger: LedgerView | Recorded
    balances_json: bytes
    rendered: Callable[[int], Mapping[str, Any]]
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
    accounts never change). ``created`` finds a client created through the control API."""

    def __init__(self, settings: Settings, store: Store | None = None,
                 created: Callable[[str], ClientRecord | None] | None = None) -> None:
        self.store = store
        self._bases: dict[DataSource, _Base] = {}
        self._accounts: dict[str, Account] = {}
        self._views = _RecentViews(len(settings.clients) + CREATED_ACCOUNTS_PER_WORKER)
        for client in settings.clients:
            source = source_for(client, settings)
            if source not in self._bases:  # clients with the same source share one ledger
                self._bases[source] = _base(source)
            name = client.account or client.client_id
            account = _account(name, source, self._bases[source])
            self._accounts[client.client_id] = account
            if self._views.recall(account.key) is None:
                self._views.keep(account.key, _view(account, 0, 0, account.initial, ()))
        self._created = created
        self._created_bases = lru_cache(maxsize=CREATED_BASES_PER_WORKER)(_base)
        self._created_accounts = lru_cache(maxsize=CREATED_ACCOUNTS_PER_WORKER)(self._created_account)

    def of(self, client_id: str) -> Account:
        """The client's account; KeyError for a client nobody configured or created."""
        account = self._accounts.get(client_id)
        return account if account is not None else self._created_accounts(client_id)

    def _created_account(self, client_id: str) -> Account:
        """Raises KeyError for an unknown client, which ``lru_cache`` does not remember."""
        record = self._created(client_id) if self._created is not None else None
        if record is None:
            raise KeyError(client_id)
        source = created_source(record)
        return _account(client_id, source, self._bases.get(source) or self._created_bases(source))

    def look(self, client_id: str) -> tuple[int, bool]:
        """The version of the client's account and whether the client has a fault armed, in one
        store call (the armed-fault step asks it; ``view`` then takes the version as it was)."""
        return self._store().look(self.of(client_id).key, client_id)

    def view(self, client_id: str, version: int | None = None) -> View:
        """The client's account as it is now: one version check (none if ``version`` was read
        already, by ``look``), and a re-read only if it moved."""
        account = self.of(client_id)
        current = self._views.recall(account.key)
        if current is None:  # not read by this worker yet (a created account), or not lately
            current = self._views.keep(account.key, _view(account, 0, 0, account.initial, ()))
        if self.store is None:
            return current
        if (self.store.version(account.key) if version is None else version) == current.version:
            return current
        snapshot = self.store.read(account.key, current.epoch, len(current.rows))
        if snapshot.since and snapshot.since == len(current.rows):  # the same epoch: only new entries
            view = _grown(current, snapshot.version, snapshot.tail or account.initial, tuple(snapshot.rows))
        else:
            view = _view(account, snapshot.version, snapshot.epoch, snapshot.tail or account.initial,
                         tuple(snapshot.rows))
        self._views.keep(account.key, view)
        return view

    def update(self, client_id: str, decide: Decision, idempotency_key: str | None = None) -> object:
        """Run a sandbox decision on the client's account, atomically in the store."""
        account = self.of(client_id)
        return self._store().update(account.key, account.initial, decide, idempotency_key)

    def reset(self, client_id: str) -> None:
        self._store().reset(self.of(client_id).key)

    def _store(self) -> Store:
        if self.store is None:
            raise RuntimeError("the sandbox is off: accounts never change")
        return self.store


@dataclass(frozen=True)
class _Base:
    """A base ledger with what every account on it shares: its rendering memo, first tail and
    balances body."""

    ledger: Ledger | Recorded
    rendered: Callable[[int], Mapping[str, Any]]
    initial: Tail
    balances_json: bytes


def _base(source: DataSource) -> _Base:
    ledger = source.build()
    if isinstance(ledger, Recorded):  # its entries and balances are answered as recorded
        return _Base(ledger, ledger.raw, initial_tail(ledger), to_json(ledger.balances_body))
    return _Base(ledger, lru_cache(maxsize=RENDERED_ENTRIES_PER_LEDGER)(entry_renderer(ledger)), initial_tail(ledger),
                 to_json(render_balances(ledger)))


def _account(name: str, source: DataSource, base: _Base) -> Account:
    return Account(name, source, base.ledger, f"{name}@{source.digest()}", base.initial, base.rendered,
                   base.balances_json)


class _RecentViews:
    """Account views by account key, the ``size`` most recently read. Reading one is two
    dictionary operations without a lock (each atomic); keeping one takes the lock."""

    def __init__(self, size: int) -> None:
        self._views: OrderedDict[str, View] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def recall(self, key: str) -> View | None:
        try:
            self._views.move_to_end(key)
            return self._views[key]
        except KeyError:  # never kept, or dropped (even by another thread between the two steps)
            return None

    def keep(self, key: str, view: View) -> View:
        with self._lock:
            self._views[key] = view
            self._views.move_to_end(key)
            while len(self._views) > self._size:
                self._views.popitem(last=False)
        return view


def _view(account: Account, version: int, epoch: int, tail: Tail, rows: tuple[Entry, ...]) -> View:
    """The account with ``rows`` booked on its base; base entries keep their rendering memo."""
    if not rows:
        return View(account.base, account.balances_json, account.rendered, _pages(account.base, account.rendered),
                    tail, version, epoch)
    if isinstance(account.base, Recorded):
        raise AssertionError("the sandbox books nothing on a recorded account served as recorded")
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


def _pages(ledger: LedgerView | Recorded, rendered: Callable[[int], Mapping[str, Any]]
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
