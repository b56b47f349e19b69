"""create_app for embedding: explicit settings, and errors that never leak a traceback."""

from __future__ import annotations

import logging

import pytest
from werkzeug.test import EnvironBuilder

from mock_server import Client, Settings

from ..support import DEMO, HISTORY
from ..support.mock import InProcessMock

APP_CLIENT = ("app", "app-secret")


@pytest.fixture
def embedded() -> InProcessMock:
    return InProcessMock(Settings(seed=3, entries=40, token_secret="embedded-secret-0123456789abcdef",
                                  clients=(Client(*APP_CLIENT, frozenset({"read"})),)))


def test_settings_drive_the_app(embedded):
    assert embedded.get(HISTORY, embedded.token(APP_CLIENT)).json["total"] == 40
    assert embedded.post_token({"grant_type": "client_credentials"}, DEMO).status_code == 401


def test_unexpected_errors_are_500_in_the_envelope_and_logged(embedded, monkeypatch, caplog):
    token = embedded.token(APP_CLIENT)

    def explode(*args, **kwargs):
        raise RuntimeError("boom: internal detail")

    monkeypatch.setattr("mock_server.ledger.ledger.Ledger.page_positions", explode)
    with caplog.at_level(logging.ERROR, logger="balances_mock"):
        response = embedded.get(HISTORY, token)
    assert response.status_code == 500
    assert response.content_type == "application/json"
    assert response.json == {"error": {"code": "server_error", "message": "An unexpected error occurred.",
                                       "details": {}}}
    assert b"boom" not in response.data and b"Traceback" not in response.data
    assert "boom: internal detail" in caplog.text


def test_oversized_body_is_413_in_the_envelope(embedded):
    response = embedded.post_token({"grant_type": "x" * 100_000}, APP_CLIENT)
    assert response.status_code == 413
    assert response.json["error"]["code"]


@pytest.mark.parametrize("path", ["/user/balances/", "/__console/static/console.js", "/no/such/path"])
def test_the_server_gets_each_body_whole_in_a_list(embedded, path):
    """granian sends a list's body with its head; anything else it streams, piece by piece from a
    Python thread, and a worker stopping could close the connection after the head."""
    started = []
    answer = embedded.app.wsgi_app(EnvironBuilder(path=path).get_environ(),
                                   lambda status, headers, exc_info=None: started.append(dict(headers)))
    assert type(answer) is list and len(answer) == 1
    assert int(started[-1]["Content-Length"]) == len(answer[0]) > 0
