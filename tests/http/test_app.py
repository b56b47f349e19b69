"""create_app for embedding: explicit settings, and errors that never leak a traceback."""

from __future__ import annotations

import logging

import pytest

from mock_server import Client, Settings, create_app


@pytest.fixture
def client():
    app = create_app(Settings(seed=3, entries=40, token_secret="embedded-secret-0123456789abcdef",
                              clients=(Client("app", "app-secret", frozenset({"read"})),)))
    return app.test_client()


def bearer(client, client_id="app", secret="app-secret"):
    token = client.post("/o/token/", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    return {"Authorization": f"Bearer {token.get_json()['access_token']}"}


def test_settings_drive_the_app(client):
    body = client.get("/user/balances/history/", headers=bearer(client)).get_json()
    assert body["total"] == 40
    assert client.post("/o/token/", data={"grant_type": "client_credentials"},
                       auth=("demo", "demo-secret")).status_code == 401


def test_unexpected_errors_are_500_in_the_envelope_and_logged(client, monkeypatch, caplog):
    headers = bearer(client)

    def explode(*args, **kwargs):
        raise RuntimeError("boom: internal detail")

    monkeypatch.setattr("mock_server.ledger.Ledger.page_positions", explode)
    with caplog.at_level(logging.ERROR, logger="balances_mock"):
        response = client.get("/user/balances/history/", headers=headers)
    assert response.status_code == 500
    assert response.content_type == "application/json"
    assert response.get_json() == {"error": {"code": "server_error", "message": "An unexpected error occurred.",
                                             "details": {}}}
    assert b"boom" not in response.data and b"Traceback" not in response.data
    assert "boom: internal detail" in caplog.text


def test_oversized_body_is_413_in_the_envelope(client):
    response = client.post("/o/token/", data={"grant_type": "x" * 100_000}, auth=("app", "app-secret"))
    assert response.status_code == 413
    assert response.get_json()["error"]["code"]
