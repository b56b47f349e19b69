"""What is a secret, and how it is hidden: the one module every writer uses.

The journal, the access log, the proxy's log lines and journal, ``record``'s report and every
curl reproduction (the contract suite's and the proxy's) show requests to people and to files.
None may show a credential. A second copy of these rules is how a leak gets in, so there is
none: this module lives in ``contract_tests`` because the suite must not import the mock,
while the mock may import the suite.

A secret is: the credentials of ``Authorization`` and ``Proxy-Authorization`` (the scheme
stays, so a reader still sees Bearer or Basic), ``Cookie`` and ``Set-Cookie``, and the value
of any header, query or form field, or JSON key named like a token, a secret, a password, an
API key or a credential (``access_token``, ``refresh_token``, ``client_secret``,
``X-API-Key``, ``api_key``, ``apikey``, ...), matched without regard to case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote_plus

import orjson

MARK = "[REDACTED]"
"""What stands where a secret was."""
SECRET_NAME = re.compile(r"token|secret|passw(?:or)?d|api[-_]?key|credential|cookie", re.IGNORECASE)
"""A header, field or key named like this holds a secret."""
SCHEMED = ("authorization", "proxy-authorization")
"""Headers whose scheme is kept and whose credentials are not."""
_SCHEMED_IN_TEXT = re.compile(
    r"(?P<scheme>\b(?:[Bb]earer|[Bb]asic|BEARER|BASIC)\s+)(?=[a-z-]*[0-9A-Z._~+/=])[A-Za-z0-9._~+/=-]+")
"""Credentials after their scheme, in free text: a token has a digit, a capital or a symbol in
it, so the words of a sentence ("a 401 carries a Bearer challenge") are left as they are."""
_FIELD_IN_TEXT = re.compile(r"(?<![\w.-])[\w.-]*+=")
"""``name=`` in free text, the name a whole run of word characters, dots and dashes: each run is
read once (possessively), so a long line costs its length, not its square."""
_SECRET_FIELD = re.compile(r"token|secret|passw(?:or)?d|api[-_]?key|credential", re.IGNORECASE)
_VALUE_IN_TEXT = re.compile(r"[^&\s\"']+")


NOT_SECRET = frozenset({"token_type"})
"""Named like a secret, and known not to be one (RFC 6749's ``token_type`` is always Bearer)."""


def is_secret(name: str) -> bool:
    """Whether a header, field or key named ``name`` holds a secret."""
    return bool(SECRET_NAME.search(name)) and name.lower() not in NOT_SECRET


def header(name: str, value: str) -> str:
    """A header's value as it may be shown."""
    if name.lower() in SCHEMED:
        scheme, space, _ = value.strip().partition(" ")
        return f"{scheme} {MARK}" if space else MARK
    return MARK if is_secret(name) else value


def headers(pairs: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers as they may be shown (names as given)."""
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    return {name: header(name, value) for name, value in items}


def form(text: str) -> str:
    """A query string or form body with the value of every field named like a secret replaced,
    the rest as sent (names are matched percent-decoded: ``client%5Fsecret`` is a secret too)."""
    if not text or ("%" not in text and not SECRET_NAME.search(text)):
        return text
    fields = text.split("&")
    for index, field in enumerate(fields):
        name, equals, _ = field.partition("=")
        if equals and is_secret(unquote_plus(name)):
            fields[index] = f"{name}={MARK}"
    return "&".join(fields)


def json_value(value: Any) -> Any:
    """A JSON value with the value of every key named like a secret replaced, at any depth."""
    if isinstance(value, dict):
        return {key: MARK if is_secret(str(key)) else json_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_value(item) for item in value]
    return value


def body(raw: bytes | str | None) -> str | None:
    """A body as text that may be shown: a JSON body by its keys (written again, compactly, only
    if one was a secret), anything else as a form; None for no body."""
    if not raw:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if text.lstrip()[:1] in ("{", "["):
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
        else:
            redacted = json_value(parsed)
            return text if redacted == parsed else orjson.dumps(redacted).decode()
    return form(text)


def text(line: str) -> str:
    """Free text (a log line, an error message) with what looks like a credential hidden: the
    credentials after ``Bearer`` or ``Basic``, and the value of ``name=value`` where the name is
    a secret's."""
    line = _SCHEMED_IN_TEXT.sub(lambda m: m.group("scheme") + MARK, line)
    if "=" not in line:
        return line
    parts, shown = [], 0
    for field in _FIELD_IN_TEXT.finditer(line):
        if field.start() < shown or not _SECRET_FIELD.search(field.group()):
            continue
        value = _VALUE_IN_TEXT.match(line, field.end())
        if value is not None:
            parts += [line[shown:field.end()], MARK]
            shown = value.end()
    return "".join(parts) + line[shown:]
