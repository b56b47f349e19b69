"""Bodies to bytes, one way for every response and every exported fixture, so a fixture
file and the mock's answer to the same request are the same bytes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson
from flask import Response

JSON = "application/json"


def to_json(body: Any) -> bytes:
    """Compact UTF-8 JSON in the body's own key order, as Django REST framework writes it.

    orjson writes it several times faster than the standard library, byte for byte the
    same; the standard library takes over for what orjson refuses (an integer beyond 64
    bits, such as an absurd ``offset`` echoed back).
    """
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response; ``bytes`` are taken as already serialized."""
    data = body if isinstance(body, bytes) else to_json(body)
    return Response(data, status=status, headers=dict(headers or {}), content_type=JSON)
