"""Fixture sets for QA: the exact bodies the mock serves for one account, and the ledger
behind them, written atomically.

A fixture set is a pure function of (scenario, seed, client, page size): bodies come from
the same renderers and serializer as the mock's responses, so a test that passes against
the files passes against the mock, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from mock_server.ledger import ledger_file
from mock_server.ledger.ledger import TYPES, Ledger
from mock_server.ledger.render import Paged, render_balances, render_history
from mock_server.ledger.scenarios import build_ledger
from mock_server.serializer import to_json
from mock_server.spec import documented_responses, load_spec

BALANCES_PATH = "/user/balances/"
HISTORY_PATH = "/user/balances/history/"


class FixtureError(Exception):
    """Fixtures that cannot be written; the message says why in one line."""


@dataclass(frozen=True)
class FixtureSet:
    """What to export: one account of one scenario, paged by ``limit``."""

    scenario: str
    seed: int
    client_id: str
    limit: int


@dataclass(frozen=True)
class File:
    """One exported file and, for a response body, the request that gets it from the mock."""

    path: str
    data: bytes
    request: str | None = None
    status: int | None = None


def export(fixture_set: FixtureSet, ledger: Ledger | None = None) -> Iterator[File]:
    """Every file of the set, manifest last. ``ledger`` saves regenerating a known one."""
    if ledger is None:
        ledger = build_ledger(fixture_set.scenario, fixture_set.seed, fixture_set.client_id)
    files: list[File] = []

    def emit(file: File) -> File:
        files.append(file)
        return file

    meta = {"scenario": fixture_set.scenario, "seed": fixture_set.seed, "account": fixture_set.client_id}
    yield emit(File("ledger.json", ledger_file.dump(ledger, meta)))
    yield emit(File("balances.json", to_json(render_balances(ledger)), f"GET {BALANCES_PATH}", 200))

    limit, total = fixture_set.limit, len(ledger)
    pages = max(1, -(-total // limit))
    width = max(4, len(str(pages)))
    for number in range(pages):
        query = {"limit": limit, "offset": number * limit}
        yield emit(history_file(ledger, f"history/page-{number + 1:0{width}d}.json", query))
    for currency in ledger.currencies:
        yield emit(history_file(ledger, f"history/currency-{currency}.json", {"currency": currency, "limit": limit}))
    for type_ in TYPES:
        yield emit(history_file(ledger, f"history/type-{type_}.json", {"type": type_, "limit": limit}))
    for file in error_files():
        yield emit(file)

    counts = {"entries": total, **ledger.statistics(), "currencies": len(ledger.currencies), "history_pages": pages}
    header = {"scenario": fixture_set.scenario, "seed": fixture_set.seed, "client_id": fixture_set.client_id,
              "limit": limit}
    yield manifest_file(header, counts, files)


def history_file(ledger: Paged, path: str, query: dict[str, Any],
                 rendered: Callable[[int], Mapping[str, Any]] | None = None) -> File:
    """The history page ``query`` asks for, as a file with its request."""
    params = {"offset": 0, **query}
    return File(path, to_json(render_history(ledger, params, rendered)), f"GET {HISTORY_PATH}?{urlencode(query)}",
                200)


def error_files() -> Iterator[File]:
    """The example body of every documented error response of every operation."""
    spec = load_spec()
    for (path, method), responses in documented_responses(spec).items():
        operation_id = spec["paths"][path][method]["operationId"]
        for status, documented in responses.items():
            if status >= 400:
                for name, body in documented.examples:
                    yield File(f"errors/{operation_id}-{status}-{name}.json", to_json(body),
                               f"{method.upper()} {path}", status)


def manifest_file(header: Mapping[str, Any], counts: Mapping[str, Any], files: list[File]) -> File:
    """manifest.json: what the set is (``header``), its ``counts`` and every file's SHA-256 and
    request; written last, it lists every file before it."""
    manifest = {
        **header, "spec_version": load_spec()["info"]["version"], "counts": {**counts, "files": len(files) + 1},
        "files": {f.path: {"sha256": hashlib.sha256(f.data).hexdigest(),
                           **({"request": f.request, "status": f.status} if f.request else {})} for f in files},
    }
    return File("manifest.json", (json.dumps(manifest, sort_keys=True, indent=2) + "\n").encode())


def check_target(out: Path, force: bool) -> None:
    """FixtureError unless ``out`` may be written: new, empty, or replaced with ``force``."""
    if out.exists() and not out.is_dir():
        raise FixtureError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise FixtureError(f"{out} is not empty; pass --force to replace its contents")


def write_atomically(files: Iterator[File], out: Path, force: bool = False,
                     progress: Callable[[File], None] = lambda file: None) -> int:
    """Write ``files`` under ``out`` all at once or not at all; returns how many were written.

    They go to a hidden folder beside ``out`` and are renamed into place at the end, so an
    interrupted run leaves no half-written set. An existing non-empty ``out`` is replaced
    only with ``force``.
    """
    out = Path(out)
    check_target(out, force)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    except OSError as error:
        raise FixtureError(f"cannot write to {out.parent}: {error.strerror or error}") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)
        written = 0
        for file in files:
            target = staging / file.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(file.data)
            written += 1
            progress(file)
        if out.exists():
            retired = staging.with_suffix(".old")
            out.rename(retired)
            staging.rename(out)
            shutil.rmtree(retired)
        else:
            staging.rename(out)
        return written
    except OSError as error:
        raise FixtureError(f"cannot write {out}: {error.strerror or error}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
