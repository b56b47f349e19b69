"""The state in Redis, shared by every worker of every replica that names the same server.

A change is an optimistic transaction (``WATCH`` the account's version, decide, ``MULTI`` /
``EXEC``, again from the start if another client changed the account meanwhile): Redis'
own answer to "read, decide, write" without a lock. The decision runs in Python, not in a
Lua script, because balances are 64-bit integers and Lua's numbers are doubles.

Per account, under ``balances-mock:sandbox:{account}:``: ``meta`` (a hash: version, epoch),
``tail`` (JSON), ``entries`` (a list of JSON rows) and ``keys`` (a hash of idempotency keys).
The braces make Redis Cluster keep one account's keys in one slot.

Created clients are ``balances-mock:sandbox:clients:<id>`` (JSON); a client's armed faults a
sorted set ``balances-mock:sandbox:faults:{client}`` of JSON by id, the ids from the counter
``balances-mock:sandbox:faults:ids``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

import redis

from mock_server.ledger.bookings import Decision, Remembered, Tail
from mock_server.ledger.ledger import Entry
from mock_server.state.interface import Chunk, Snapshot, StateUrlError, redacted
from mock_server.state.records import ArmedFault, ClientRecord, Fault

PREFIX = "balances-mock:sandbox"


class RedisClients:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def add(self, record: ClientRecord) -> bool:
        return bool(self._redis.set(f"{PREFIX}:clients:{record.client_id}", json.dumps(record.to_json()), nx=True))

    def get(self, client_id: str) -> ClientRecord | None:
        raw = self._redis.get(f"{PREFIX}:clients:{client_id}")
        return None if raw is None else ClientRecord.from_json(json.loads(raw))


TAKE_FAULT = """
for _, raw in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local fault = cjson.decode(raw)
  if fault.path == ARGV[1] and (fault.method == cjson.null or fault.method == ARGV[2]) then
    redis.call('ZREM', KEYS[1], raw)
    if fault.times_left > 1 then
      fault.times_left = fault.times_left - 1
      redis.call('ZADD', KEYS[1], fault.id, cjson.encode(fault))
    end
    return raw
  end
end
return false
"""
"""The client's first matching fault, one of its times used up, in one step of Redis (a script
runs alone), so racing workers never fire the same time twice. Its JSON as it was before;
false when none matches. Only small integers go through Lua's doubles here."""


class RedisFaults:
    """A request to the API with no fault armed for its client costs one ``EXISTS`` (a third
    less client time than running the script on a missing key); the script runs only for a
    client that has faults."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._take = client.register_script(TAKE_FAULT)

    @staticmethod
    def key(client: str) -> str:
        """The sorted set of the client's armed faults."""
        return f"{PREFIX}:faults:{{{client}}}"

    def arm(self, client: str, fault: Fault) -> ArmedFault:
        armed = ArmedFault.of(int(self._redis.incr(f"{PREFIX}:faults:ids")), fault)
        self._redis.zadd(self.key(client), {json.dumps(armed.to_json()): armed.id})
        return armed

    def armed(self, client: str) -> list[ArmedFault]:
        return [ArmedFault.from_json(json.loads(raw)) for raw in self._redis.zrange(self.key(client), 0, -1)]

    def disarm(self, client: str) -> int:
        with self._redis.pipeline(transaction=True) as pipe:
            count, _ = pipe.zcard(self.key(client)).delete(self.key(client)).execute()
        return int(count)

    def take(self, client: str, method: str, path: str) -> ArmedFault | None:
        key = self.key(client)
        if not self._redis.exists(key):  # a fault armed after this answer was armed after the request came
            return None
        raw = self._take(keys=[key], args=[path, method])
        if not raw:
            return None
        fired = ArmedFault.from_json(json.loads(raw))
        return replace(fired, times_left=fired.times_left - 1)


class RedisStore:
    shared_between_processes = True

    def __init__(self, client: redis.Redis, url: str) -> None:
        self._redis = client
        self.url = url
        self.clients = RedisClients(client)
        self.faults = RedisFaults(client)

    @classmethod
    def from_url(cls, url: str) -> RedisStore:
        try:
            client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
            client.ping()
        except (ValueError, redis.RedisError) as error:
            raise StateUrlError(f"cannot use the Redis state at {redacted(url)}: {error}") from None
        return cls(client, redacted(url))

    @staticmethod
    def _keys(account: str) -> tuple[str, str, str, str]:
        base = f"{PREFIX}:{{{account}}}"
        return f"{base}:meta", f"{base}:tail", f"{base}:entries", f"{base}:keys"

    def version(self, account: str) -> int:
        meta = self._keys(account)[0]
        return int(self._redis.hget(meta, "version") or 0)

    def look(self, account: str, client: str) -> tuple[int, bool]:
        """One round trip: the version and the client's faults' key, pipelined."""
        with self._redis.pipeline(transaction=False) as pipe:
            version, armed = pipe.hget(self._keys(account)[0], "version").exists(RedisFaults.key(client)).execute()
        return int(version or 0), bool(armed)

    def read(self, account: str, epoch: int, since: int) -> Snapshot:
        meta, tail_key, entries, _ = self._keys(account)
        for start in (since, 0):
            with self._redis.pipeline(transaction=True) as pipe:
                pipe.hmget(meta, "version", "epoch").get(tail_key).lrange(entries, start, -1)
                (version, stored_epoch), tail, rows = pipe.execute()
            stored_epoch = int(stored_epoch or 0)
            if stored_epoch == epoch or start == 0:
                return Snapshot(int(version or 0), stored_epoch, Tail.from_json(json.loads(tail)) if tail else None,
                                start, [Entry(*json.loads(row)) for row in rows])
        raise AssertionError("the second pass reads from the start")

    def update(self, account: str, initial: Tail, decide: Decision, idempotency_key: str | None = None) -> object:
        meta, tail_key, entries, keys = self._keys(account)
        with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(meta)
                    raw_tail = pipe.get(tail_key)
                    raw_key = pipe.hget(keys, idempotency_key) if idempotency_key else None
                    tail = Tail.from_json(json.loads(raw_tail)) if raw_tail else initial
                    remembered = None
                    if raw_key:
                        fingerprint, entry = json.loads(raw_key)
                        remembered = Remembered(fingerprint, Entry(*entry))
                    outcome = decide(tail, remembered)
                    if outcome.tail is None:
                        pipe.unwatch()
                        return outcome.result
                    pipe.multi()
                    pipe.set(tail_key, json.dumps(outcome.tail.to_json()))
                    if outcome.rows:
                        pipe.rpush(entries, *(json.dumps(list(row)) for row in outcome.rows))
                    if outcome.remember is not None:
                        key, kept = outcome.remember
                        pipe.hset(keys, key, json.dumps([kept.fingerprint, list(kept.entry)]))
                    pipe.hincrby(meta, "version", 1)
                    pipe.execute()
                    return outcome.result
                except redis.WatchError:
                    continue

    def reset(self, account: str) -> None:
        meta, tail_key, entries, keys = self._keys(account)
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(tail_key, entries, keys).hincrby(meta, "epoch", 1).hincrby(meta, "version", 1).execute()

    def close(self) -> None:
        self._redis.close()



JOURNAL = "balances-mock:journal:{journal}"
"""Every key of the request journal starts so; the one hash tag keeps them in one Redis Cluster
slot, since a batch and the forgetting that follows it touch several clients at once."""

_APPEND = """
local lowest = 0
local last = 0
for i = 2, #ARGV, 3 do
    local client, count, entries = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
    last = redis.call('INCRBY', KEYS[1], count)
    redis.call('ZADD', KEYS[3] .. client, last, (last - count + 1) .. ':' .. count .. ':' .. entries)
    redis.call('ZADD', KEYS[2], last, last .. ':' .. client)
end
lowest = last - tonumber(ARGV[1]) + 1
for _, chunk in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. lowest)) do
    local client = string.sub(chunk, string.find(chunk, ':', 1, true) + 1)
    redis.call('ZREMRANGEBYSCORE', KEYS[3] .. client, '-inf', '(' .. lowest)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. lowest)
return last
"""
"""One batch, atomically: numbers from the counter (KEYS[1]), each chunk into its client's sorted
set (KEYS[3] .. client id, scored by its last number, the member ``first:count:entries``) and into
the order of all chunks (KEYS[2]); then the chunks that fell out of the last ARGV[1] numbers go."""

_CLEAR = """
local lowest = tonumber(redis.call('GET', KEYS[1]) or '0') - tonumber(ARGV[1]) + 1
local cleared = 0
for _, chunk in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    local first, count = string.match(chunk, '^(%d+):(%d+):')
    local last = tonumber(first) + tonumber(count) - 1
    if last >= lowest then
        cleared = cleared + last - math.max(tonumber(first), lowest) + 1
    end
end
redis.call('DEL', KEYS[2])
return cleared
"""
"""A client's chunks go, atomically with counting the requests they still kept."""


class RedisJournal:
    """The request journal in the sandbox's Redis (see ``JournalStore``), shared by replicas.

    Under ``balances-mock:journal:{journal}:``: ``seq`` (the last number handed out), ``order``
    (every chunk, scored by its last number) and ``client:<id>`` (a client's chunks). A batch is
    one Lua script: one round trip, atomic, numbers in commit order across replicas.
    """

    def __init__(self, store: RedisStore, size: int) -> None:
        self.size = size
        self._redis = store._redis
        self._seq, self._order, self._client = f"{JOURNAL}:seq", f"{JOURNAL}:order", f"{JOURNAL}:client:"
        self._append = self._redis.register_script(_APPEND)
        self._clear = self._redis.register_script(_CLEAR)

    def append(self, chunks: Sequence[tuple[str, int, bytes]]) -> None:
        args: list[str | int | bytes] = [self.size]
        for client_id, count, entries in chunks:
            args += [client_id, count, entries]
        self._append(keys=[self._seq, self._order, self._client], args=args)

    def read(self, client_id: str) -> tuple[int, list[Chunk]]:
        with self._redis.pipeline(transaction=True) as pipe:
            last, members = pipe.get(self._seq).zrange(self._client + client_id, 0, -1).execute()
        lowest = int(last or 0) - self.size + 1
        chunks = []
        for member in members:
            first, count, entries = member.split(b":", 2)
            chunk = Chunk(int(first), int(count), entries)
            if chunk.last >= lowest:
                chunks.append(chunk)
        return lowest, chunks

    def clear(self, client_id: str) -> int:
        return int(self._clear(keys=[self._seq, self._client + client_id], args=[self.size]))
