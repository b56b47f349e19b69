"""No secret is written anywhere: each kind of secret is sent through each writer (the mock's
journal, access log and state file; the proxy's log lines, journal, summary and JUnit file;
record's report and output; curl reproductions), and every byte they wrote is searched for the
secret's value. One module decides what is secret (contract_tests/redaction.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from contract_tests.reproduce import curl_command
from mock_server.commands.main import main

from ..support import DEMO, HISTORY, SECRET, TOKEN, TRANSACTIONS
from ..support.mock import CLI, launch_cli, start_server

SECRETS = {  # each value unique, so a find names the secret that leaked
    "bearer": "bearer-value-0f3a",
    "proxy-authorization": "proxy-value-91cc",
    "cookie": "cookie-value-77d2",
    "set-cookie": "set-cookie-value-5e10",
    "x-api-key": "header-api-key-4b6e",
    "access_token": "query-access-token-2c8d",
    "api_key": "query-api-key-a1f9",
    "apikey": "form-apikey-3d47",
    "client_secret": "form-client-secret-e5b2",
    "password": "json-password-8a61",
    "refresh_token": "json-refresh-token-c0de",
    "Credential": "json-credential-6f5a",
}


def send_every_secret(url: str, token: str) -> None:
    """Requests carrying each secret in each place a client may put one."""
    headers = {"Authorization": f"Bearer {SECRETS['bearer']}",
               "Proxy-Authorization": f"Basic {SECRETS['proxy-authorization']}",
               "Cookie": f"session={SECRETS['cookie']}", "Set-Cookie": f"id={SECRETS['set-cookie']}",
               "X-API-Key": SECRETS["x-api-key"]}
    requests.get(f"{url}{HISTORY}", headers=headers, timeout=10,
                 params={"access_token": SECRETS["access_token"], "api_key": SECRETS["api_key"]})
    requests.get(f"{url}{HISTORY}", headers={"Authorization": f"Bearer {token}"}, timeout=10,
                 params={"ACCESS_TOKEN": SECRETS["access_token"]})
    requests.post(f"{url}{TOKEN}", timeout=10, data={"grant_type": "client_credentials", "client_id": DEMO[0],
                                                     "client_secret": SECRETS["client_secret"],
                                                     "apikey": SECRETS["apikey"]})
    requests.post(f"{url}{TRANSACTIONS}", headers={"Authorization": f"Bearer {token}"}, timeout=10,
                  json={"type": "deposit", "currency": "ETH", "amount": "1", "password": SECRETS["password"],
                        "nested": {"refresh_token": SECRETS["refresh_token"], "Credential": SECRETS["Credential"]}})


def leaked(*texts: str | bytes) -> dict[str, str]:
    """Which secrets appear in ``texts``, by kind."""
    found = {}
    for text in texts:
        data = text.encode("utf-8", "replace") if isinstance(text, str) else text
        found.update({kind: value for kind, value in SECRETS.items() if value.encode() in data})
    return found


def files_under(folder: Path) -> list[bytes]:
    return [path.read_bytes() for path in folder.rglob("*") if path.is_file()]


@pytest.fixture
def mock(tmp_path):
    server = start_server("--state", f"sqlite:///{tmp_path / 'state.db'}")
    yield server
    server.stop()


def test_the_mock_writes_no_secret_to_its_journal_access_log_or_state(mock, tmp_path):
    token = mock.token()
    send_every_secret(mock.url, token)
    journal = requests.get(f"{mock.url}/__sandbox/requests?limit=100", headers={"Authorization": f"Bearer {token}"},
                           timeout=10)
    assert journal.status_code == 200 and "[REDACTED]" in journal.text
    mock.wait_for_line(f"{TRANSACTIONS}")
    mock.stop()
    assert not leaked(journal.content, "".join(mock.output), *files_under(tmp_path))


def test_the_proxy_writes_no_secret_to_its_lines_journal_summary_or_junit(mock, tmp_path):
    junit = tmp_path / "proxy.xml"
    proxy = launch_cli([*CLI, "proxy", mock.url, "--port", "0",
                    "--junitxml", str(junit), "--annotate"])
    try:
        token = mock.token()
        send_every_secret(proxy.url, token)
        journal = requests.get(f"{proxy.url}/__proxy/requests?limit=100", timeout=10)
        assert journal.status_code == 200 and "[REDACTED]" in journal.text
    finally:
        proxy.stop()
    assert junit.exists()
    assert not leaked(journal.content, "".join(proxy.output), *files_under(tmp_path))


def test_record_writes_no_secret_to_its_report_output_or_files(mock, tmp_path):
    out = tmp_path / "recorded"
    result = CliRunner().invoke(main, ["record", mock.url, "--out", str(out), "--client-id", DEMO[0],
                                       "--client-secret", DEMO[1]])
    assert result.exit_code == 0, result.output
    refused = CliRunner().invoke(main, ["record", f"{mock.url}/?access_token={SECRETS['access_token']}",
                                        "--out", str(tmp_path / "refused"), "--token", SECRETS["bearer"]])
    assert refused.exit_code != 0
    assert not leaked(result.output, refused.output, *files_under(out))
    assert DEMO[1].encode() not in b"".join(files_under(out)) and DEMO[1] not in result.output


@pytest.mark.parametrize("kind", ["bearer", "proxy-authorization", "cookie", "x-api-key", "access_token",
                                  "client_secret", "password"])
def test_a_curl_reproduction_shows_no_secret(kind):
    value = SECRETS[kind]
    command = curl_command(
        "POST", f"http://127.0.0.1:8000{TOKEN}?access_token={value}",
        [("Authorization", f"Bearer {value}"), ("Proxy-Authorization", f"Basic {value}"),
         ("Cookie", f"a={value}"), ("X-API-Key", value)],
        f'{{"password": "{value}", "client_secret": "{value}"}}'.encode())
    assert value not in command and "[REDACTED]" in command
    form = curl_command("POST", f"http://127.0.0.1:8000{TOKEN}", [], f"client_secret={value}&apikey={value}")
    assert value not in form


def test_the_secret_that_signs_tokens_is_in_no_output(mock):
    """``--token-secret`` is configuration, never output: the banner and the log never show it."""
    assert SECRET not in "".join(mock.output)
