"""The three state stores, opened the same way for every conformance suite of the stores."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import redis

from mock_server.state import Store, open_store

KINDS = ("memory", "sqlite", "redis")


def state_url(kind: str, folder: Path, redis_url: Callable[[], str]) -> str:
    """A fresh state of ``kind``: a new SQLite file in ``folder``, or the Redis server that
    ``redis_url`` starts (asked only for Redis), emptied first."""
    if kind == "memory":
        return "memory://"
    if kind == "sqlite":
        return f"sqlite:///{folder / 'state.db'}"
    url = f"{redis_url()}/0"
    redis.Redis.from_url(url).flushdb()
    return url


def open_fresh(kind: str, folder: Path, redis_url: Callable[[], str]) -> Store:
    return open_store(state_url(kind, folder, redis_url))
