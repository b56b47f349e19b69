"""``ledger.json`` files and recordings, loaded as ``serve --fixtures`` loads them
(``mock_server.ledger.ledger_file.load``): a file of raw bytes, or one edited from a known-good
document (a generated ledger, one that opens mid-history, an empty one, a recording that
reconciles and one that does not).

The property: a clear error or an account the mock can serve, never a traceback. Clear: a
``LedgerFileError`` whose message names the file and can be printed. Servable: the account's
balances and history pages are answered (as the twin's ``Accounts`` answers them), the sandbox
books on a ledger (or refuses in a 409, never breaks), and a ledger the mock loaded, written
back with ``dump``, loads again as the same ledger.
"""

from __future__ import annotations

import atexit
import copy
import json
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from fuzz.exchange import Draw
from mock_server.errors import ApiError
from mock_server.ledger import ledger_file
from mock_server.ledger.bookings import Transaction, book
from mock_server.ledger.ledger import Ledger
from mock_server.ledger.ledger_file import LedgerFileError, dump
from mock_server.ledger.recorded import BODY, SOURCE
from mock_server.ledger.render import render_balances, render_entry
from mock_server.ledger.scenarios import build_ledger
from mock_server.settings import Client, Settings
from mock_server.state.memory import MemoryStore
from mock_server.twin.accounts import Accounts

READER = Client("fuzz", "fuzz-secret", frozenset({"read", "write"}))


class Violation(AssertionError):
    """A file the loaders neither refused clearly nor loaded into a servable account."""


def documents() -> list[dict[str, Any]]:
    """Known-good files to edit: each kind of ledger.json the mock loads."""
    ledger = build_ledger("default", 1, "demo", 8)
    whole = json.loads(dump(ledger, {"scenario": "default", "seed": 1}))
    opening = copy.deepcopy(whole)
    dropped, opening["entries"] = opening["entries"][:4], opening["entries"][4:]
    opening["opening"] = {
        "balances": {entry["currency"]: entry["balance_after"] for entry in dropped},
        "statistics": {f"total_{kind}s": sum(entry["type"] == kind for entry in dropped)
                       for kind in ("deposit", "withdrawal")},
    }
    entries = [render_entry(ledger.entry(i)) for i in range(len(ledger))]
    recording = {"format": ledger_file.FORMAT, SOURCE: {"recorded_from": "https://api.example.com", "partial": False},
                 "entries": entries, BODY: render_balances(ledger)}
    odd = copy.deepcopy(recording)
    odd["entries"][2]["type"] = "payment"
    odd["entries"][5]["reference"] = "inv-1042"
    return [whole, opening, json.loads(dump(build_ledger("empty", 1, "demo"), {})), recording, odd]


class LoaderTarget:
    def __init__(self) -> None:
        memory = Path("/dev/shm")  # a file is written for every input: in memory where there is such a place
        folder = Path(tempfile.mkdtemp(prefix="fuzz-loaders-", dir=memory if memory.is_dir() else None))
        atexit.register(shutil.rmtree, folder, True)
        self.path = folder / "ledger.json"
        self.documents = documents()

    def check(self, data: bytes) -> None:
        draw = Draw(data)
        raw = draw.number(0, 3) == 0
        content = draw.rest() if raw else draw.json_bytes(draw.edited(draw.pick(self.documents), 8))
        self.path.write_bytes(content)
        try:
            self._served()
        except Violation:
            raise
        except Exception as error:
            raise Violation(f"{type(error).__name__}: {error}\nfile: {content[:2000]!r}") from error

    def _served(self) -> None:
        try:
            accounts = Accounts(Settings(ledger_path=self.path, clients=(READER,)), MemoryStore())
        except LedgerFileError as error:
            message = str(error)
            if not message.startswith(f"{self.path}: ") or "\n" in message:
                raise Violation(f"not a message naming the file on one line: {message!r}") from None
            message.encode("utf-8")  # printable: serve prints it as a usage error
            return
        view = accounts.view(READER.client_id)
        view.page(None, None, 100, 0)
        if len(view.ledger):
            newest = view.rendered(len(view.ledger) - 1)
            view.page(newest.get("currency"), newest.get("type"), 10, 0)
        base = accounts.of(READER.client_id).base
        if not isinstance(base, Ledger):
            return
        written = dump(base, {})
        again = ledger_file.from_document(self.path, json.loads(written))
        if not isinstance(again, Ledger) or dump(again, {}) != written:
            raise Violation(f"loaded, written back and loaded again, the ledger differs:\n{written[:2000]!r}")
        if base.currencies:
            deposit = Transaction.from_body({"type": "deposit", "currency": base.currencies[0], "amount": "1"})
            try:
                accounts.update(READER.client_id, book(deposit))
            except ApiError as refused:
                if refused.status != 409:
                    raise
            accounts.view(READER.client_id).page(None, None, 100, 0)


@cache
def target() -> LoaderTarget:
    return LoaderTarget()


def check(data: bytes) -> None:
    """The loaders' property for the file ``data`` draws; raises ``Violation`` if it breaks."""
    target().check(data)
