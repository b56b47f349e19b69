"""Bearer tokens made by the tests themselves, to try what the mock accepts and refuses."""

from __future__ import annotations

import time
from typing import Any

import jwt

from . import SECRET


def signed(claims: dict[str, Any] | None = None, secret: str = SECRET, algorithm: str = "HS256") -> str:
    """A token as the mock issues it (demo, read and write, ten minutes), with ``claims`` changed."""
    now = int(time.time())
    base = {"iss": "balances-mock", "sub": "demo", "scope": "read write", "iat": now, "nbf": now, "exp": now + 600}
    return jwt.encode({**base, **(claims or {})}, secret, algorithm=algorithm)


def tampered(token: str) -> str:
    """The same token with the first character of its signature changed."""
    header, payload, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return f"{header}.{payload}.{flipped}"
