"""The request journal: every request answered on the API's paths, with its verdict, for its
client to read back through ``GET /__sandbox/requests`` (``spec/sandbox.yaml`` says what a
client sees; this module says how it gets there).

Recording must not slow the API down. A request keeps a small tuple, its kind serialized (a
client repeats its requests, so that is mostly a lookup: see ``Entries``), and its worker writes
them in batches every ``INTERVAL``: the request that finds a batch due writes it (``batching``: a
thread would cost more), compressed, in one store transaction (SQLite) or one round trip
(Redis). The store numbers the entries as it commits them (``state.JournalStore``).

A client must read its own requests without polling, whichever worker answered them. So a read
of the journal asks every worker, through memory they share (``WorkerSlots``), to write what it
holds, and waits (at most ``SETTLE_TIMEOUT_S``) until each has. With ``memory://`` (one
process) a request is written as it is answered.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterable, Mapping
from email.utils import parsedate_to_datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import orjson
from werkzeug.exceptions import HTTPException

from contract_tests import redaction
from mock_server.journal.batching import BatchWriter
from mock_server.twin.request import Grant

if TYPE_CHECKING:
    from flask import Request, Response

    from mock_server.journal.verdict import Judge, Violation
    from mock_server.state.interface import Chunk, JournalStore
    from mock_server.twin.request import RequestState

log = logging.getLogger("balances_mock")

UNRECORDED = ("/__sandbox/", "/__console/")
"""The control API and the console: the mock's own paths, not the API's, so never recorded."""
INTERVAL = 0.05
"""Seconds between a busy worker's batches: what a replica sharing the Redis state lags behind
by. A read on the same server does not wait for it: it asks the workers to write at once."""
QUIET_S = 0.1
"""How often the server's main process wakes the workers that have not written for that long
(gone quiet, perhaps with requests unwritten): what a replica lags behind by then."""
CAPACITY = 4096
"""Requests kept before the request that adds one writes them itself (a store that stalls)."""
SETTLE_TIMEOUT_S = 2.0
"""The longest a read of the journal waits for the workers' writers."""
FAILURE_REPORT_S = 10.0
"""At most one log line this often about requests the store refused to take."""
BODILESS = frozenset({"GET", "HEAD"})

Record = tuple[str, int, int, bytes]
"""What a request keeps for the writer: its client id, arrival and time taken (whole
microseconds) and its kind, serialized (``Entries``). Not the request's own strings: holding on
to those (let alone the environ, the request or the response) until the batch is written cost a
busy worker more than serializing at once, which a client repeating its requests makes a lookup."""


class Journal:
    """Records answered requests into a ``JournalStore`` and reads them back per client."""

    def __init__(self, store: JournalStore, judge: Judge | None, batched: bool,
                 clock: Callable[[], float] = time.time) -> None:
        """``batched``: write in batches, for a store shared between processes; else
        (``memory://``) each request is written as it is answered. ``clock``: the wall clock that
        stamps arrivals (a test passes its own)."""
        self.clock = clock
        self.store = store
        """Where the entries are kept (a test reads the bytes to see what was stored)."""
        self._judge = judge
        self._entries = Entries()
        self._slots = WorkerSlots() if batched else None
        self._entering = threading.Lock()
        self._entered = False
        """Whether this process has its slot and writer (a forked worker starts without)."""
        self._slot: int | None = None
        self._writer: BatchWriter[Record] | None = None
        self._failed = 0
        self._reported = 0.0
        os.register_at_fork(after_in_child=partial(_forked, weakref.ref(self)))

    # -- recording (the request's path) -----------------------------------------------------

    def record(self, state: RequestState, response: Response) -> None:
        """Keep an answered request for the writer (requests to the mock's own paths excepted).
        Whatever goes wrong here is logged; the request is answered all the same."""
        try:
            duration = time.perf_counter() - state.started
            request = state.request
            environ = request.environ
            if environ["PATH_INFO"].startswith(UNRECORDED):
                return
            # Answered normally (the hot path): valid, and its token names the client.
            if type(state.identity) is Grant and state.step == "answer" and state.error is None \
                    and state.operation is not None:
                client: str | None = state.identity.client_id
                violations: tuple[Violation, ...] = ()
            else:
                assert self._judge is not None, "a journal of the mock's own answers judges them"
                client = self._judge.client_of(request, state)
                if client is None:
                    return
                violations = self._judge.violations(request, state)
            body = None if environ["REQUEST_METHOD"] in BODILESS else _body(request)
            self.keep(client, state.arrival, duration, environ, body, response.status_code,
                      tuple(response.headers), violations)
        except Exception:
            log.exception("Request journal: a request could not be recorded")

    def keep(self, client: str, arrival: float, duration: float, environ: Mapping[str, Any], body: bytes | None,
             status: int, response_headers: tuple[tuple[str, str], ...], violations: tuple[Violation, ...]) -> None:
        """Keep one exchange for the writer: the request (its WSGI environ and body), the answer's
        status and headers, the rules it broke. ``record`` calls it for the mock's own answers;
        ``balances-mock proxy`` for the answers it passes on."""
        method = environ["REQUEST_METHOD"]
        kind = (method, environ["PATH_INFO"], environ.get("QUERY_STRING", ""), *self._entries.headers(environ),
                body, status, response_headers, violations)
        record = (client, int(arrival * 1_000_000), int(duration * 1_000_000), self._entries.kind(kind))
        writer = self._writer
        if writer is not None:
            writer.add(record)
        else:
            self._keep_elsewhere(record)

    def _keep_elsewhere(self, record: Record) -> None:
        """A record of a process's first request (it takes a slot and a writer), or of a process
        that writes as it answers (``memory://``, or no slot left)."""
        if not self._entered:
            self._enter_process()
        if self._writer is None:
            self._write([record])
        else:
            self._writer.add(record)

    def _enter_process(self) -> None:
        """This process's slot, writer and the thread that writes when asked, on its first
        request (a forked worker starts with none of its own)."""
        with self._entering:
            if self._entered:
                return
            if self._slots is not None:
                self._slot = self._slots.claim(os.getpid())
                if self._slot is not None:
                    self._writer = BatchWriter(self._write, INTERVAL, CAPACITY, "request-journal", inline=True)
                    threading.Thread(target=self._write_when_asked, args=(self._writer, self._slot),
                                     name="request-journal (asked)", daemon=True).start()
                else:
                    log.warning("Request journal: no worker slot left; this worker writes each request as "
                                "it answers it.")
            self._entered = True

    def _write_when_asked(self, writer: BatchWriter[Record], slot: int) -> None:
        """Sleeps until a read (or the main process's watch) asks this worker to write; writes
        everything it holds, then says so."""
        slots = self._slots
        while True:
            asked = slots.asked(slot)  # type: ignore[union-attr]
            writer.flush()
            slots.written(slot, asked)  # type: ignore[union-attr]

    def _write(self, records: list[Record]) -> None:
        """The records as chunks, in one write; a store that refuses them loses them (logged),
        never the requests."""
        try:
            self.store.append(Entries.chunks(records))
        except Exception as error:
            self._failed += len(records)
            now = time.monotonic()
            if now - self._reported >= FAILURE_REPORT_S:
                log.warning("Request journal: %d requests could not be written: %s", self._failed, error)
                self._reported, self._failed = now, 0
        if self._slot is not None:
            self._slots.wrote(self._slot)  # type: ignore[union-attr]

    def watch_workers(self) -> None:
        """In the server's main process, before it forks the workers: a thread that wakes the
        workers that have not written for ``QUIET_S`` (gone quiet, perhaps with requests
        unwritten; a busy one writes as it goes), so that replicas sharing the store see those
        requests too. The main process answers no requests, so its timer costs the workers
        nothing (a timer in a worker does: see batching.py), nor does waking an idle worker."""
        if self._slots is not None:
            threading.Thread(target=self._slots.watch, args=(QUIET_S,), name="request-journal (watch)",
                             daemon=True).start()

    # -- reading (GET and DELETE /__sandbox/requests) ---------------------------------------

    def settle(self) -> None:
        """Wait until every request this server answered before now is in the store, whichever
        worker answered it: this worker's are written at once, the others' asked for."""
        if self._slots is None:
            return
        if self._writer is not None:
            self._writer.flush()
        if not self._slots.settle(SETTLE_TIMEOUT_S, self._slot):
            log.warning("Request journal: a worker has not written its requests within %.0f s; "
                        "the journal is read without them.", SETTLE_TIMEOUT_S)

    def page(self, client_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``GET /__sandbox/requests``: the client's requests matching ``params``, oldest first.

        Only the page's entries are made into dicts. The chunks hold numbers that follow each
        other, so in the order of their first numbers they hold the entries in order: what a
        filter passes is decided once per kind, and without a filter a chunk's entries are
        counted, not gone through. With a million requests kept, making every one a dict took
        seconds per read. The retries are checked over all entries, and only when some kind's
        answer asked for one (``Retry-After``)."""
        self.settle()
        lowest, chunks = self.store.read(client_id)
        since, limit, offset = params.get("since", 0), params["limit"], params["offset"]
        total, chosen, latest, kinds_seen = 0, [], 0, []
        for chunk in stored_chunks(lowest, chunks):
            first, kinds = chunk.first, chunk.kinds
            kinds_seen.append(kinds)
            latest = first + chunk.count - 1
            start = max(0, since + 1 - first)  # the entries numbered after ``since``
            passes = [matches({**dict(zip(KIND, kind, strict=True)), "seq": since + 1}, params) for kind in kinds]
            if all(passes):  # every entry from ``start`` on: the page's part of them by position
                shown_positions = range(max(start, start + offset - total),
                                        min(chunk.count, start + offset + limit - total))
                if shown_positions:
                    entries = chunk.entries()
                    chosen += [(first + position, entries[position], kinds) for position in shown_positions]
                total += max(0, chunk.count - start)
                continue
            entries = chunk.entries()
            for position in range(start, chunk.count):
                if passes[entries[position][2]]:
                    if offset <= total < offset + limit:
                        chosen.append((first + position, entries[position], kinds))
                    total += 1
        retries = chunk_retries(lowest, chunks) if any(_asks_retry(kind) for kinds in kinds_seen for kind in kinds) \
            else {}
        page = []
        for seq, (arrival_us, duration_us, index), kinds in chosen:
            entry = _entry(client_id, seq, arrival_us, duration_us, kinds[index])
            entry["retry"] = retries.get(seq)
            page.append(shown(entry))
        return {"total": total, "limit": limit, "offset": offset, "latest": latest, "requests": page}

    def clear(self, client_id: str) -> int:
        """``DELETE /__sandbox/requests``: forget the client's requests answered until now."""
        self.settle()
        return self.store.clear(client_id)


class WorkerSlots:
    """A slot per worker process, in memory every worker shares: made before the workers fork
    (``create_app`` runs in the main process, and granian forks the workers from it); a worker
    takes one on its first request, a free one or one whose process is gone.

    A read of the journal asks each worker to write what it holds: it raises the slot's
    ``requested`` number and wakes the worker's writer (a semaphore per slot), which notes the
    number, writes everything it holds, and sets ``completed`` to it. Once ``completed`` reaches
    the number the read asked for, every request that worker answered before the read is
    written. Nothing is counted per request: a shared counter touched by every request cost a
    busy worker more than all the rest of recording.
    """

    COUNT = 64
    """Slots: as many as workers may run at once (``serve --workers`` takes at most 64); a worker
    started again in a dead one's place takes its slot."""

    def __init__(self) -> None:
        self._pids = multiprocessing.RawArray(ctypes.c_int64, self.COUNT)
        self._requested = multiprocessing.RawArray(ctypes.c_int64, self.COUNT)
        self._completed = multiprocessing.RawArray(ctypes.c_int64, self.COUNT)
        self._wrote_at = multiprocessing.RawArray(ctypes.c_double, self.COUNT)
        """When each worker last wrote (``time.monotonic()``, the same clock in every process)."""
        self._used = multiprocessing.RawValue(ctypes.c_int64, 0)
        """Slots ever taken: the ones to look at."""
        self._lock = multiprocessing.Lock()
        """Taking a slot, and raising a ``requested`` number (two reads at once each get their own)."""
        self._wakes = [multiprocessing.Semaphore(0) for _ in range(self.COUNT)]

    def claim(self, pid: int) -> int | None:
        """A slot for process ``pid``; None if none is left."""
        if not self._lock.acquire(timeout=SETTLE_TIMEOUT_S):  # its holder was killed midway
            return None
        try:
            used = self._used.value
            slot = next((s for s in range(used) if not _alive(self._pids[s])), None)
            if slot is None:
                if used == self.COUNT:
                    return None
                slot, self._used.value = used, used + 1
            self._pids[slot] = 0
            self._completed[slot] = self._requested[slot]
            self._wrote_at[slot] = time.monotonic()
            self._pids[slot] = pid
            return slot
        finally:
            self._lock.release()

    def asked(self, slot: int) -> int:
        """The worker's writer, sleeping until asked to write: the number it was asked for."""
        self._wakes[slot].acquire()
        return self._requested[slot]

    def written(self, slot: int, asked: int) -> None:
        """The worker has written everything it held when asked for ``asked``."""
        self._completed[slot] = asked
        self.wrote(slot)

    def wrote(self, slot: int) -> None:
        self._wrote_at[slot] = time.monotonic()

    def settle(self, timeout: float, own: int | None) -> bool:
        """Ask every live worker (but ``own``, which wrote already) to write what it holds, and
        wait until each has; False if one has not within ``timeout`` seconds."""
        waiting = []
        for slot in range(self._used.value):
            pid = self._pids[slot]
            if slot != own and _alive(pid):
                waiting.append((slot, pid, self._ask(slot)))
        deadline = time.monotonic() + timeout
        while waiting:
            waiting = [(slot, pid, asked) for slot, pid, asked in waiting
                       if self._completed[slot] < asked and self._pids[slot] == pid and _alive(pid)]
            if not waiting:
                break
            if time.monotonic() > deadline:
                return False
            time.sleep(0.0005)
        return True

    def _ask(self, slot: int) -> int:
        with self._lock:
            asked = self._requested[slot] = self._requested[slot] + 1
        self._wakes[slot].release()
        return asked

    def watch(self, period: float) -> None:
        """Every ``period`` seconds, wake each live worker that has not written for that long."""
        while True:
            time.sleep(period)
            now = time.monotonic()
            for slot in range(self._used.value):
                if now - self._wrote_at[slot] >= period and _alive(self._pids[slot]):
                    self._wrote_at[slot] = now  # not again until it has been quiet that long again
                    self._wakes[slot].release()


def _forked(journal: weakref.ref[Journal]) -> None:
    """In a process just forked: the journal's slot and writer are its parent's, not its own."""
    if (kept := journal()) is not None:
        kept._entering = threading.Lock()
        kept._entered, kept._slot, kept._writer = False, None, None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process now has that number
        return True
    return True


def _body(request: Request) -> bytes | None:
    """The body as the app read it (kept), or read now; None if the server refused to read it."""
    try:
        return request.get_data()
    except HTTPException:  # larger than the server takes (413), or the client went away
        return None


# -- records to stored entries -------------------------------------------------------------

KIND = ("method", "path", "query", "headers", "body", "status", "response_headers", "violations")
"""The fields of a request but for when it came and how long it took: its kind. A stored chunk
is ``{"kinds": [...], "entries": [[arrival_us, duration_us, kind index], ...]}``, each kind a
list of these fields: a client repeats its requests, so a chunk holds few kinds and many
entries, and a third of a kilobyte per request becomes a dozen bytes."""
KINDS_KEPT = 1024
"""Distinct kinds of request a worker keeps serialized."""
KNOWN_HEADERS = 64
"""Header names a worker looks up in each environ before searching it in full."""
NAME_VERSIONS_KEPT = 16
"""Versions of those names kept: a request uses the newest as it is recorded."""
Kind = tuple[Any, ...]
"""(method, path, query (WSGI strings), header names' version, header values, body, status,
response headers, violations): what ``Journal.record`` hands ``Entries.kind``."""


class Entries:
    """Requests as stored entries: secrets redacted, serialized once per kind of request, and in
    chunks, compressed (the store writes a page, not a chain of them).

    A client sends the same request again and again (the same token, path and query, answered
    the same), so what a request has but for its arrival and duration is serialized once per
    kind: a lookup on the request's thread, cheaper than keeping the request's strings for the
    writer.
    """

    def __init__(self) -> None:
        self._known: tuple[int, tuple[str, ...]] = (0, ())
        """The header keys seen in environs (``HTTP_*``, ``CONTENT_*``), in the order first seen,
        and their version (one attribute: a thread reads both as they were)."""
        self._names: dict[int, tuple[str, ...]] = {0: ()}
        """The header names of the latest versions, in lower case: a kind says which its values follow."""
        self._others = -1
        """How many keys that are no header the last environ searched in full had."""
        self._kinds: dict[Kind, bytes] = {}

    def headers(self, environ: Mapping[str, Any]) -> tuple[int, tuple[str | None, ...]]:
        """The request's headers from its WSGI environ: the version of the header names, and the
        value of each name (None: not sent).

        Granian copies the whole OS environment into every environ (about 60 keys), so finding
        the headers among them was the dearest part of recording. Instead, the header keys seen
        before are looked up; if the environ then holds as many other keys as the last one
        searched in full (the server's own, which do not change), it has no header not seen
        before, else it is searched in full.
        """
        version, keys = self._known
        values = tuple([environ.get(key) for key in keys])
        if len(environ) - len(values) + values.count(None) != self._others:
            version, keys = self._search(environ)
            values = tuple([environ.get(key) for key in keys])
        return version, values

    def _search(self, environ: Mapping[str, Any]) -> tuple[int, tuple[str, ...]]:
        """Learn the header keys of ``environ``, and how many keys it has that are not headers."""
        version, known = self._known
        keys = dict.fromkeys(known)
        others = 0
        for key in environ:
            if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                keys.setdefault(key)
            else:
                others += 1
        if len(keys) > KNOWN_HEADERS:  # clients sending ever new headers: keep this request's
            keys = {key: None for key in keys if key in environ}
        if tuple(keys) != known:
            version += 1
            self._names[version] = tuple((key[5:] if key.startswith("HTTP_") else key).replace("_", "-").lower()
                                         for key in keys)
            self._names.pop(version - NAME_VERSIONS_KEPT, None)
            self._known = (version, tuple(keys))
        self._others = others
        return self._known

    def kind(self, kind: Kind) -> bytes:
        """A kind of request as the store keeps it (``KIND``), serialized: a lookup, but the first
        time, or for a request with violations (rare, and dicts cannot be looked up)."""
        if kind[-1]:
            return self._serialized(*kind)
        found = self._kinds.get(kind)
        if found is None:
            if len(self._kinds) >= KINDS_KEPT:
                self._kinds.clear()
            found = self._kinds[kind] = self._serialized(*kind)
        return found

    def _serialized(self, method: str, path: str, query: str, version: int, values: tuple[str | None, ...],
                    body: bytes | None, status: int, response_headers: tuple[tuple[str, str], ...],
                    violations: tuple[Violation, ...]) -> bytes:
        """A kind's fields, secrets redacted, as a JSON list."""
        sent = {name: value for name, value in zip(self._names[version], values, strict=True)
                if value is not None and (value or not name.startswith("content-"))}
        answered = {name.lower(): value for name, value in response_headers}
        return orjson.dumps([method, _text(path), redaction.form(_text(query)), redaction.headers(sent),
                             redaction.body(body), status, answered, violations])

    @staticmethod
    def chunks(records: Iterable[Record]) -> list[tuple[str, int, bytes]]:
        """Each client's records as one chunk, in the order they came."""
        grouped: dict[str, tuple[dict[int, int], list[bytes], list[bytes]]] = {}
        for client_id, arrival, duration, kind in records:
            indexes, kinds, entries = grouped.setdefault(client_id, ({}, [], []))
            index = indexes.get(id(kind))  # the same kind is the same bytes (see ``kind``), alive while in a record
            if index is None:
                index = indexes[id(kind)] = len(kinds)
                kinds.append(kind)
            entries.append(b"[%d,%d,%d]" % (arrival, duration, index))
        return [(client_id, len(entries), zlib.compress(
                    b'{"kinds":[%s],"entries":[%s]}' % (b",".join(kinds), b",".join(entries)), 1))
                for client_id, (_, kinds, entries) in grouped.items()]


def _text(wsgi: str) -> str:
    """A WSGI string (bytes as Latin-1) as the UTF-8 text the client sent."""
    return wsgi if wsgi.isascii() else wsgi.encode("latin-1").decode("utf-8", "replace")


def retry_after(value: str | None, arrival: float) -> float | int | None:
    """Seconds a ``Retry-After`` asks for: delay-seconds as given, an HTTP date counted from the
    request's arrival; None without one (or one that is neither)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        return max(0.0, round(parsedate_to_datetime(value).timestamp() - arrival, 3))
    except (TypeError, ValueError):
        return None


# -- the reader's side: stored entries to the page -------------------------------------------

def stored_entries(client_id: str, lowest: int, kept_chunks: Iterable[Chunk]) -> list[dict[str, Any]]:
    """The client's entries the chunks still keep (numbers from ``lowest`` on), each with its
    number and what its answer's ``Retry-After`` asked for, in the order of their numbers."""
    rows, kinds = stored_rows(lowest, kept_chunks)
    return [_entry(client_id, seq, arrival_us, duration_us, kinds[index])
            for seq, arrival_us, duration_us, index in rows]


Row = tuple[int, int, int, int]
"""A stored entry as the retries are checked over it: number, arrival and duration in
microseconds, and its kind's index in the list ``stored_rows`` returns with it."""


class StoredChunk:
    """A kept chunk as a page read goes through it: the number of its first entry still kept,
    how many it keeps, its kinds, and its entries (``[arrival_us, duration_us, kind index]``)
    parsed only when asked for: a page needs the entries of the chunks it shows or filters,
    the others only their count."""

    __slots__ = ("_cut", "_entries", "_stored", "count", "first", "kinds")

    def __init__(self, lowest: int, chunk: Chunk) -> None:
        stored = zlib.decompress(chunk.entries)
        cut = max(0, lowest - chunk.first)
        self.first, self.count, self._cut = chunk.first + cut, max(0, chunk.count - cut), cut
        self._entries: list[list[int]] | None = None
        # As ``Entries.chunks`` wrote it: the entries are numbers only, so the last separator is theirs.
        split = stored.rfind(ENTRIES_SEPARATOR)
        if stored.startswith(KINDS_START) and split > 0:
            self.kinds: list[list[Any]] = orjson.loads(stored[len(KINDS_START):split + 1])
            self._stored = stored[split + len(ENTRIES_SEPARATOR):-1]
        else:
            whole = orjson.loads(stored)
            self.kinds, self._entries, self._stored = whole["kinds"], whole["entries"][cut:], b""

    def entries(self) -> list[list[int]]:
        if self._entries is None:
            self._entries = orjson.loads(self._stored)[self._cut:]
        return self._entries


KINDS_START = b'{"kinds":'
ENTRIES_SEPARATOR = b'],"entries":'


def stored_chunks(lowest: int, kept_chunks: Iterable[Chunk]) -> list[StoredChunk]:
    """The chunks' entries from ``lowest`` on, the chunks in the order of their numbers."""
    found = [StoredChunk(lowest, chunk) for chunk in kept_chunks]
    found = [chunk for chunk in found if chunk.count]
    found.sort(key=lambda chunk: chunk.first)
    return found


def stored_rows(lowest: int, kept_chunks: Iterable[Chunk]) -> tuple[list[Row], list[list[Any]]]:
    """The entries the chunks still keep (numbers from ``lowest`` on) as rows, in the order of
    their numbers, and the kinds they name (each chunk's, one after the other)."""
    rows: list[Row] = []
    kinds: list[list[Any]] = []
    for chunk in stored_chunks(lowest, kept_chunks):
        base, first = len(kinds), chunk.first
        kinds += chunk.kinds
        rows += [(first + offset, arrival_us, duration_us, base + index)
                 for offset, (arrival_us, duration_us, index) in enumerate(chunk.entries())]
    return rows, kinds


def _asks_retry(kind: list[Any]) -> bool:
    return "retry-after" in kind[KIND.index("response_headers")]


def chunk_retries(lowest: int, kept_chunks: Iterable[Chunk]) -> dict[int, dict[str, Any]]:
    """``check_retries`` over the kept entries, made into rows rather than dicts: each retry
    that is not None, by the entry's number."""
    return row_retries(*stored_rows(lowest, kept_chunks))


def _entry(client_id: str, seq: int, arrival_us: int, duration_us: int, kind: list[Any]) -> dict[str, Any]:
    """A stored entry as a dict of its kind's fields, its number, times and ``retry_after``."""
    entry = dict(zip(KIND, kind, strict=True))
    entry["seq"], entry["client_id"] = seq, client_id
    entry["arrival"], entry["duration_ms"] = arrival_us / 1_000_000, round(duration_us / 1000, 3)
    entry["retry_after"] = retry_after(entry["response_headers"].get("retry-after"), entry["arrival"])
    return entry


def row_retries(rows: list[Row], kinds: list[list[Any]]) -> dict[int, dict[str, Any]]:
    """``check_retries`` over rows: each retry that is not None, by the entry's number. None
    at all when no kind's answer carries ``Retry-After`` (the rows are not even sorted then)."""
    headers_at, method_at, path_at, status_at = (KIND.index(field) for field in
                                                 ("response_headers", "method", "path", "status"))
    asked = [kind[headers_at].get("retry-after") for kind in kinds]
    if all(value is None for value in asked):
        return {}
    routes = [(kind[method_at], kind[path_at]) for kind in kinds]
    retries = {}
    previous: dict[tuple[str, str], tuple[int, float, Any, int]] = {}  # route -> seq, arrival, Retry-After, status
    for seq, arrival_us, _, index in sorted(rows, key=lambda row: (row[1], row[0])):
        arrival = arrival_us / 1_000_000
        route = routes[index]
        before = previous.get(route)
        if before is not None and before[2] is not None:
            waited = round(arrival - before[1], 3)
            retries[seq] = {"after": before[0], "status": before[3], "retry_after_s": before[2], "waited_s": waited,
                            "ok": waited >= before[2]}
        value = asked[index]
        wait = None if value is None else retry_after(value, arrival)
        previous[route] = (seq, arrival, wait, kinds[index][status_at])
    return retries


def check_retries(entries: Iterable[dict[str, Any]]) -> None:
    """Set each entry's ``retry``: for a client's first request to a method and path after an
    answer there with ``Retry-After``, whether it waited that long; None for every other.
    "After" is by arrival: two workers may number requests a few milliseconds apart out of order."""
    previous: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in sorted(entries, key=lambda entry: (entry["arrival"], entry["seq"])):
        route = (entry["method"], entry["path"])
        before = previous.get(route)
        entry["retry"] = None
        if before is not None and before["retry_after"] is not None:
            waited = round(entry["arrival"] - before["arrival"], 3)
            entry["retry"] = {"after": before["seq"], "status": before["status"],
                              "retry_after_s": before["retry_after"], "waited_s": waited,
                              "ok": waited >= before["retry_after"]}
        previous[route] = entry


def matches(entry: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    """Whether an entry passes the filters of ``GET /__sandbox/requests`` (an absent one passes)."""
    if entry["seq"] <= params.get("since", 0):
        return False
    found = {"path": entry["path"], "method": entry["method"], "status": entry["status"],
             "valid": not entry["violations"]}
    return all(params[name] == value for name, value in found.items() if name in params)


def shown(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A stored entry as ``JournalEntry`` shows it."""
    return {
        "seq": entry["seq"],
        "time": format_time(entry["arrival"]),
        "client_id": entry["client_id"],
        "method": entry["method"],
        "path": entry["path"],
        "query": entry["query"],
        "headers": entry["headers"],
        "body": entry["body"],
        "status": entry["status"],
        "duration_ms": entry["duration_ms"],
        "response_headers": entry["response_headers"],
        "verdict": {"valid": not entry["violations"], "violations": entry["violations"], "retry": entry["retry"]},
    }


def format_time(seconds: float) -> str:
    """Wall-clock seconds as UTC with milliseconds: ``2026-11-25T10:00:00.123Z``."""
    milliseconds = round(seconds * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(milliseconds // 1000)) + f".{milliseconds % 1000:03d}Z"

