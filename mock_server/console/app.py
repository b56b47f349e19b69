"""The console's own Flask app: the page, its files, the API docs; mounted under ``/__console``.

It is a separate app, not routes of the API's: the API's pipeline (faults, rate limit, journal)
never sees a console request, and the API's paths never see the console's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, render_template, request
from werkzeug.routing import RequestRedirect

from mock_server.console.config import CONSOLE_PREFIX, ConsoleConfig
from mock_server.console.docs import docs_blueprint
from mock_server.console.headers import OWN_ASSETS, PAGES, secure
from mock_server.errors import register_error_handlers


def create_console(config: ConsoleConfig) -> Flask:
    """The console app; serve it under ``CONSOLE_PREFIX`` with ``mount``."""
    console = Flask(__name__, static_url_path="/static")
    console.config["SEND_FILE_MAX_AGE_DEFAULT"] = None  # our Cache-Control below, with ETag / Last-Modified

    @console.get("/")
    def page() -> Response:
        response = Response(render_template("console.html", config=config))
        response.headers["Cache-Control"] = PAGES
        return response

    @console.after_request
    def headers(response: Response) -> Response:
        if "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = OWN_ASSETS
        if "Content-Security-Policy" in response.headers:
            return response  # a page with a policy of its own (the docs)
        return secure(response)

    @console.before_request
    def add_slash() -> Response | None:
        """``/__console`` to ``/__console/``, without the HTML page werkzeug's redirect carries."""
        redirect = request.routing_exception
        if isinstance(redirect, RequestRedirect):
            return Response(status=redirect.code, headers={"Location": redirect.new_url})
        return None

    console.register_blueprint(docs_blueprint(config))
    register_error_handlers(console)
    return console


def mount(app: Flask, console: Flask) -> None:
    """Serve ``console`` under ``CONSOLE_PREFIX`` beside ``app``; every other path stays ``app``'s."""
    app.wsgi_app = Mounted(app.wsgi_app, console)  # type: ignore[method-assign]


class Mounted:
    """``console`` at ``CONSOLE_PREFIX`` (the path itself, or the path and a slash: SCRIPT_NAME and
    PATH_INFO split there), every other path ``app``'s as it came. What werkzeug's
    ``DispatcherMiddleware`` does for one mount, without its walk up every segment of every API
    request's path in search of a mount and its rewrite of the environ (3% of a read's CPU)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], console: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.console = console

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONSOLE_PREFIX) and path[len(CONSOLE_PREFIX):len(CONSOLE_PREFIX) + 1] in ("", "/"):
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + CONSOLE_PREFIX
            environ["PATH_INFO"] = path[len(CONSOLE_PREFIX):]
            return self.console(environ, start_response)
        return self.app(environ, start_response)
