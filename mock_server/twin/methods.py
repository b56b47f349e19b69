"""HEAD, OPTIONS and a missing trailing slash, answered as the stack behind the real API
answers them out of the box, where the documentation is silent (the spec's ``x-decisions``
``head-like-get``, ``options-metadata``, ``allowed-methods`` and ``trailing-slash`` cite the
source of each):

- Django's ``View`` answers ``HEAD`` with its ``GET`` handler (``django/views/generic/base.py``,
  ``View.setup``); the server sends no body (Werkzeug drops it, as Django's handler does).
- Django REST framework answers ``OPTIONS`` with ``SimpleMetadata.determine_metadata``
  (``rest_framework/metadata.py``): the view's name and description, the media types it
  renders and parses. django-oauth-toolkit's token view is a plain Django ``View``, whose
  ``options`` answers 200 with ``Allow`` and no body.
- ``Allow`` lists the methods in Django's ``http_method_names`` order (``errors.allow``).
- Django's ``CommonMiddleware`` (``APPEND_SLASH``, on by default) answers a path that resolves
  only with a slash appended with 301 to it, query string kept (``django/middleware/common.py``,
  ``should_redirect_with_slash``, ``get_full_path_with_slash``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Response

from mock_server.errors import allow
from mock_server.serializer import json_response
from mock_server.twin.request import RequestState

DJANGO_HTML = "text/html; charset=utf-8"
"""The Content-Type of a Django ``HttpResponse`` that sets none (a redirect, ``View.options``)."""
RENDERS = ("application/json", "text/html")
"""DRF's default renderers: ``JSONRenderer`` and ``BrowsableAPIRenderer``."""
PARSES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
"""DRF's default parsers: ``JSONParser``, ``FormParser`` and ``MultiPartParser``."""


def served_methods(*declared: str) -> tuple[str, ...]:
    """The methods a route of the API answers, for the operations the spec gives it: a ``GET``
    also answers ``HEAD``, and every view answers ``OPTIONS`` (in ``Allow``'s order)."""
    methods = {method.upper() for method in declared} | {"OPTIONS"}
    if "GET" in methods:
        methods.add("HEAD")
    return tuple(allow(methods))


def view_metadata(operation: Mapping[str, Any]) -> dict[str, Any]:
    """What DRF's ``SimpleMetadata`` says of the view that answers ``operation`` (a spec operation):
    its name (``get_view_name``: the class name split into words; here the operation's summary
    without its verb), its description (``get_view_description``: the docstring; here the first
    paragraph of the operation's description), and the media types it renders and parses. A view
    with no serializer (a ``GET``-only one) has no ``actions``."""
    name = str(operation.get("summary", "")).removeprefix("Get ").strip()
    paragraph = str(operation.get("description", "")).strip().split("\n\n", 1)[0]
    return {"name": name.title(), "description": " ".join(paragraph.split()),
            "renders": list(RENDERS), "parses": list(PARSES)}


def options_view(methods: tuple[str, ...], metadata: Mapping[str, Any] | None) -> Callable[[RequestState], Response]:
    """The answer to ``OPTIONS``: DRF's metadata (a resource), or Django's empty ``View.options``
    (the token endpoint, ``metadata`` None); ``Allow`` on both, as DRF and Django set it."""
    headers = {"Allow": ", ".join(methods)}

    def options(state: RequestState) -> Response:
        if metadata is None:
            return Response(b"", 200, headers={**headers, "Content-Type": DJANGO_HTML})
        return json_response(dict(metadata), 200, headers)

    return options


def redirect_with_slash(script_root: str, path: str, query: bytes) -> Response:
    """Django's ``CommonMiddleware`` answer to a path that exists only with a slash appended: 301
    to it, query string kept, an empty body."""
    location = f"{script_root}{path}/" + (f"?{query.decode('latin-1')}" if query else "")
    return Response(b"", 301, headers={"Location": location, "Content-Type": DJANGO_HTML})
