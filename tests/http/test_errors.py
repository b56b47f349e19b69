"""One way to answer a 500 (mock_server/errors.py): an unexpected error in any layer (a step, a
store, a view, the response's way out, the console, the proxy, around the app) is the same
documented envelope, with a request id in ``X-Request-Id`` that the one log line of its
traceback names, and a 500 the journal counts."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from werkzeug.test import Client

from mock_server import Settings, create_app
from mock_server.errors import REQUEST_ID, guarded, server_error_body
from mock_server.journal.journal import Journal
from mock_server.proxy.forwarder import Proxy, ProxyOptions
from mock_server.proxy.judge import ProxyJudge
from mock_server.settings import Chaos
from mock_server.spec import load_spec
from mock_server.state import open_journal, open_store
from mock_server.state.memory import MemoryStore
from mock_server.twin.faults import Faults
from mock_server.twin.resources import Resources

from ..support import BALANCES, SECRET
from ..support.mock import InProcessMock


class Broken(RuntimeError):
    """The bug a test plants."""


def broken(*args: Any, **kwargs: Any) -> Any:
    raise Broken("planted")


def assert_the_one_500(response: Any, caplog: pytest.LogCaptureFixture) -> str:
    """The documented 500 with a request id, logged once with its traceback under that id."""
    assert response.status_code == 500, response.get_data()[:300]
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.get_data()) == server_error_body()
    request_id = response.headers[REQUEST_ID]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    logged = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(logged) == 1, [record.getMessage() for record in logged]
    assert request_id in logged[0].getMessage()
    assert logged[0].exc_info and logged[0].exc_info[0] is Broken
    return request_id


LAYERS: dict[str, tuple[Any, str]] = {
    "a step": (Faults, "read_prefer"),
    "a store": (MemoryStore, "version"),
    "a view": (Resources, "answer"),
    "the response's way out": (Faults, "cut_the_wire"),
}


@pytest.mark.parametrize("layer", list(LAYERS))
def test_an_unexpected_error_in_any_layer_of_the_api_is_the_one_500(monkeypatch, caplog, layer):
    token = InProcessMock().token()  # signed with the tests' secret, good on any mock that shares it
    owner, name = LAYERS[layer]
    monkeypatch.setattr(owner, name, broken)
    # A fault rate puts the cut-the-wire step on every response's way out (at rate 0 it is left out).
    mock = InProcessMock(Settings(token_secret=SECRET, state="memory://", chaos=Chaos(fault_rate=1e-9)))
    assert_the_one_500(mock.client.get(BALANCES, headers={"Authorization": f"Bearer {token}"}), caplog)


def test_the_journal_counts_the_500(monkeypatch):
    token = InProcessMock().token()
    monkeypatch.setattr(Resources, "answer", broken)
    mock = InProcessMock(Settings(token_secret=SECRET, state="memory://"))
    assert mock.client.get(BALANCES, headers={"Authorization": f"Bearer {token}"}).status_code == 500
    journal = mock.client.get("/__sandbox/requests", headers={"Authorization": f"Bearer {token}"})
    answered = [entry["status"] for entry in json.loads(journal.get_data())["requests"]]
    assert 500 in answered, answered


def test_an_unexpected_error_in_the_console_is_the_one_500(monkeypatch, caplog):
    monkeypatch.setattr("mock_server.console.app.render_template", broken)
    mock = InProcessMock(Settings(token_secret=SECRET, state="memory://"))
    assert_the_one_500(mock.client.get("/__console/"), caplog)


def test_an_unexpected_error_in_the_proxy_is_the_one_500(monkeypatch, caplog):
    journal = Journal(open_journal(open_store("memory://"), 100), None, batched=False)
    monkeypatch.setattr(Journal, "page", broken)
    proxy = Proxy(ProxyOptions("http://127.0.0.1:9", timeout=1), ProxyJudge(load_spec()), journal,
                  report=lambda line: None)
    assert_the_one_500(Client(proxy).get("/__proxy/requests"), caplog)


def test_what_escapes_the_app_itself_is_the_one_500(caplog):
    def middleware_bug(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        raise Broken("planted")

    assert_the_one_500(Client(guarded(middleware_bug)).get("/anything"), caplog)


def test_no_other_500_text_exists(monkeypatch, caplog):
    """Werkzeug's own InternalServerError (raised by a view) is the same envelope, not its text."""
    from werkzeug.exceptions import InternalServerError

    def werkzeug_500(*args: Any, **kwargs: Any) -> Any:
        raise InternalServerError(original_exception=Broken("planted"))

    monkeypatch.setattr(Resources, "answer", werkzeug_500)
    app = create_app(Settings(token_secret=SECRET, state="memory://"))
    mock = InProcessMock(app=app)
    response = mock.client.get(BALANCES, headers={"Authorization": f"Bearer {mock.token()}"})
    assert_the_one_500(response, caplog)
