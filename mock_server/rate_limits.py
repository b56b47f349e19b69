"""Rate limiting like the real API: per client, 429 ``rate_limit_exceeded`` with
``Retry-After`` in seconds, counted by flask-limiter (the ``limits`` library).

Counts live in the storage the user names: ``memory://`` counts inside one process (the
CLI then runs a single worker, so the count stays right), ``redis://host:port`` shares them
between every worker and every replica.
"""

from __future__ import annotations

import math
import time

from flask import Flask, request
from flask_limiter import Limiter, RequestLimit
from limits import parse_many

from .auth import TokenService, basic_credentials
from .errors import ApiError

DOCUMENTED_LIMITS = "100/minute;1000/hour;5000/day"
"""The limits the v0.9 documentation gives, per key."""


def check(limits_text: str) -> str:
    """``limits_text`` if it parses (e.g. ``100/minute;1000/hour``), else ValueError."""
    if not parse_many(limits_text):
        raise ValueError(f"no limit in {limits_text!r}")
    return limits_text


def install(app: Flask, limits_text: str, storage_uri: str, tokens: TokenService) -> Limiter:
    def client_key() -> str:
        """The client a request counts against: its token's, its Basic user's, or its address."""
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer ":
            try:
                return f"client:{tokens.verify(header).client_id}"
            except ApiError:
                pass
        basic = basic_credentials(header)
        if basic is not None and basic[0]:
            return f"client:{basic[0]}"
        return f"address:{request.remote_addr}"

    def breached(limit: RequestLimit) -> None:
        window = limit.limit.get_expiry()
        retry_after = min(max(1, math.ceil(limit.reset_at - time.time())), window)
        raise ApiError(429, "rate_limit_exceeded", f"Rate limit exceeded: {limit.limit}.",
                       {"limit": str(limit.limit), "retry_after": retry_after},
                       {"Retry-After": str(retry_after)})

    # Application limits: one count per client across every path, as "per key" means.
    return Limiter(client_key, app=app, application_limits=[limits_text], storage_uri=storage_uri,
                   strategy="fixed-window", headers_enabled=False, on_breach=breached)
