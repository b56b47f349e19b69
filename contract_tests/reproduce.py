"""How a failure is reproduced: the curl command that sends the request again, with every
credential redacted, so a red CI log can be pasted into a terminal and shared safely."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

import requests

SECRET_HEADER = re.compile(r"cookie|api-?key|secret|token|password", re.IGNORECASE)
"""Headers whose values a reproduction never shows."""


def curl(response: requests.Response) -> str:
    """A curl command that repeats the request of ``response``, with credentials redacted."""
    request = response.request
    return curl_command(request.method or "GET", request.url or "", request.headers.items(), request.body)


def curl_command(method: str, url: str, headers: Iterable[tuple[str, str | bytes]],
                 body: str | bytes | None) -> str:
    """A curl command for a request, credentials redacted: an Authorization header keeps its
    scheme only; a cookie, an API key, a header named like a secret or token, and a form's
    ``client_secret`` are hidden."""
    parts = ["curl", "-X", method]
    for name, value in headers:
        if isinstance(value, bytes):  # requests sends bytes values as they are (latin-1 on the wire)
            value = value.decode("latin-1")
        if name.lower() in {"user-agent", "accept-encoding", "connection", "content-length", "host"}:
            continue
        if name.lower() in ("authorization", "proxy-authorization"):
            scheme = value.split(" ", 1)[0]
            value = f"{scheme} [REDACTED]" if " " in value else "[REDACTED]"
        elif SECRET_HEADER.search(name):
            value = "[REDACTED]"
        parts += ["-H", f"{name}: {value}"]
    if body:
        text = body.decode(errors="replace") if isinstance(body, bytes) else str(body)
        if "client_secret" in text:
            text = "&".join("client_secret=[REDACTED]" if p.startswith("client_secret=") else p
                            for p in text.split("&"))
        parts += ["--data", text]
    parts.append(url)
    return shlex.join(parts)
