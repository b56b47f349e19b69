"""The state in a SQLite file (the standard library's ``sqlite3``), shared by every worker.

WAL mode lets readers go on while one writer books; ``BEGIN IMMEDIATE`` takes the write
lock before the tail is read, so two workers never decide on the same tail (no lost
update, no double spend). ``synchronous=NORMAL`` makes every commit survive the server
being killed (``kill -9``); only a power cut can lose the last commits. Each thread of each
worker opens its own connection, after the fork.

``PRAGMA data_version`` tells a connection, without reading a table, whether another one has
committed since it last looked: a read whose accounts did not change costs no query. Before
asking it, a read compares the WAL index's header (the first bytes of the ``-shm`` file, which
every commit rewrites, and whose change is what moves ``data_version``) with the header it saw
at its last ``PRAGMA``: unchanged, nothing was committed since, and the pragma (a statement, and
two ``fcntl`` calls for its read lock) is not asked.
"""

from __future__ import annotations

import json
import mmap
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path

from mock_server.ledger.bookings import Decision, Remembered, Tail
from mock_server.ledger.ledger import Entry
from mock_server.state.interface import Chunk, Snapshot, StateUrlError, kept
from mock_server.state.records import ArmedFault, ClientRecord, Fault

WAL_INDEX_HEADER = 96
"""The WAL index's header, both copies (https://sqlite.org/walformat.html, "The WAL-Index
Header"): every commit, and every restart of the WAL, rewrites it."""

BUSY_TIMEOUT_S = 30.0
"""How long a writer waits for another's lock before it fails (it never should, at booking speed)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    account TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    tail TEXT
);
CREATE TABLE IF NOT EXISTS entries (
    account TEXT NOT NULL,
    seq INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    currency TEXT NOT NULL,
    type TEXT NOT NULL,
    amount INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    PRIMARY KEY (account, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS idempotency_keys (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (account, key)
) WITHOUT ROWID;
"""


TESTING_SCHEMA = """
CREATE TABLE IF NOT EXISTS clients (
    client_id TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL,
    scopes TEXT NOT NULL,
    scenario TEXT NOT NULL,
    seed INTEGER NOT NULL,
    entries INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client TEXT NOT NULL,
    path TEXT NOT NULL,
    method TEXT,
    status INTEGER NOT NULL,
    times_left INTEGER NOT NULL,
    delay_ms INTEGER NOT NULL,
    retry_after INTEGER
);
CREATE INDEX IF NOT EXISTS faults_in_firing_order ON faults (client, id);
"""
"""Created clients and armed faults (``testing.py``). AUTOINCREMENT: a fault's id is never
reused, even after every fault is disarmed, so ids keep increasing on one state."""

_FAULT = "id, path, method, status, times_left, delay_ms, retry_after"


class SqliteClients:
    """Created clients, on the store's connection of each thread."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def add(self, record: ClientRecord) -> bool:
        added = self._store._connection().execute(
            "INSERT OR IGNORE INTO clients (client_id, secret_sha256, scopes, scenario, seed, entries) "
            "VALUES (?, ?, ?, ?, ?, ?)", (record.client_id, record.secret_sha256, " ".join(sorted(record.scopes)),
                                          record.scenario, record.seed, record.entries))
        return added.rowcount == 1

    def get(self, client_id: str) -> ClientRecord | None:
        row = self._store._connection().execute(
            "SELECT secret_sha256, scopes, scenario, seed, entries FROM clients WHERE client_id = ?",
            (client_id,)).fetchone()
        if row is None:
            return None
        secret_sha256, scopes, scenario, seed, entries = row
        return ClientRecord(client_id, secret_sha256, frozenset(scopes.split()), scenario, seed, entries)


class SqliteFaults:
    """Armed faults, on the store's connection of each thread. Which (client, path) pairs have
    a fault is cached per connection until ``PRAGMA data_version`` says another connection
    committed, so a request with no fault armed for it reads no table; one that has one takes
    it in a write transaction (``BEGIN IMMEDIATE``), so no two workers fire the same time."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def arm(self, client: str, fault: Fault) -> ArmedFault:
        with self._store._writing() as connection:
            (row,) = connection.execute(  # every row fetched: the statement is done before COMMIT
                "INSERT INTO faults (client, path, method, status, times_left, delay_ms, retry_after) "
                f"VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {_FAULT}",
                (client, fault.path, fault.method, fault.status, fault.times, fault.delay_ms,
                 fault.retry_after)).fetchall()
        self._forget()
        return ArmedFault(*row)

    def armed(self, client: str) -> list[ArmedFault]:
        rows = self._store._connection().execute(f"SELECT {_FAULT} FROM faults WHERE client = ? ORDER BY id",
                                                 (client,))
        return [ArmedFault(*row) for row in rows]

    def disarm(self, client: str) -> int:
        with self._store._writing() as connection:
            count = connection.execute("DELETE FROM faults WHERE client = ?", (client,)).rowcount
        self._forget()
        return count

    def take(self, client: str, method: str, path: str) -> ArmedFault | None:
        if (client, path) not in self._armed():
            return None
        with self._store._writing() as connection:
            row = connection.execute(
                f"SELECT {_FAULT} FROM faults WHERE client = ? AND path = ? AND (method IS NULL OR method = ?) "
                "ORDER BY id LIMIT 1", (client, path, method)).fetchone()
            fired = None if row is None else replace(ArmedFault(*row), times_left=row[4] - 1)
            if fired is not None and fired.times_left:
                connection.execute("UPDATE faults SET times_left = ? WHERE id = ?", (fired.times_left, fired.id))
            elif fired is not None:
                connection.execute("DELETE FROM faults WHERE id = ?", (fired.id,))
        self._forget()
        return fired

    def _armed(self) -> frozenset[tuple[str, str]]:
        """The (client, path) pairs with a fault, as this thread's connection last read them;
        read again only when another connection has committed since (``SqliteStore._fresh``)."""
        return self._store._faulted(self._store._fresh())[0]

    def _forget(self) -> None:
        """After a write on this thread's connection, which does not move its own data_version."""
        self._store._local.faulted = None


class SqliteStore:
    shared_between_processes = True

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        self._local = threading.local()
        """Each thread's connection and caches. A forked worker starts with none (``_forked``):
        checked once at the fork, not with a ``getpid`` on every call."""
        os.register_at_fork(after_in_child=partial(_forked, weakref.ref(self)))
        self.clients = SqliteClients(self)
        self.faults = SqliteFaults(self)
        # Creates the file and the tables, or fails now; then closes, since a connection open in
        # the main process when the workers fork would leave them without locks of their own.
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(SCHEMA)
            connection.executescript(TESTING_SCHEMA)
        finally:
            connection.close()

    @classmethod
    def from_url(cls, url: str) -> SqliteStore:
        """``sqlite:///relative/state.db`` or ``sqlite:////absolute/state.db`` (SQLAlchemy's forms)."""
        prefix = "sqlite:///"
        if not url.startswith(prefix) or len(url) == len(prefix):
            raise StateUrlError(f"{url!r}: a SQLite state is sqlite:///relative/path.db or sqlite:////absolute/path.db")
        path = Path(url[len(prefix):])
        if path.name == ":memory:":  # each connection, so each worker, would have a database of its own
            raise StateUrlError(f"{url!r}: an in-memory SQLite database is not shared between workers; "
                                "use memory:// (one worker) or a file, sqlite:///path/state.db")
        if not path.parent.is_dir():
            raise StateUrlError(f"{url!r}: the folder {path.parent} does not exist")
        try:
            return cls(path)
        except sqlite3.Error as error:
            raise StateUrlError(f"{url!r}: cannot use {path} as a SQLite database: {error}") from None

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection, opened in this process (a forked worker opens its own)."""
        local = self._local
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                         check_same_thread=True)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            local.connection = connection
            local.data_version, local.versions, local.faulted = None, {}, None
            local.wal_index, local.header_seen = None, None
        return connection

    def _fresh(self) -> threading.local:
        """This thread's cached versions and faults, emptied if another connection has committed
        since they were read: one ``PRAGMA data_version``, no table read; and not even that while
        the WAL index's header is as it was before the last one (nothing committed since)."""
        connection = self._connection()
        local = self._local
        wal_index = local.wal_index
        header = wal_index[:WAL_INDEX_HEADER] if wal_index else None  # before the pragma, never after
        if header is not None and header == local.header_seen:
            return local
        data_version = connection.execute("PRAGMA data_version").fetchone()[0]
        if wal_index is None:
            local.wal_index = _wal_index(self.path)
        local.header_seen = header
        if data_version != local.data_version:
            local.data_version = data_version
            local.versions.clear()
            local.faulted = None
        return local

    def version(self, account: str) -> int:
        return self._version(self._fresh(), account)

    def look(self, account: str, client: str) -> tuple[int, bool]:
        """Both from one look at ``data_version``: the version read and the faults checked cost one
        query together when nothing changed (two, each its own, before)."""
        local = self._fresh()
        return self._version(local, account), client in self._faulted(local)[1]

    @staticmethod
    def _version(local: threading.local, account: str) -> int:
        version = local.versions.get(account)
        if version is None:
            row = local.connection.execute("SELECT version FROM accounts WHERE account = ?", (account,)).fetchone()
            version = local.versions[account] = row[0] if row else 0
        return version

    @staticmethod
    def _faulted(local: threading.local) -> tuple[frozenset[tuple[str, str]], frozenset[str]]:
        """The (client, path) pairs with a fault armed, and the clients."""
        if local.faulted is None:
            pairs = frozenset(local.connection.execute("SELECT DISTINCT client, path FROM faults"))
            local.faulted = (pairs, frozenset(client for client, _ in pairs))
        return local.faulted

    def read(self, account: str, epoch: int, since: int) -> Snapshot:
        connection = self._connection()
        connection.execute("BEGIN")  # one consistent view of the account and its entries
        try:
            row = connection.execute("SELECT version, epoch, tail FROM accounts WHERE account = ?",
                                     (account,)).fetchone()
            version, stored_epoch, tail = row if row else (0, 0, None)
            since = since if epoch == stored_epoch else 0
            rows = [Entry(*r) for r in connection.execute(
                "SELECT timestamp, currency, type, amount, balance_after FROM entries "
                "WHERE account = ? AND seq >= ? ORDER BY seq", (account, since))]
        finally:
            connection.execute("COMMIT")
        return Snapshot(version, stored_epoch, Tail.from_json(json.loads(tail)) if tail else None, since, rows)

    def update(self, account: str, initial: Tail, decide: Decision, idempotency_key: str | None = None) -> object:
        with self._writing() as connection:
            row = connection.execute("SELECT tail FROM accounts WHERE account = ?", (account,)).fetchone()
            tail = Tail.from_json(json.loads(row[0])) if row and row[0] else initial
            remembered = self._remembered(connection, account, idempotency_key) if idempotency_key else None
            outcome = decide(tail, remembered)
            if outcome.tail is not None:
                self._write(connection, account, outcome.tail, outcome.rows, outcome.remember)
        self._local.versions.pop(account, None)
        return outcome.result

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: the lock first (``BEGIN IMMEDIATE``), then the reads that decide.
        Anything raised, a failed ``COMMIT`` too (a full disk), rolls back and releases the lock."""
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    @staticmethod
    def _remembered(connection: sqlite3.Connection, account: str, key: str) -> Remembered | None:
        row = connection.execute("SELECT fingerprint, entry FROM idempotency_keys WHERE account = ? AND key = ?",
                                 (account, key)).fetchone()
        return Remembered(row[0], Entry(*json.loads(row[1]))) if row else None

    @staticmethod
    def _write(connection: sqlite3.Connection, account: str, tail: Tail, rows: tuple[Entry, ...],
               remember: tuple[str, Remembered] | None) -> None:
        connection.execute(
            "INSERT INTO accounts (account, version, epoch, tail) VALUES (?, 1, 0, ?) "
            "ON CONFLICT (account) DO UPDATE SET version = version + 1, tail = excluded.tail",
            (account, json.dumps(tail.to_json())))
        first = tail.booked - len(rows)
        connection.executemany(
            "INSERT INTO entries (account, seq, timestamp, currency, type, amount, balance_after) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", [(account, first + i, *row) for i, row in enumerate(rows)])
        if remember is not None:
            key, remembered = remember
            connection.execute("INSERT INTO idempotency_keys (account, key, fingerprint, entry) VALUES (?, ?, ?, ?)",
                               (account, key, remembered.fingerprint, json.dumps(list(remembered.entry))))

    def reset(self, account: str) -> None:
        with self._writing() as connection:
            connection.execute(
                "INSERT INTO accounts (account, version, epoch, tail) VALUES (?, 1, 1, NULL) "
                "ON CONFLICT (account) DO UPDATE SET version = version + 1, epoch = epoch + 1, tail = NULL",
                (account,))
            connection.execute("DELETE FROM entries WHERE account = ?", (account,))
            connection.execute("DELETE FROM idempotency_keys WHERE account = ?", (account,))
        self._local.versions.pop(account, None)

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            del self._local.connection
            if self._local.wal_index:
                self._local.wal_index.close()


def _wal_index(path: Path) -> mmap.mmap | bool:
    """The WAL index (``-shm`` file) of the database at ``path``, mapped to read its header; False
    where there is none to map (then every read asks ``PRAGMA data_version``). Mapped once a
    connection has read in WAL mode, so the file exists; it stays while that connection is open
    (SQLite removes it only as the last connection closes)."""
    try:
        with open(f"{path}-shm", "rb") as file:
            if os.fstat(file.fileno()).st_size < WAL_INDEX_HEADER:
                return False
            return mmap.mmap(file.fileno(), WAL_INDEX_HEADER, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return False


def _forked(store: weakref.ref[SqliteStore]) -> None:
    """In a process just forked: its parent's connections are not its own (SQLite's locks are per
    process), so each of its threads opens one."""
    if (kept := store()) is not None:
        kept._local = threading.local()


JOURNAL_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    last_seq INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    entries BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_by_client ON journal (client_id, last_seq);
CREATE TABLE IF NOT EXISTS journal_sequence (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    last INTEGER NOT NULL
);
INSERT OR IGNORE INTO journal_sequence (id, last) VALUES (0, 0);
"""
"""A row per chunk (one client's requests of one batch), keyed by its last sequence number:
forgetting the oldest is a range of the key, reading a client's is a range of its index."""


class SqliteJournal:
    """The request journal in the sandbox's database file, beside its tables (see ``JournalStore``).

    A batch is one ``BEGIN IMMEDIATE`` transaction: it takes the numbers after the last one
    handed out, writes a row per chunk and forgets the rows that fell out of the last ``size``.
    It uses the store's connection of the calling thread, so a worker's writer thread has its
    own.
    """

    def __init__(self, store: SqliteStore, size: int) -> None:
        self.size = size
        self._store = store
        connection = sqlite3.connect(store.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:  # created now, closed before the workers fork (see SqliteStore)
            connection.executescript(JOURNAL_SCHEMA)
        finally:
            connection.close()

    def append(self, chunks: Sequence[tuple[str, int, bytes]]) -> None:
        with self._store._writing() as connection:
            last = connection.execute("SELECT last FROM journal_sequence WHERE id = 0").fetchone()[0]
            rows = []
            for client_id, count, entries in chunks:
                rows.append((last + count, client_id, last + 1, entries))
                last += count
            connection.executemany("INSERT INTO journal (last_seq, client_id, first_seq, entries) VALUES (?, ?, ?, ?)",
                                   rows)
            connection.execute("UPDATE journal_sequence SET last = ? WHERE id = 0", (last,))
            connection.execute("DELETE FROM journal WHERE last_seq < ?", (last - self.size + 1,))

    def read(self, client_id: str) -> tuple[int, list[Chunk]]:
        connection = self._store._connection()
        connection.execute("BEGIN")  # the lowest number and the rows, as of one moment
        try:
            lowest = connection.execute("SELECT last FROM journal_sequence WHERE id = 0").fetchone()[0] - self.size + 1
            chunks = [Chunk(first, last - first + 1, entries) for first, last, entries in connection.execute(
                "SELECT first_seq, last_seq, entries FROM journal WHERE client_id = ? AND last_seq >= ? "
                "ORDER BY last_seq", (client_id, lowest))]
        finally:
            connection.execute("COMMIT")
        return lowest, chunks

    def clear(self, client_id: str) -> int:
        with self._store._writing() as connection:
            lowest = connection.execute("SELECT last FROM journal_sequence WHERE id = 0").fetchone()[0] - self.size + 1
            cleared = sum(kept(Chunk(first, last - first + 1, b""), lowest) for first, last in connection.execute(
                "SELECT first_seq, last_seq FROM journal WHERE client_id = ?", (client_id,)))
            connection.execute("DELETE FROM journal WHERE client_id = ?", (client_id,))
        return cleared
