"""The API docs under ``/__console/docs/``: both specs in Swagger UI, "Try it out" against this server.

Swagger UI comes from flask-swagger-ui, but only its files (its ``dist/``): the package's own page
renders its configuration into an inline script, which the docs' policy refuses. Our page loads
those files and ``static/docs.js``, which reads what it needs from ``data-`` attributes.

Swagger UI's files sit under a path that names the package's version: a browser keeps them for a
year, and an upgrade changes the path. The specs are served as written but for ``servers``: the
one origin this server was reached at, so "Try it out" and the relative ``tokenUrl`` (resolved
against the selected server) come here, never to production.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import version
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import yaml
from flask import Blueprint, Response, render_template, request, send_from_directory, url_for

from mock_server.console.headers import DOCS_POLICY, PAGES, VERSIONED_ASSETS, secure
from mock_server.spec import API_SPEC, SANDBOX_SPEC, load_spec

if TYPE_CHECKING:
    from mock_server.console.config import ConsoleConfig

SWAGGER_UI = files("flask_swagger_ui") / "dist"
SWAGGER_UI_VERSION = version("flask-swagger-ui")
SPECS = {API_SPEC: "Cryptofuse balances API", SANDBOX_SPEC: "balances-mock sandbox control API"}
"""File name -> the name the spec picker shows; side by side, as ``sandbox.yaml``'s ``$ref``s expect."""


def served_spec(spec: dict[str, Any], origin: str) -> str:
    """``spec`` as YAML with ``origin`` its only server."""
    servers = [{"url": origin, "description": "this balances-mock"}]
    return yaml.safe_dump({**spec, "servers": servers}, sort_keys=False, allow_unicode=True)


def docs_blueprint(config: ConsoleConfig) -> Blueprint:
    """The docs of a console of ``config``; ``create_console`` registers it."""
    docs = Blueprint("docs", __name__, url_prefix="/docs")
    specs = {name: load_spec(name) for name in SPECS}

    @lru_cache(maxsize=16)  # a few origins (localhost, 127.0.0.1, a LAN name); Host is the client's to pick
    def spec_text(name: str, origin: str) -> str:
        return served_spec(specs[name], origin)

    @docs.get("/")
    def page() -> Response:
        urls = [{"url": url_for("docs.spec", name=name), "name": title} for name, title in SPECS.items()]
        response = Response(render_template("docs.html", config=config, urls=urls))
        response.headers["Cache-Control"] = PAGES
        return secure(response, DOCS_POLICY)

    @docs.get(f"/<any({', '.join(SPECS)}):name>")
    def spec(name: str) -> Response:
        origin = request.host_url.rstrip("/")
        response = Response(spec_text(name, origin), content_type="application/yaml; charset=utf-8")
        response.add_etag()
        return response.make_conditional(request)

    @docs.get(f"/swagger-ui/{SWAGGER_UI_VERSION}/<path:name>")
    def swagger_ui(name: str) -> Response:
        response = send_from_directory(SWAGGER_UI, name)
        response.headers["Cache-Control"] = VERSIONED_ASSETS
        return response

    return docs
