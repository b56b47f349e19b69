"""How a request's bytes become text and values: once, here, before the spec looks at them.

Hostile bytes are refused at this door with a reason a client can act on (the validation
step turns ``Undecodable`` into the API's 400), so nothing behind it ever meets a string it
cannot encode again: a lone surrogate that would break the journal's JSON, a NUL that a
database would choke on, a body nested deep enough to exhaust a parser's stack.

Where the real API's stack has an evident behaviour it is followed, and the module says so:
Django reads a form leniently (``QueryDict``: raw bytes that are not UTF-8 are read as
Latin-1, a bad percent-escape as U+FFFD) and refuses more than
``DATA_UPLOAD_MAX_NUMBER_FIELDS`` (1,000) fields with a 400; Django REST framework's
``CharField`` refuses NUL characters ("Null characters are not allowed."). The query string
of the API's operations and every JSON body of the control API are read strictly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MAX_FIELDS = 1_000
"""Django's DATA_UPLOAD_MAX_NUMBER_FIELDS default: more parameters in a query or a form is a 400."""
MAX_DEPTH = 100
"""No body the control API takes nests deeper than 2; 100 leaves room and keeps every parser
(orjson stops at 1,024, the standard library at its recursion limit) well inside its stack."""


class Undecodable(ValueError):
    """Bytes the mock cannot read as what the request says they are; the message says why."""


def query_pairs(raw: bytes) -> list[tuple[str, str]]:
    """A query string's (name, value) pairs, strictly: UTF-8 after percent-decoding (a decision
    of the spec: ``Invalid query parameters``), no NUL, at most ``MAX_FIELDS``."""
    _count_fields(raw)
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise Undecodable("is not valid UTF-8 after percent-decoding") from None
    _refuse_nul(pairs)
    return pairs


def form_pairs(raw: bytes) -> list[tuple[str, str]]:
    """A form body's (name, value) pairs as Django reads them (``QueryDict``): a body that is not
    UTF-8 is read as Latin-1, a percent-escape that is not UTF-8 becomes U+FFFD; no NUL, at
    most ``MAX_FIELDS``."""
    _count_fields(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    pairs = parse_qsl(text, keep_blank_values=True, errors="replace")
    _refuse_nul(pairs)
    return pairs


def form_of(request: Request) -> dict[str, str]:
    """A request's form as Django's ``request.POST`` holds it (the last of repeated names);
    empty for another Content-Type, a body too large to read (413) or one ``form_pairs`` refuses.
    The body is read once and kept, so the view reads the same bytes."""
    if request.mimetype != FORM:
        return {}
    try:
        return dict(form_pairs(request.get_data()))
    except (HTTPException, Undecodable):
        return {}


def form_body(pairs: Iterable[tuple[str, str]]) -> bytes:
    """The pairs as a UTF-8 form body again (what django-oauth-toolkit hands oauthlib:
    ``urlencode(request.POST.items())``), for a validator that reads bytes."""
    return urlencode(list(pairs)).encode("ascii")


def json_document(raw: bytes) -> Any:
    """A JSON body, strictly: UTF-8 without lone surrogates, numbers a double can hold, nested at
    most ``MAX_DEPTH`` deep, no NUL in any string, and each key of an object once."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise Undecodable(f"is not valid JSON: {error.msg}") from None
    _refuse_depth_and_nul(document)
    if isinstance(document, (dict, list)):
        # orjson keeps the last of repeated keys; two parsers could read such a body differently.
        json.loads(raw, object_pairs_hook=_one_of_each_key)
    return document


def _count_fields(raw: bytes) -> None:
    if raw.count(b"&") + raw.count(b";") >= MAX_FIELDS:
        fields = sum(1 for part in raw.replace(b";", b"&").split(b"&") if part)
        if fields > MAX_FIELDS:
            raise Undecodable(f"has {fields} parameters; at most {MAX_FIELDS} are read")


def _refuse_nul(pairs: list[tuple[str, str]]) -> None:
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            raise Undecodable("null characters are not allowed")


def _one_of_each_key(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        repeated = sorted({name for name in names if names.count(name) > 1})
        raise Undecodable(f"repeats the key {', '.join(map(repr, repeated))}")
    return dict(pairs)


def _refuse_depth_and_nul(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise Undecodable("null characters are not allowed")
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise Undecodable(f"is nested more than {MAX_DEPTH} deep")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
