"""The journal's pure parts: redaction, the Retry-After check, times, filters, headers found in
an environ, entries serialized and read back; the inline batch writer; and the handshake by
which a read asks the workers to write what they hold (threads standing in for workers)."""

from __future__ import annotations

import os
import random
import threading
import time
import zlib
from typing import Any

import orjson
import pytest

from mock_server.journal.batching import BatchWriter
from mock_server.journal.journal import (
    Entries,
    Journal,
    WorkerSlots,
    check_retries,
    format_time,
    matches,
    retry_after,
    shown,
    stored_entries,
)
from mock_server.state import Chunk

# -- times and Retry-After ------------------------------------------------------------------

def test_times_are_utc_with_milliseconds():
    assert format_time(1_795_000_000.0) == "2026-11-18T11:06:40.000Z"
    assert format_time(1_795_000_000.1234) == "2026-11-18T11:06:40.123Z"
    assert format_time(1_795_000_000.9996) == "2026-11-18T11:06:41.000Z"


def test_retry_after_is_seconds_or_a_date_counted_from_the_arrival():
    arrival = 1_795_000_000.5
    assert retry_after("60", arrival) == 60 and retry_after(" 0 ", arrival) == 0
    assert retry_after("Wed, 18 Nov 2026 11:07:40 GMT", arrival) == 59.5
    assert retry_after("Wed, 18 Nov 2026 11:00:00 GMT", arrival) == 0.0  # in the past: no wait
    assert retry_after("soon", arrival) is None and retry_after(None, arrival) is None


def entry(seq: int, arrival: float, path: str = "/user/balances/", method: str = "GET", status: int = 200,
          wait: float | int | None = None, violations: tuple[Any, ...] = ()) -> dict[str, Any]:
    return {"seq": seq, "arrival": arrival, "method": method, "path": path, "status": status, "retry_after": wait,
            "violations": list(violations)}


def test_the_first_request_to_the_same_route_after_a_retry_after_is_checked():
    entries = [entry(1, 100.0, status=429, wait=30), entry(2, 110.0, path="/other/"), entry(3, 129.9996),
               entry(4, 200.0), entry(5, 201.0, status=503, wait=1), entry(6, 202.0005, method="POST"),
               entry(7, 202.0)]
    check_retries(entries)
    assert [e["retry"] for e in entries] == [
        None, None, {"after": 1, "status": 429, "retry_after_s": 30, "waited_s": 30.0, "ok": True}, None, None,
        None, {"after": 5, "status": 503, "retry_after_s": 1, "waited_s": 1.0, "ok": True}]
    hasty = [entry(1, 100.0, status=429, wait=30), entry(2, 129.5)]
    check_retries(hasty)
    assert hasty[1]["retry"]["ok"] is False and hasty[1]["retry"]["waited_s"] == 29.5


def test_after_means_by_arrival_whatever_the_numbers():
    """Two workers may number requests a few milliseconds apart out of order."""
    entries = [entry(1, 100.004), entry(2, 100.001, status=429, wait=2)]  # the retry was written first
    check_retries(entries)
    assert entries[0]["retry"] == {"after": 2, "status": 429, "retry_after_s": 2, "waited_s": 0.003, "ok": False}


def test_filters_combine_and_an_absent_one_passes():
    seen = {**entry(5, 1.0, path="/p/", status=400, violations=({"code": "x"},))}
    assert matches(seen, {})
    assert matches(seen, {"since": 4, "path": "/p/", "method": "GET", "status": 400, "valid": False})
    for params in ({"since": 5}, {"path": "/p"}, {"method": "POST"}, {"status": 200}, {"valid": True}):
        assert not matches(seen, params), params


# -- entries --------------------------------------------------------------------------------

ENVIRON = {"PATH": "/usr/bin", "HOME": "/root", "wsgi.version": (1, 0), "REQUEST_METHOD": "POST",
           "PATH_INFO": "/o/token/", "QUERY_STRING": "", "CONTENT_TYPE": "application/x-www-form-urlencoded",
           "CONTENT_LENGTH": "", "HTTP_HOST": "127.0.0.1:8000", "HTTP_AUTHORIZATION": "Basic ZGVtbzpz"}


def stored_headers(entries: Entries, environ: dict[str, Any]) -> dict[str, str]:
    """The headers a kind of request keeps for ``environ``."""
    kind = entries.kind(("GET", "/", "", *entries.headers(environ), None, 200, (), ()))
    return orjson.loads(kind)[3]


def test_headers_are_found_among_the_servers_keys_and_a_new_one_is_not_missed():
    entries = Entries()
    assert stored_headers(entries, ENVIRON) == {"content-type": "application/x-www-form-urlencoded",
                                                "host": "127.0.0.1:8000", "authorization": "Basic [REDACTED]"}
    assert stored_headers(entries, {**ENVIRON, "HTTP_X_TRACE_ID": "t-1"})["x-trace-id"] == "t-1"
    without_host = {key: value for key, value in ENVIRON.items() if key != "HTTP_HOST"}
    assert "host" not in stored_headers(entries, without_host)
    assert stored_headers(entries, {**without_host, "HTTP_X_NEW": "n", "HTTP_X_EMPTY": ""})["x-new"] == "n"
    assert stored_headers(entries, {**ENVIRON, "HTTP_X_EMPTY": ""})["x-empty"] == ""  # sent empty: kept


def test_a_client_inventing_header_names_costs_bounded_memory():
    entries = Entries()
    for n in range(200):
        assert stored_headers(entries, {**ENVIRON, f"HTTP_X_{n}": str(n)})[f"x-{n}"] == str(n)
    assert len(entries._names) <= 16 and len(entries._known[1]) <= 65


def test_an_entry_is_read_back_as_written_with_its_number_and_secrets_redacted():
    entries = Entries()
    violation = {"code": "invalid_client", "message": "Client authentication failed.", "details": {}}
    kind = ("POST", "/o/token/", "a=1&client_secret=q", *entries.headers(ENVIRON), b"client_secret=s&x=1", 401,
            (("Content-Type", "application/json"), ("WWW-Authenticate", 'Basic realm="balances-mock"')),
            (violation,))
    first = ("demo", 1_795_000_000_250_000, 1234, entries.kind(kind))
    valid = entries.kind((*kind[:-1], ()))
    assert entries.kind((*kind[:-1], ())) is valid  # a kind is serialized once
    records = [first, ("other", 0, 0, valid), ("demo", 1_795_000_001_000_000, 2000, valid),
               ("demo", 1_795_000_002_000_000, 2000, valid)]
    client, count, blob = Entries.chunks(records)[0]
    assert (client, count) == ("demo", 3)
    assert len(orjson.loads(zlib.decompress(blob))["kinds"]) == 2  # each kind once in a chunk
    read = stored_entries("demo", 7, [Chunk(7, 3, blob)])
    check_retries(read)
    assert [e["seq"] for e in read] == [7, 8, 9]
    assert shown(read[0]) == {
        "seq": 7, "time": "2026-11-18T11:06:40.250Z", "client_id": "demo", "method": "POST", "path": "/o/token/",
        "query": "a=1&client_secret=[REDACTED]",
        "headers": {"content-type": "application/x-www-form-urlencoded", "host": "127.0.0.1:8000",
                    "authorization": "Basic [REDACTED]"},
        "body": "client_secret=[REDACTED]&x=1", "status": 401, "duration_ms": 1.234,
        "response_headers": {"content-type": "application/json", "www-authenticate": 'Basic realm="balances-mock"'},
        "verdict": {"valid": False, "violations": [violation], "retry": None}}
    assert shown(read[1])["verdict"] == {"valid": True, "violations": [], "retry": None}
    assert shown(read[2])["time"] == "2026-11-18T11:06:42.000Z"
    assert [e["seq"] for e in stored_entries("demo", 9, [Chunk(7, 3, blob)])] == [9]  # 7 and 8 are forgotten


def test_a_path_and_query_sent_as_utf_8_read_back_as_text():
    entries = Entries()
    path, query = "/café/".encode().decode("latin-1"), "q=é".encode().decode("latin-1")  # as WSGI hands them over
    kind = entries.kind(("GET", path, query, *entries.headers({}), None, 404, (), ()))
    read = stored_entries("c", 1, [Chunk(1, 1, Entries.chunks([("c", 0, 0, kind)])[0][2])])
    assert (read[0]["path"], read[0]["query"]) == ("/café/", "q=é")


# -- the inline batch writer ----------------------------------------------------------------

def test_an_inline_writer_writes_when_a_batch_is_due_and_not_before():
    batches: list[list[int]] = []
    writer = BatchWriter(batches.append, interval=3600, capacity=100, name="test", inline=True)
    for item in range(5):
        writer.add(item)
    assert batches == []  # not due: pending until asked
    assert writer.flush() == 5 and batches == [[0, 1, 2, 3, 4]]
    due = BatchWriter(batches.append, interval=0, capacity=100, name="test", inline=True)
    due.add(5)
    due.add(6)
    assert batches[1:] == [[5], [6]]


def test_a_full_writer_writes_on_the_request_and_a_failed_write_loses_only_its_batch():
    written: list[list[int]] = []

    def write(batch: list[int]) -> None:
        if 0 in batch:
            raise OSError("store gone")
        written.append(batch)

    writer = BatchWriter(write, interval=3600, capacity=3, name="test", inline=True)
    for item in range(7):
        writer.add(item)
    writer.flush()
    assert written == [[3, 4, 5], [6]]


# -- the handshake between a read and the workers -------------------------------------------

def test_a_read_waits_until_every_live_worker_has_written_what_it_held():
    slots = WorkerSlots()
    held, written = [1, 2, 3], []
    slot = slots.claim(os.getpid())
    assert slot == 0

    def worker() -> None:  # a worker's thread that writes when asked
        while True:
            asked = slots.asked(slot)
            time.sleep(0.05)  # writing takes a while
            written.extend(held)
            held.clear()
            slots.written(slot, asked)

    threading.Thread(target=worker, daemon=True).start()
    assert slots.settle(timeout=5, own=None) is True
    assert written == [1, 2, 3]
    held.append(4)
    assert slots.settle(timeout=5, own=None) is True and written == [1, 2, 3, 4]
    assert slots.settle(timeout=5, own=slot) is True  # its own worker wrote already: not asked


def test_a_read_does_not_wait_for_a_dead_worker_and_gives_up_on_a_stuck_one():
    slots = WorkerSlots()
    stuck = slots.claim(os.getpid())  # alive, never answers
    started = time.monotonic()
    assert slots.settle(timeout=0.2, own=None) is False
    assert 0.2 <= time.monotonic() - started < 2
    dead = slots.claim(2**22 + 12345)  # no such process
    assert dead != stuck
    assert slots.settle(timeout=5, own=stuck) is True  # the dead one is not waited for
    assert slots.claim(os.getpid()) == dead  # a worker started in its place takes its slot


# -- a page read: only the page's entries made dicts --------------------------------------------

class KeptChunks:
    """A journal store holding given chunks (what ``Journal.page`` reads)."""

    def __init__(self, lowest: int, chunks: list[Chunk]) -> None:
        self.kept = (lowest, chunks)

    def read(self, client_id: str) -> tuple[int, list[Chunk]]:
        return self.kept


def every_entry_page(client_id: str, lowest: int, chunks: list[Chunk], params: dict[str, Any]) -> dict[str, Any]:
    """The page as it was read before: every entry a dict, retries checked over them all."""
    entries = stored_entries(client_id, lowest, chunks)
    check_retries(entries)
    matching = [entry for entry in entries if matches(entry, params)]
    limit, offset = params["limit"], params["offset"]
    return {"total": len(matching), "limit": limit, "offset": offset, "latest": entries[-1]["seq"] if entries else 0,
            "requests": [shown(entry) for entry in matching[offset:offset + limit]]}


@pytest.mark.parametrize("seed", range(12))
def test_a_page_is_what_every_entry_made_a_dict_gave(seed):
    rng = random.Random(seed)
    entries = Entries()
    answers = [(200, (("Content-Type", "application/json"),)), (404, ()),
               (429, (("Retry-After", str(rng.choice([0, 1, 2]))),)),
               (503, (("Retry-After", "Wed, 18 Nov 2026 11:06:41 GMT"),))]
    kinds = [entries.kind(("GET", path, "", *entries.headers(ENVIRON), None, status, headers,
                           ({"code": "x", "message": "m", "details": {}},) if broken else ()))
             for path in ("/user/balances/", "/user/balances/history/")
             for status, headers in (answers if seed % 3 else answers[:2]) for broken in (False, True)]
    chunks, seq, arrival = [], 1, 1_795_000_000_000_000
    for _ in range(rng.randint(0, 6)):
        records = []
        for _ in range(rng.randint(1, 40)):
            arrival += rng.randint(0, 1_500_000)
            records.append(("demo", arrival - rng.randint(0, 3000), rng.randint(0, 9999), rng.choice(kinds)))
        _, count, blob = Entries.chunks(records)[0]
        chunks.append(Chunk(seq, count, blob))
        seq += count
    rng.shuffle(chunks)  # workers write their chunks in any order
    lowest = rng.randint(1, max(1, seq - 5))
    journal = Journal(KeptChunks(lowest, chunks), None, batched=False)
    for params in ({}, {"status": 429}, {"path": "/user/balances/", "valid": True}, {"since": seq // 2},
                   {"method": "POST"}, {"valid": False, "since": 3}):
        params = {"limit": rng.choice([1, 5, 100]), "offset": rng.choice([0, 0, 3, 50]), **params}
        assert journal.page("demo", params) == every_entry_page("demo", lowest, chunks, params)


def test_a_chunk_is_read_alike_whatever_its_kinds_hold_or_its_keys_order():
    """Entries are parsed only for the chunks a page needs: they are found after the last
    ``],"entries":`` of a chunk (a kind may hold that text, the numbers after it cannot)."""
    entries = Entries()
    tricky = {"code": "x", "message": "m", "details": {"a": [1], "entries": [2, "],\"entries\":[9]"]}}
    kind = entries.kind(("GET", "/user/balances/", "", *entries.headers(ENVIRON), None, 400, (), (tricky,)))
    plain = entries.kind(("GET", "/user/balances/", "", *entries.headers(ENVIRON), None, 200, (), ()))
    records = [("demo", 1_795_000_000_000_000 + n, n, kind if n % 3 else plain) for n in range(10)]
    _, count, blob = Entries.chunks(records)[0]
    stored = orjson.loads(zlib.decompress(blob))
    reordered = zlib.compress(orjson.dumps({"entries": stored["entries"], "kinds": stored["kinds"]}))
    for chunk in (Chunk(1, count, blob), Chunk(1, count, reordered)):
        journal = Journal(KeptChunks(3, [chunk]), None, batched=False)
        for params in ({"limit": 4, "offset": 2}, {"limit": 100, "offset": 0, "valid": False}):
            assert journal.page("demo", params) == every_entry_page("demo", 3, [chunk], params)
