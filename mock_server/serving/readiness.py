"""Is a server ready? The question a container's HEALTHCHECK, a compose ``healthcheck``, a
Kubernetes probe or a CI step asks, answered the same way for each.

Ready means answering HTTP the way the API does: a request to the balances without a token gets
an answer in the API's error envelope. That takes a forked worker running the whole app (routing,
authentication, the error handler), which an open port alone does not prove; and it touches no
account, records nothing in the journal (no client is named) and needs no credentials.

Where is the server? A URL given, or the URL file the server writes once a worker accepts
(``serve --url-file``, which the image sets): replicas sharing a host's network each take a port
of a range, so only the server itself knows which it took. The file names the server's process
too, so a file left behind by a server killed with ``kill -9`` is never taken for a live one.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROBE_PATH = "/user/balances/"
PROBE_AGENT = "balances-mock-ready"
"""The probe's User-Agent: what it is, in the access log."""


@dataclass(frozen=True)
class Readiness:
    """One answer to "is it ready?", and in one line why (or why not)."""

    ready: bool
    detail: str


def write_url_file(path: Path, url: str) -> None:
    """``url`` and this process into ``path``, whole or not at all (written aside, then renamed)."""
    aside = path.with_name(f".{path.name}.{os.getpid()}")
    aside.write_text(f"{url}\n{_process(os.getpid())}\n", encoding="utf-8")
    aside.replace(path)


def remove_url_file(path: Path) -> None:
    """Forget ``path`` if this process wrote it (another server may have written it since)."""
    with contextlib.suppress(OSError):
        lines = path.read_text(encoding="utf-8").splitlines()
        if lines[1:2] == [_process(os.getpid())]:
            path.unlink()


def url_from_file(path: Path) -> str | Readiness:
    """The URL a live server wrote into ``path``, or why there is none (not ready)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return Readiness(False, f"no server has written {path} yet (it does once a worker accepts)")
    except OSError as error:
        return Readiness(False, f"cannot read {path}: {error.strerror or error}")
    if len(lines) < 2 or not lines[0].startswith(("http://", "https://")):
        return Readiness(False, f"{path} does not hold a server's URL")
    pid = lines[1].split(" ", 1)[0]
    if not pid.isdigit() or _process(int(pid)) != lines[1]:
        return Readiness(False, f"the server that wrote {path} has stopped")
    return lines[0]


def probe(url: str, timeout: float = 2.0) -> Readiness:
    """Ask the server at ``url`` once: ready if it answers in the API's error envelope."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Readiness(False, f"{url!r} is not an http:// or https:// URL")
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", parts.path.rstrip("/") + PROBE_PATH, headers={"User-Agent": PROBE_AGENT})
        response = connection.getresponse()
        body = response.read(64 * 1024)
    except (OSError, http.client.HTTPException) as error:
        return Readiness(False, f"{url} does not answer: {getattr(error, 'strerror', None) or error}")
    finally:
        connection.close()
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return Readiness(False, f"{url} answered {response.status}, not in the API's error envelope")
    return Readiness(True, f"{url} is ready (GET {PROBE_PATH} without a token: {response.status} {code})")


def wait_until_ready(url: str | None, url_file: Path | None, wait: float, timeout: float = 2.0) -> Readiness:
    """Ask until ready or ``wait`` seconds have passed (0: once); the last answer."""
    deadline = time.monotonic() + wait
    while True:
        found = url if url is not None else url_from_file(url_file) if url_file is not None else None
        if found is None:
            return Readiness(False, "no server to ask: give its URL, or the --url-file its server writes")
        answer = found if isinstance(found, Readiness) else probe(found, timeout)
        if answer.ready or time.monotonic() >= deadline:
            return answer
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


def _process(pid: int) -> str:
    """``pid`` and its start time (in clock ticks since boot, where /proc says it): a process
    that reuses the PID later, as PID 1 of a restarted container does, differs in it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return f"{pid} {fields[19]}"  # starttime, field 22 of stat(5), counted after the name
    except (OSError, IndexError):
        return str(pid) if pid == os.getpid() or _alive(pid) else ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
