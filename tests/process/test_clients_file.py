"""--clients on the command line: extra clients are served, a bad file is a usage error."""

from __future__ import annotations

import subprocess

from ..support import BALANCES, DEMO, HISTORY
from ..support.mock import CLI, start_server


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


def test_a_bad_or_missing_clients_file_is_a_usage_error_naming_the_fault(tmp_path):
    """Each fault's message is tested in unit/test_clients_file.py; here, that serve shows it."""
    bad = tmp_path / "clients.yaml"
    bad.write_text("clients:\n  - {client_id: x, client_secret: y, scopes: [admin]}\n")
    for path, message in ((bad, "clients[0].scopes: unknown scope admin"), (tmp_path / "no.yaml", "cannot read")):
        result = subprocess.run([*CLI, "serve", "--clients", str(path)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 2
        assert message in result.stderr and "Traceback" not in result.stderr
