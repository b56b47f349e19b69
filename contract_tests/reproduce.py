"""How a failure is reproduced: the curl command that sends the request again, with every
credential redacted, so a red CI log can be pasted into a terminal and shared safely."""

from __future__ import annotations

import shlex
from collections.abc import Iterable

import requests

from . import redaction


def curl(response: requests.Response) -> str:
    """A curl command that repeats the request of ``response``, with credentials redacted."""
    request = response.request
    return curl_command(request.method or "GET", request.url or "", request.headers.items(), request.body)


def curl_command(method: str, url: str, headers: Iterable[tuple[str, str | bytes]],
                 body: str | bytes | None) -> str:
    """A curl command for a request, every secret redacted (``redaction``): the URL's query, the
    headers and the body."""
    parts = ["curl", "-X", method]
    for name, value in headers:
        if isinstance(value, bytes):  # requests sends bytes values as they are (latin-1 on the wire)
            value = value.decode("latin-1")
        if name.lower() in {"user-agent", "accept-encoding", "connection", "content-length", "host"}:
            continue
        parts += ["-H", f"{name}: {redaction.header(name, value)}"]
    shown = redaction.body(body)
    if shown:
        parts += ["--data", shown]
    parts.append(url_shown(url))
    return shlex.join(parts)


def url_shown(url: str) -> str:
    """A URL with the value of every query field named like a secret redacted."""
    base, question, query = url.partition("?")
    return base + question + redaction.form(query) if question else url
