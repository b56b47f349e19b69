"""--clients on the command line: extra clients are served, their secrets kept out of the banner
(a bad file is a usage error: ``tests/unit/test_commands_serve.py``)."""

from __future__ import annotations

from ..support import BALANCES, DEMO, HISTORY
from ..support.mock import start_server


def test_clients_file_adds_clients_and_keeps_their_secrets_out_of_the_banner(tmp_path):
    clients = tmp_path / "clients.yaml"
    clients.write_text("clients:\n  - client_id: ci-bot\n    client_secret: s3cret-value\n    scopes: read\n")
    mock = start_server("--clients", str(clients))
    try:
        assert "s3cret-value" not in "".join(mock.output)
        token = mock.token(("ci-bot", "s3cret-value"))
        assert mock.get(HISTORY, token).status_code == 200
        assert mock.get(BALANCES, token).status_code == 403
        assert mock.token(DEMO)
    finally:
        mock.stop()
