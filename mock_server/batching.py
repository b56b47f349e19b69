"""Work kept on the request's path as a tuple, done in batches by a thread of the worker.

The access log and the request journal both have something to write per request, and both
would cost a request more to write it at once (a line and a flush; a store transaction)
than to answer it. So a request appends a tuple to a deque (about 2 us, thread-safe without
a lock), and a thread of the same process hands everything pending to a write function
every ``interval`` seconds, in one call.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger("balances_mock")

Item = TypeVar("Item")


class BatchWriter(Generic[Item]):
    """Items added by requests, handed to ``write`` in batches, oldest first, by a thread.

    The thread starts with the first item, so it runs in the process that serves (each forked
    worker) and not in the main process the workers fork from. It is not a daemon: when a
    worker stops (SIGTERM, Ctrl-C), the interpreter waits for it once the worker's main thread
    has ended, which is after the requests in flight have finished, and it writes their items
    before it ends. ``capacity`` bounds the memory when the writing stalls: the request that
    adds one more item writes the batch itself, holding requests back as a write per request
    would.
    """

    def __init__(self, write: Callable[[list[Item]], None], interval: float, capacity: int, name: str) -> None:
        self._write = write
        self.interval = interval
        self.capacity = capacity
        self.name = name
        self._pending: deque[Item] = deque()  # append and popleft are thread-safe
        self._writing = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, item: Item) -> None:
        self._pending.append(item)
        if self._thread is None:
            self._start()
        if len(self._pending) >= self.capacity:
            self.flush()

    def flush(self) -> int:
        """Write what is pending now, in one call of ``write``; how many items that was. A
        ``write`` that raises loses its batch (logged), never the thread or the request."""
        with self._writing:
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
            if self._thread is None:
                # daemon=False outright: a thread started from granian's request thread would
                # otherwise inherit that thread's daemon flag, and die with its items unwritten
                self._thread = threading.Thread(target=self._write_until_exit, name=self.name, daemon=False)
                self._thread.start()

    def _write_until_exit(self) -> None:
        main = threading.main_thread()
        while main.is_alive():
            main.join(self.interval)
            self.flush()
