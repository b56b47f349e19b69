"""balances-mock sandbox against a real server: what it books is what the API then shows, each
refusal is one line on stderr with exit status 1, --json is the API's own body.

The commands run in-process through click's runner (no interpreter per call) but reach the
server over HTTP, as from a shell; the URL comes from BALANCES_MOCK_URL, as a script sets it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pytest
import requests
from click.testing import CliRunner, Result

from mock_server.commands.main import main
from mock_server.serving.ports import free_port

from ..support import BALANCES, DEMO_READ, HISTORY
from ..support.mock import MockServer, start_server

START = "2025-01-15T09:30:00Z"
"""The clock of a generated account before anything is booked: its newest entry."""


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    mock = start_server()
    yield mock
    mock.stop()


@pytest.fixture(autouse=True)
def generated_account(server: MockServer) -> None:
    """Every test starts from the generated account, whatever the one before booked."""
    response = requests.post(f"{server.url}/__sandbox/reset", headers=_bearer(server), timeout=10)
    assert response.status_code == 200, response.text


def _bearer(server: MockServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token()}"}


def sandbox(server: MockServer, *args: str) -> Result:
    return CliRunner().invoke(main, ["sandbox", *args], env={"BALANCES_MOCK_URL": server.url})


def ok(server: MockServer, *args: str) -> str:
    result = sandbox(server, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def refused(result: Result) -> str:
    """The one line a refusal prints on stderr, without click's ``Error: ``."""
    assert result.exit_code == 1, result.output
    assert result.stdout == "" and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: ")
    return result.stderr.removeprefix("Error: ").rstrip("\n")


def state(server: MockServer) -> dict:
    return json.loads(ok(server, "show", "--json"))


def test_a_deposit_shows_at_once(server):
    before = Decimal(state(server)["balances"]["account"]["USDTERC20"])
    after = f"{before + 100:.6f}"
    assert ok(server, "deposit", "USDTERC20", "100") == \
        f"booked deposit 100.000000 USDTERC20 at {START}, balance {after}\n"
    shown = ok(server, "show").splitlines()
    assert shown[0] == "account demo: scenario default, seed 1, 300 entries + 1 booked, clock 2025-01-15T09:30:01Z"
    assert ["USDTERC20", after] in [line.split() for line in shown]


def test_a_withdrawal_beyond_the_balance_is_refused_and_books_nothing(server):
    available = state(server)["balances"]["account"]["USDTERC20"]
    line = refused(sandbox(server, "withdraw", "USDTERC20", "99999999"))
    assert line == (f"insufficient_funds: Insufficient funds: {available} USDTERC20 available, "
                    "99999999.000000 requested.")
    assert state(server)["sandbox"]["booked_entries"] == 0


def test_a_withdrawal_within_the_balance_is_booked(server):
    available = Decimal(state(server)["balances"]["account"]["USDTERC20"])
    assert ok(server, "withdraw", "USDTERC20", "25.5", "--timestamp", "2025-02-01T00:00:00Z") == \
        f"booked withdrawal 25.500000 USDTERC20 at 2025-02-01T00:00:00Z, balance {available - Decimal('25.5'):.6f}\n"


def test_advance_moves_the_clock_by_the_duration(server):
    assert ok(server, "advance", "1h") == "clock 2025-01-15T10:30:00Z\n"
    ok(server, "advance", "1h30m")
    clock = datetime.fromisoformat(state(server)["sandbox"]["clock"])
    assert (clock - datetime.fromisoformat(START)).total_seconds() == 3600 + 5400


def test_the_clock_never_goes_back(server):
    assert ok(server, "set-clock", "2025-02-01T00:00:00Z") == "clock 2025-02-01T00:00:00Z\n"
    line = refused(sandbox(server, "set-clock", "2025-01-20T00:00:00Z"))
    assert line == "clock_backwards: The clock only moves forward: it reads 2025-02-01T00:00:00Z, " \
                   "and 2025-01-20T00:00:00Z is before that."


def test_the_clock_stops_at_the_last_second_a_timestamp_can_show(server):
    ok(server, "set-clock", "9999-12-31T00:00:00Z")
    assert refused(sandbox(server, "advance", "1d")) == (
        "clock_limit_exceeded: The clock reads 9999-12-31T00:00:00Z; advancing it by 86400 s would pass "
        "9999-12-31T23:59:59Z, the last second it can show.")


def test_reset_returns_to_the_generated_account_byte_for_byte(server):
    base = ok(server, "show", "--json")
    ok(server, "deposit", "SOL", "7")
    ok(server, "withdraw", "USDTERC20", "1")
    ok(server, "advance", "2d")
    assert ok(server, "reset") == \
        f"reset account demo: scenario default, seed 1, 300 entries + 0 booked, clock {START}\n"
    assert ok(server, "show", "--json") == base


def test_json_is_the_apis_own_body_on_one_line(server):
    booked = ok(server, "deposit", "ETH", "0.5", "--json")
    history = requests.get(f"{server.url}{HISTORY}", params={"limit": 1}, headers=_bearer(server), timeout=10)
    assert booked.count("\n") == 1 and json.loads(booked) == history.json()["history"][0]
    assert ok(server, "reset", "--json").rstrip("\n") == \
        requests.get(f"{server.url}/__sandbox/account", headers=_bearer(server), timeout=10).text
    assert json.loads(ok(server, "advance", "90", "--json")) == {"now": "2025-01-15T09:31:30Z"}
    shown = json.loads(ok(server, "show", "--json"))
    balances = requests.get(f"{server.url}{BALANCES}", headers=_bearer(server), timeout=10)
    assert shown["balances"] == balances.json() and shown["sandbox"]["clock"] == "2025-01-15T09:31:30Z"


def test_an_idempotency_key_books_once(server):
    first = ok(server, "deposit", "USDTERC20", "100", "--idempotency-key", "order-1")
    again = ok(server, "deposit", "USDTERC20", "100.000000", "--idempotency-key", "order-1")
    assert first.startswith("booked ")
    assert again == f"already booked with idempotency key order-1, nothing new: {first.removeprefix('booked ')}"
    other = refused(sandbox(server, "deposit", "USDTERC20", "5", "--idempotency-key", "order-1"))
    assert other.startswith("idempotency_key_reused: ") and "order-1" in other
    assert state(server)["sandbox"]["booked_entries"] == 1


@pytest.mark.parametrize(("args", "line"), [
    (["deposit", "USDTERC20", "1.1234567"], "invalid_request: Invalid request body: amount. (amount: '1.1234567' "
                                            "does not match the expected format: a decimal string greater than 0"),
    (["deposit", "ETH", "1", "--timestamp", "2025-01-01T00:00:00Z"],
     "backdated_transaction: 2025-01-01T00:00:00Z is before the account's newest entry (2025-01-15T09:30:00Z): "
     "the sandbox appends, it never rewrites history."),
    (["advance", str(10**12)], "(advance: 1000000000000 is greater than the maximum of"),
    (["withdraw", "USDTERC20", "1", "--client-id", DEMO_READ[0], "--client-secret", DEMO_READ[1]],
     "insufficient_permissions: This token lacks the scope(s): write. (granted_scopes: read)"),
], ids=["amount", "timestamp-before-newest", "advance-too-far", "read-only-client"])
def test_the_servers_refusal_is_shown_as_it_comes(server, args, line):
    assert line in refused(sandbox(server, *args))


def test_bad_credentials_say_which_client_and_what_to_check(server):
    line = refused(sandbox(server, "show", "--client-secret", "wrong"))
    assert line == (f"no token for client 'demo' from {server.url}: invalid_client: Client authentication failed. "
                    "Check --client-id and --client-secret (BALANCES_MOCK_CLIENT_ID, BALANCES_MOCK_CLIENT_SECRET).")


def test_an_unreachable_server_says_where_and_how_to_start_one(server):
    url = f"http://127.0.0.1:{free_port()}"
    line = refused(sandbox(server, "deposit", "USDTERC20", "1", "--url", url))
    assert line.startswith(f"cannot reach {url} (Connection refused): start the mock with `balances-mock serve`")


def test_a_server_without_the_sandbox_says_so():
    plain = start_server("--no-sandbox", "--workers", "1")
    try:
        line = refused(sandbox(plain, "reset"))
    finally:
        plain.stop()
    assert line == (f"{plain.url} has no sandbox (/__sandbox/reset is 404): it was started with --no-sandbox "
                    "(restart it without), or it is not a balances-mock")


def test_help_lists_the_commands_in_session_order_with_examples():
    help_text = CliRunner().invoke(main, ["sandbox", "--help"]).stdout
    commands = [line.split()[0] for line in help_text.split("Commands:")[1].strip().splitlines()]
    assert commands == ["deposit", "withdraw", "advance", "set-clock", "show", "reset"]
    assert "balances-mock sandbox deposit USDTERC20 100" in help_text and "BALANCES_MOCK_URL" in help_text
