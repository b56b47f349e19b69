"""Work kept on the request's path as a tuple, done in batches.

The access log and the request journal both have something to write per request, and both
would cost a request more to write it at once (a line and a flush; a store transaction)
than to answer it. So a request appends a tuple to a deque (thread-safe without a lock), and
the items are handed to a write function in batches, one call per batch.

Who writes a batch depends on what the writing costs the worker:

- The access log's thread sleeps until a line comes, waits ``interval`` for more, writes
  them, and sleeps again: a person watching sees a line at once, an idle worker's thread never
  wakes, and a busy one's wakes once per ``interval`` (the request that adds the first line
  after a write sets an event; the others only read that it is set).
- The journal's batches are written ``inline``, by the request that finds the last batch
  ``interval`` old. Measured under granian, a thread that wakes on a timer to write cost a busy
  worker dearly, even with nothing to write (a quarter of its throughput every 20 ms, 5% every
  second): while a woken thread waits for the GIL, each time the request thread lets go of it
  (every SQLite call does) wakes it again for nothing. So the inline writer's thread never wakes
  on a timer: it sleeps until the worker's main thread ends and writes what is left. Whoever
  needs the items written sooner calls ``flush`` (the journal wakes a thread of its own for it).

Either way the thread that writes what is left at exit is one that sleeps until the worker's
main thread ends (``_write_at_exit``), not a timer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger("balances_mock")

Item = TypeVar("Item")


class BatchWriter(Generic[Item]):
    """Items added by requests, handed to ``write`` in batches, oldest first.

    The threads start with the first item, so they run in the process that serves (each forked
    worker) and not in the main process the workers fork from. The one that writes at exit is
    not a daemon: when a worker stops (SIGTERM, Ctrl-C), the interpreter waits for it once the
    worker's main thread has ended, which is after the requests in flight have finished, and it
    writes their items before it ends. The one that writes as items come (not ``inline``) is a
    daemon: it may be asleep in its ``interval`` then, and what it has not written yet is the
    at-exit thread's to write.

    ``capacity`` bounds the memory when the writing stalls: the request that adds one more item
    writes the batch itself, holding requests back as a write per request would.
    """

    def __init__(self, write: Callable[[list[Item]], None], interval: float, capacity: int, name: str,
                 inline: bool = False) -> None:
        self._write = write
        self.interval = interval
        self.capacity = capacity
        self.name = name
        self.inline = inline
        self._pending: deque[Item] = deque()  # append and popleft are thread-safe
        self._writing = threading.Lock()
        self._written = time.monotonic()
        """When the last batch was written (or the writer made)."""
        self._added = threading.Event()
        """Set by the first item added since the (not inline) writing thread last looked: what wakes it."""
        self._started = False

    def add(self, item: Item) -> None:
        pending = self._pending
        pending.append(item)
        if not self._started:
            self._start()
        if len(pending) >= self.capacity:
            self.flush()
        elif not self.inline:
            if not self._added.is_set():  # after the append: the thread clears it before it takes the items
                self._added.set()
        elif time.monotonic() - self._written >= self.interval \
                and self._writing.acquire(blocking=False):  # another request writing: it takes this one too
            try:
                self._flush_locked()
            finally:
                self._writing.release()

    def flush(self) -> int:
        """Write what is pending now, in one call of ``write``; how many items that was."""
        with self._writing:
            return self._flush_locked()

    def _flush_locked(self) -> int:
        """A ``write`` that raises loses its batch (logged), never the thread or the request."""
        self._written = time.monotonic()
        pending = self._pending
        count = len(pending)
        if not count:
            return 0
        batch = [pending.popleft() for _ in range(count)]
        try:
            self._write(batch)
        except Exception:
            log.exception("%s: %d items could not be written", self.name, count)
        return count

    def _start(self) -> None:
        with self._writing:
            if self._started:
                return
            self._started = True
            # daemon=False outright: a thread started from granian's request thread would
            # otherwise inherit that thread's daemon flag, and die with its items unwritten
            threading.Thread(target=self._write_at_exit, name=self.name, daemon=False).start()
            if not self.inline:
                threading.Thread(target=self._write_as_added, name=f"{self.name} (as added)", daemon=True).start()

    def _write_as_added(self) -> None:
        """Asleep until an item comes (no timer: an idle worker's thread never wakes), then
        ``interval`` more for the items that follow it, then one write of them all."""
        added = self._added
        while True:
            added.wait()
            time.sleep(self.interval)
            added.clear()  # before the items are taken: one added after it sets it again
            self.flush()

    def _write_at_exit(self) -> None:
        threading.main_thread().join()
        self.flush()
