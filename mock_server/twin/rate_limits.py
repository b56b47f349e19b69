"""Rate limiting like the real API: per client, 429 ``rate_limit_exceeded`` with
``Retry-After`` in seconds, counted by the ``limits`` library as one step of the pipeline.

Counts live in the storage the user names: ``memory://`` counts inside one process (the
CLI then runs a single worker, so the count stays right), ``redis://host:port`` shares them
between every worker and every replica.
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from mock_server.errors import ApiError
from mock_server.twin.auth import basic_credentials
from mock_server.twin.request import Grant

if TYPE_CHECKING:
    from mock_server.twin.request import RequestState

DOCUMENTED_LIMITS = "100/minute;1000/hour;5000/day"
"""The limits the v0.9 documentation gives, per key."""

SCOPE = "global"
"""Every path shares one count per client. The scope, like the keys, is the one flask-limiter
gave application limits when it counted for the mock, so replicas of either build share counts."""

breach_log = logging.getLogger("flask-limiter")
"""The logger (and below, the words) flask-limiter reported a breach with: logs read the same."""


def check(limits_text: str) -> str:
    """``limits_text`` if it parses (e.g. ``100/minute;1000/hour``), else ValueError."""
    if not parse_many(limits_text):
        raise ValueError(f"no limit in {limits_text!r}")
    return limits_text


class RateLimit:
    """The rate limit step of the request pipeline: per client, a fixed window per limit."""

    def __init__(self, limits_text: str, storage_uri: str) -> None:
        self._limits = sorted(parse_many(limits_text))  # shortest window first: it breaks first
        self._counter = FixedWindowRateLimiter(storage_from_string(storage_uri))

    def check(self, state: RequestState) -> None:
        """Count the request against each limit of its client; 429 at the first that is spent."""
        key = client_key(state)
        for limit in self._limits:
            if not self._counter.hit(limit, key, SCOPE):
                breach_log.info("ratelimit %s (%s) exceeded at endpoint: %s", limit, key, SCOPE)
                raise self._exceeded(limit, key)

    def _exceeded(self, limit: RateLimitItem, key: str) -> ApiError:
        reset_at = int(self._counter.get_window_stats(limit, key, SCOPE).reset_time + 1)
        retry_after = min(max(1, math.ceil(reset_at - time.time())), limit.get_expiry())
        return ApiError(429, "rate_limit_exceeded", f"Rate limit exceeded: {limit}.",
                        {"limit": str(limit), "retry_after": retry_after}, {"Retry-After": str(retry_after)})


def client_key(state: RequestState) -> str:
    """The client a request counts against: its token's, its Basic user's, or its address."""
    if isinstance(state.identity, Grant):
        return f"client:{state.identity.client_id}"
    basic = basic_credentials(state.request.headers.get("Authorization"))
    if basic is not None and basic[0]:
        return f"client:{basic[0]}"
    return f"address:{state.request.remote_addr}"
