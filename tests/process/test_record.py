"""balances-mock record against real servers: the mock itself (its recording passes the contract
and is served byte for byte), an implementation whose account does not reconcile (served as
recorded, bookings refused), anonymized and partial recordings, and every way a recording fails
with one line and nothing written."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from contract_tests.client import Credentials
from mock_server import Settings
from mock_server.commands.main import main
from mock_server.record import recorder

from ..support import BALANCES, DEMO, HISTORY, SECRET, TRANSACTIONS
from ..support.assertions import assert_envelope
from ..support.contract import CREDENTIALS, SMALL_WINDOW, WITHOUT_SCHEMA
from ..support.fixture_sets import assert_served_as_exported, tree
from ..support.mock import InProcessMock, start_server
from ..support.recordings import CLIENT, TOKEN, Upstream, generated_account, real_account

DEMO_LOGIN = ("--client-id", DEMO[0], "--client-secret", DEMO[1])


def record(url: str, out: Path, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, ["record", url, "--out", str(out), *args], env=env)


def served(folder: Path) -> InProcessMock:
    return InProcessMock(Settings(token_secret=SECRET, ledger_path=folder))


def walk(base_url: str, token: str) -> list[bytes]:
    """The balances and every page of 100, as bytes."""
    headers = {"Authorization": f"Bearer {token}"}
    bodies = [requests.get(base_url + BALANCES, headers=headers, timeout=10).content]
    offset = 0
    while True:
        response = requests.get(base_url + HISTORY, params={"limit": 100, "offset": offset}, headers=headers,
                                timeout=10)
        bodies.append(response.content)
        offset += 100
        if offset >= response.json()["total"]:
            return bodies


@pytest.fixture(scope="module")
def recording(server, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("recorded") / "demo"
    result = record(server.url, out, *DEMO_LOGIN)
    assert result.exit_code == 0, result.output
    return out


def test_the_mocks_recording_passes_the_contract_and_answers_byte_for_byte(contract, server, recording):
    report = json.loads((recording / "record-report.json").read_text())
    assert report["served_as"] == "ledger" and report["reconciles"] and report["requests"] == 6
    assert report["compared_with_upstream"] == {"pages": 3, "identical": True}
    assert assert_served_as_exported(served(recording), recording) == 1 + 3 + 5 + 2
    replay = start_server("--fixtures", str(recording), "--workers", "1")
    try:
        assert walk(replay.url, replay.token()) == walk(server.url, server.token())
        run = contract(replay.url, *CREDENTIALS, *WITHOUT_SCHEMA, *SMALL_WINDOW)
    finally:
        replay.stop()
    assert run.returncode == 0 and not run.failed and not run.report.findings, run.output


def test_an_account_that_does_not_reconcile_is_kept_and_served_as_recorded(tmp_path):
    account, odd = real_account()
    out = tmp_path / "acme"
    with Upstream(account) as upstream:
        result = record(upstream.url, out, "--client-id", CLIENT[0], "--client-secret", CLIENT[1])
        answered = dict(upstream.answered)
    assert result.exit_code == 0, result.output
    assert "does not reconcile (5 findings)" in result.stdout
    assert f"{odd.chain_currency}: balance_after of the entry at offset {odd.chain}" in result.stdout
    report = json.loads((out / "record-report.json").read_text())
    assert report["served_as"] == "recorded" and not report["reconciles"]
    assert sorted(f["kind"] for f in report["findings"]) == ["balance", "chain", "fields", "type", "type"]
    chain = next(f for f in report["findings"] if f["kind"] == "chain")
    assert (chain["currency"], chain["offset"], chain["expected"], chain["got"]) == (
        odd.chain_currency, odd.chain, odd.chain_expected, odd.chain_got)
    assert report["compared_with_upstream"] == {"pages": 3, "identical": True}

    mock = served(out)
    token = mock.token()
    assert mock.get(BALANCES, token).data == answered[BALANCES + "?"]
    for offset in (0, 100, 200):
        assert mock.get(HISTORY, token, params={"limit": 100, "offset": offset}).data == \
            answered[f"{HISTORY}?limit=100&offset={offset}"]
    refused = mock.post(TRANSACTIONS, token, json={"type": "deposit", "currency": odd.chain_currency, "amount": "1"})
    error = assert_envelope(refused, 409, "ledger_read_only")
    assert "does not reconcile" in error["message"] and len(error["details"]["reasons"]) == 5


def test_page_fields_the_mock_does_not_serve_are_reported(tmp_path):
    with Upstream(generated_account(120), page_extra={"next": None}) as upstream:
        result = record(upstream.url, tmp_path / "out", "--client-id", CLIENT[0], "--client-secret", CLIENT[1])
    assert result.exit_code == 0, result.output
    assert "not served: the history pages' 'next'" in result.stdout
    report = json.loads((tmp_path / "out" / "record-report.json").read_text())
    assert report["served_as"] == "ledger" and report["page_fields_not_served"] == ["next"]
    compared = report["compared_with_upstream"]
    assert not compared["identical"] and compared["differences"] == 2
    assert compared["difference"].startswith("GET /user/balances/history/?limit=100&offset=0: from byte")


def figures(folder: Path) -> set[str]:
    """Every amount and timestamp string of a recording's ledger.json, but zero."""
    document = json.loads((folder / "ledger.json").read_text())
    found = {v for e in document["entries"] for k, v in e.items() if k != "currency" and k != "type"}
    found |= {v for part in ("account", "sub_accounts") for v in document["balances_body"][part].values()}
    return found - {"0.000000"}


def test_anonymized_recordings_are_deterministic_hide_every_figure_and_keep_the_ledger_rules(contract, server,
                                                                                                 recording, tmp_path):
    first, again, other = tmp_path / "first", tmp_path / "again", tmp_path / "other"
    for out, seed in ((first, "7"), (again, "7"), (other, "8")):
        assert record(server.url, out, *DEMO_LOGIN, "--anonymize", seed).exit_code == 0
    assert tree(first) == tree(again) and tree(first)["ledger.json"] != tree(other)["ledger.json"]
    originals = figures(recording)
    for path, data in tree(first).items():
        text = data.decode()
        assert not [figure for figure in originals if f'"{figure}"' in text], path
    replay = start_server("--fixtures", str(first), "--workers", "1")
    try:
        run = contract(replay.url, *CREDENTIALS, *SMALL_WINDOW, "-m", "ledger")
    finally:
        replay.stop()
    assert run.returncode == 0 and run.passed == 3 and not run.skipped, run.output


def test_the_newest_entries_of_a_long_account(server, tmp_path):
    out = tmp_path / "newest"
    result = record(server.url, out, *DEMO_LOGIN, "--max-entries", "150")
    assert result.exit_code == 0 and "recorded 150 of 300 history entries" in result.stdout, result.output
    report = json.loads((out / "record-report.json").read_text())
    assert report["partial"] and report["served_as"] == "ledger" and report["pages_read"] == 2
    assert "opening" in json.loads((out / "ledger.json").read_text())
    mock = served(out)
    token = mock.token()
    assert mock.get(BALANCES, token).data == requests.get(server.url + BALANCES, timeout=10, headers={
        "Authorization": f"Bearer {server.token()}"}).content
    assert mock.get(HISTORY, token).json["total"] == 150
    assert mock.post(TRANSACTIONS, token, json={"type": "deposit", "currency": "ETH", "amount": "1"}).status_code == 201


def test_a_folder_with_contents_is_replaced_only_with_force(server, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my own work")
    refused = record(server.url, out, *DEMO_LOGIN)
    assert refused.exit_code == 1 and "--force" in refused.stderr and "Traceback" not in refused.output
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert record(server.url, out, *DEMO_LOGIN, "--force").exit_code == 0
    assert not (out / "notes.txt").exists() and (out / "ledger.json").exists()


def test_no_secret_or_token_is_written_or_printed(tmp_path):
    account, _ = real_account(120)
    with Upstream(account) as upstream:
        with_userinfo = upstream.url.replace("http://", "http://someone:url-password-123@")
        outputs = [record(with_userinfo, tmp_path / "client", env={"BALANCES_CLIENT_ID": CLIENT[0],
                                                                   "BALANCES_CLIENT_SECRET": CLIENT[1]}),
                   record(upstream.url, tmp_path / "token", "--token", TOKEN)]
    assert all(result.exit_code == 0 for result in outputs), [result.output for result in outputs]
    for out in ("client", "token"):
        for path, data in tree(tmp_path / out).items():
            for secret in (CLIENT[1], TOKEN, "url-password-123", "someone"):
                assert secret.encode() not in data, (path, secret)
    printed = "".join(result.output for result in outputs)
    assert not [secret for secret in (CLIENT[1], TOKEN, "url-password-123") if secret in printed]
    assert json.loads((tmp_path / "client" / "ledger.json").read_text())["source"]["recorded_from"] == upstream.url


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(("url", "args", "code", "message"), [
    (None, DEMO_LOGIN, 1, "cannot reach http://127.0.0.1:{port}: connection refused"),
    ("server", ("--client-id", "demo", "--client-secret", "wrong"), 1,
     "Could not obtain a token for client 'demo': POST /o/token/ answered 401"),
    ("server", ("--token", "not-a-token"), 1, "GET /user/balances/ answered 401: authentication_failed"),
    ("server", (*DEMO_LOGIN, "--max-requests", "4"), 1, "more than the budget of 4; raise it with --max-requests"),
    ("ftp://example.com", DEMO_LOGIN, 2, "'ftp://example.com' is not an http:// or https:// URL"),
    ("server", (), 2, "give --client-id and --client-secret, or --token"),
])
def test_failures_are_one_line_and_write_nothing(server, tmp_path, monkeypatch, url, args, code, message):
    for name in ("BALANCES_CLIENT_ID", "BALANCES_CLIENT_SECRET", "BALANCES_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    port = closed_port()
    target = {None: f"http://127.0.0.1:{port}", "server": server.url}.get(url, url)
    result = record(target, tmp_path / "out", *args)
    assert result.exit_code == code, result.output
    assert message.format(port=port) in result.stderr and "Traceback" not in result.output
    if code == 1:
        assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_an_account_that_moves_while_it_is_read_stops_the_recording(tmp_path):
    account, _ = real_account()

    def arrives(upstream: Upstream, offset: int) -> None:
        if offset == 100:  # a deposit arrives between the first and second page
            upstream.account.entries.insert(0, {**upstream.account.entries[0], "timestamp": "2030-01-01T00:00:00Z"})

    with Upstream(account, before_history=arrives) as upstream:
        result = record(upstream.url, tmp_path / "out", "--client-id", CLIENT[0], "--client-secret", CLIENT[1])
    assert result.exit_code == 1
    assert "the account changed while it was recorded: the history's total was 230 at offset 0 and 231 at offset 100" \
        in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_429_is_waited_out_as_retry_after_says(server, tmp_path):
    """Two 429s asking for 3 s each: the recorder waits 3 s twice (through its injected sleep,
    so the test does not), then records the account whole."""
    token = server.token()
    armed = requests.post(server.url + "/__sandbox/faults", headers={"Authorization": f"Bearer {token}"}, timeout=10,
                          json={"path": HISTORY, "status": 429, "times": 2, "retry_after": 3})
    assert armed.status_code == 201, armed.text
    waits: list[float] = []
    recorder.record(recorder.RecordOptions(server.url, Credentials(*DEMO)), tmp_path / "out", sleep=waits.append)
    assert waits == [3.0, 3.0]
    report = json.loads((tmp_path / "out" / "record-report.json").read_text())
    assert report["requests"] == 6 + 2 and report["compared_with_upstream"]["identical"]
