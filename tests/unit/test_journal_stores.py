"""The request journal's stores keep one promise, whichever holds the journal: chunks numbered
in commit order without gaps or repeats, each client reading and clearing its own, the last
``size`` numbers kept and nothing older.

One suite, run against the memory store, a SQLite file and a throw-away redis-server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from mock_server.state import Chunk, JournalStore, kept, open_journal, open_store

from ..support.redis import redis_server


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["memory", "sqlite", "redis"])
def journal(request: pytest.FixtureRequest, tmp_path) -> Iterator[Callable[[int], JournalStore]]:
    """Opens a journal of a given size on one fresh state; every journal opened shares it."""
    if request.param == "memory":
        url = "memory://"
    elif request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'state.db'}"
    else:
        url = f"{request.getfixturevalue('redis_url')}/0"
        redis.Redis.from_url(url).flushdb()
    store = open_store(url)
    yield lambda size: open_journal(store, size)
    store.close()


def numbers(chunks: list[Chunk], lowest: int = 1) -> list[int]:
    """The numbers of the requests the chunks still keep."""
    return [n for chunk in chunks for n in range(max(chunk.first, lowest), chunk.last + 1)]


def test_chunks_are_numbered_in_commit_order_and_read_per_client(journal):
    store = journal(100)
    assert store.read("demo") == (-99, [])
    store.append([("demo", 2, b"[1,2]"), ("demo-read", 1, b"[3]")])
    store.append([("demo", 3, b"[4,5,6]")])
    lowest, chunks = store.read("demo")
    assert chunks == [Chunk(1, 2, b"[1,2]"), Chunk(4, 3, b"[4,5,6]")]
    assert lowest == 6 - 100 + 1
    assert store.read("demo-read")[1] == [Chunk(3, 1, b"[3]")]
    assert store.read("nobody")[1] == []


def test_entries_are_kept_as_bytes_whatever_they_hold(journal):
    store = journal(10)
    awkward = b'[{"body":"a:b:c","q":"\\u00e9\\n"}]'  # colons (Redis splits members at them) and escapes
    store.append([("client:with:colons", 1, awkward)])
    assert store.read("client:with:colons")[1] == [Chunk(1, 1, awkward)]


def test_only_the_last_size_numbers_are_kept_for_all_clients_together(journal):
    store = journal(5)
    store.append([("demo", 3, b"a"), ("other", 2, b"b")])  # 1-3 demo, 4-5 other
    store.append([("other", 2, b"c")])  # 6-7: 1 and 2 are forgotten, 3 is kept
    lowest, chunks = store.read("demo")
    assert lowest == 3 and chunks == [Chunk(1, 3, b"a")] and numbers(chunks, lowest) == [3]
    store.append([("other", 1, b"d")])  # 8: demo's whole chunk is gone
    assert store.read("demo") == (4, [])
    assert numbers(store.read("other")[1], 4) == [4, 5, 6, 7, 8]


def test_clear_forgets_one_clients_requests_and_counts_those_kept(journal):
    store = journal(4)
    store.append([("demo", 3, b"a"), ("other", 1, b"b")])
    store.append([("demo", 2, b"c")])  # 5-6: 1 and 2 forgotten, so demo keeps 3, 5 and 6
    assert store.clear("demo") == 3
    assert store.read("demo")[1] == [] and store.clear("demo") == 0
    assert store.read("other")[1] == [Chunk(4, 1, b"b")]
    store.append([("demo", 1, b"d")])  # numbers go on after a clear: a reader's `since` stays right
    assert store.read("demo")[1] == [Chunk(7, 1, b"d")]


def test_the_numbers_go_on_for_every_journal_on_the_same_state(journal):
    first, second = journal(100), journal(100)  # two workers, or two replicas on one Redis
    first.append([("demo", 2, b"a")])
    second.append([("demo", 1, b"b")])
    first.append([("demo", 1, b"c")])
    assert first.read("demo")[1] == second.read("demo")[1] == [Chunk(1, 2, b"a"), Chunk(3, 1, b"b"),
                                                                Chunk(4, 1, b"c")]


def test_concurrent_batches_get_every_number_once(journal):
    """Threads of one process, each with its own connection (SQLite) or pipeline (Redis)."""
    store = journal(10_000)
    threads, batches = 8, 25

    def write(index: int) -> None:
        for n in range(batches):
            store.append([(f"client-{index}", 1 + n % 3, f"{index}/{n}".encode()), ("shared", 1, b"s")])

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(write, range(threads)))
    everything = sorted(n for client in [*(f"client-{i}" for i in range(threads)), "shared"]
                        for n in numbers(store.read(client)[1]))
    assert everything == list(range(1, len(everything) + 1))
    assert len(everything) == threads * sum(2 + n % 3 for n in range(batches))
    for index in range(threads):  # each client's chunks, oldest first, in the order they were written
        assert [c.entries for c in store.read(f"client-{index}")[1]] == [f"{index}/{n}".encode()
                                                                          for n in range(batches)]


def test_kept_counts_the_numbers_a_chunk_still_holds():
    assert [kept(Chunk(5, 3, b""), lowest) for lowest in (1, 5, 6, 7, 8, 100)] == [3, 3, 2, 1, 0, 0]
