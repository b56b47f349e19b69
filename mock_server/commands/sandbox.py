"""``balances-mock sandbox ...``: drive the sandbox of a running mock over HTTP.

A client like any other: a token from ``POST /o/token/`` with the client-credentials grant,
then the control API of ``spec/sandbox.yaml`` and ``GET /user/balances/``. It imports nothing
of the server, so it drives a mock in a container or on another machine just as well. The
server validates every value (amounts and timestamps are sent as typed) and its refusals are
shown as they come; the CLI only turns durations into seconds and answers into one line.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

import click
import requests

DEFAULT_URL = "http://127.0.0.1:8000"
TIMEOUT = 10.0
"""Seconds to wait for the server to connect, and again to answer."""

TOKEN = "/o/token/"
BALANCES = "/user/balances/"
CONTROL = "/__sandbox/"
TRANSACTIONS = f"{CONTROL}transactions"
CLOCK = f"{CONTROL}clock"
RESET = f"{CONTROL}reset"
ACCOUNT = f"{CONTROL}account"

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_UNITS = (86_400, 3_600, 60, 1)


def parse_duration(text: str) -> int:
    """Seconds in ``90``, ``90s``, ``15m``, ``1h``, ``2d`` or ``1h30m`` (units in that order, each
    at most once); ValueError for anything else. The server decides what is too far."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    match = _DURATION.fullmatch(text)
    if not text or match is None:
        raise ValueError(f"{text!r} is not a duration: give seconds (90) or d, h, m, s units (2d, 1h30m, 90s)")
    return sum(int(count) * unit for count, unit in zip(match.groups(), _UNITS, strict=True) if count)


class SandboxError(Exception):
    """A call that did not succeed, with the one line that says why."""


@dataclass(frozen=True)
class Answer:
    """A successful answer: its JSON body and headers."""

    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


class SandboxClient:
    """The control API of one mock, as one client. Each instance fetches one token, on first use."""

    def __init__(self, url: str, client_id: str, client_secret: str, timeout: float = TIMEOUT) -> None:
        self.url = url.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self._timeout = timeout
        self._token: str | None = None

    # -- the operations -----------------------------------------------------------------

    def book(self, type: str, currency: str, amount: str, timestamp: str | None = None,
             idempotency_key: str | None = None) -> Answer:
        body = {"type": type, "currency": currency, "amount": amount}
        if timestamp is not None:
            body["timestamp"] = timestamp
        headers = {"Idempotency-Key": idempotency_key.encode()} if idempotency_key is not None else {}
        return self._call("POST", TRANSACTIONS, body, headers)

    def move_clock(self, advance: int | None = None, set: str | None = None) -> Answer:
        return self._call("POST", CLOCK, {"advance": advance} if set is None else {"set": set})

    def reset(self) -> Answer:
        return self._call("POST", RESET)

    def account(self) -> Answer:
        return self._call("GET", ACCOUNT)

    def balances(self) -> Answer:
        return self._call("GET", BALANCES)

    # -- HTTP -----------------------------------------------------------------------------

    def token(self) -> str:
        """A bearer token for the client (every scope it has); SandboxError when refused."""
        if self._token is None:
            basic = base64.b64encode(f"{self.client_id}:{self._secret}".encode()).decode()
            response = self._send("POST", TOKEN, data={"grant_type": "client_credentials"},
                                  headers={"Authorization": f"Basic {basic}"})
            body = _json_or_none(response)
            if response.status_code == 200 and isinstance(body, dict) and isinstance(body.get("access_token"), str):
                self._token = body["access_token"]
            elif isinstance(body, dict) and isinstance(body.get("error"), str):
                raise SandboxError(self._token_refusal(body))
            elif response.status_code == 404:
                raise SandboxError(f"{self.url}{TOKEN} is 404: {self.url} is not a balances-mock (check --url)")
            else:
                raise SandboxError(_unexpected(response))
        return self._token

    def _token_refusal(self, body: Mapping[str, Any]) -> str:
        line = f"no token for client {self.client_id!r} from {self.url}: {body['error']}"
        if body.get("error_description"):
            line += f": {body['error_description']}"
        if body["error"] == "invalid_client":
            line += " Check --client-id and --client-secret (BALANCES_MOCK_CLIENT_ID, BALANCES_MOCK_CLIENT_SECRET)."
        return line

    def _call(self, method: str, path: str, body: Any = None, headers: Mapping[str, bytes] | None = None
              ) -> Answer:
        response = self._send(method, path, json=body,
                              headers={"Authorization": f"Bearer {self.token()}", **(headers or {})})
        if response.status_code == 404 and path.startswith(CONTROL):
            raise SandboxError(f"{self.url} has no sandbox ({path} is 404): it was started with --no-sandbox "
                               "(restart it without), or it is not a balances-mock")
        answer = _json_or_none(response)
        if response.ok and isinstance(answer, dict):
            return Answer(answer, response.headers)
        if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
            raise SandboxError(describe_error(answer["error"]))
        raise SandboxError(_unexpected(response))

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request; an unreachable or silent server is a SandboxError that says what to do.
        Header values go as UTF-8 (requests would refuse what Latin-1 cannot encode), so the
        server, not the CLI, says what it accepts."""
        try:
            return requests.request(method, f"{self.url}{path}", timeout=self._timeout, **kwargs)
        except requests.Timeout:
            raise SandboxError(f"{self.url} did not answer {method} {path} within {self._timeout:g} s") from None
        except requests.ConnectionError as error:
            reason = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(error))
            why = f" ({reason.group(1).strip()})" if reason else ""
            raise SandboxError(f"cannot reach {self.url}{why}: start the mock with `balances-mock serve`, "
                               "or point --url (BALANCES_MOCK_URL) at a running one") from None
        except (requests.RequestException, UnicodeError) as error:
            raise SandboxError(f"{method} {self.url}{path} failed: {error}") from None


def describe_error(error: Mapping[str, Any]) -> str:
    """The API's error envelope in one line: code, message, and the details that add to the
    message (a field's reasons, the granted scopes), leaving out those it already states."""
    message = str(error.get("message"))
    added = []
    for name, value in (error.get("details") or {}).items():
        values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        if any(v not in message for v in values):
            added.append(f"{name}: {', '.join(values)}")
    line = f"{error.get('code')}: {message}"
    return f"{line} ({'; '.join(added)})" if added else line


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _unexpected(response: requests.Response) -> str:
    text = " ".join(response.text.split())[:120] or "(no body)"
    return (f"unexpected answer from {response.request.method} {response.url}: HTTP {response.status_code}, "
            f"{text}; is it a balances-mock?")


# -- the commands ---------------------------------------------------------------------------

def _check_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not re.match(r"https?://[^/\s]", value):
        raise click.BadParameter(f"{value!r} is not an http:// or https:// URL (like {DEFAULT_URL})")
    return value


def _client_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--url, --client-id, --client-secret and --json on a command; the first three become
    ``client``, a ``SandboxClient``, and ``as_json`` says what to print."""

    @click.option("--url", default=DEFAULT_URL, show_default=True, envvar="BALANCES_MOCK_URL", show_envvar=True,
                  callback=_check_url, help="The running mock.")
    @click.option("--client-id", default="demo", show_default=True, envvar="BALANCES_MOCK_CLIENT_ID",
                  show_envvar=True, help="The client whose account to drive.")
    @click.option("--client-secret", default="demo-secret", show_default=True, envvar="BALANCES_MOCK_CLIENT_SECRET",
                  show_envvar=True, help="The client's secret.")
    @click.option("--json", "as_json", is_flag=True, help="Print the response's JSON on one line (for scripts).")
    @wraps(command)
    def wrapper(url: str, client_id: str, client_secret: str, **kwargs: Any) -> None:
        with _one_line_errors():
            command(client=SandboxClient(url, client_id, client_secret), **kwargs)

    return wrapper


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """A SandboxError is one line on stderr and exit status 1, never a traceback."""
    try:
        yield
    except SandboxError as error:
        raise click.ClickException(str(error)) from None


def _print(answer: Any, as_json: bool, human: str) -> None:
    click.echo(_one_line(answer) if as_json else human)


def _one_line(body: Any) -> str:
    """JSON on one line, keys in the server's order, for ``jq``."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


class _Duration(click.ParamType):
    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_duration(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


class _InOrder(click.Group):
    """Lists its commands in the order they were added, the order of a typical session."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group("sandbox", cls=_InOrder)
def sandbox() -> None:
    """Make money arrive in a running mock: book deposits and withdrawals, move its clock, reset it.

    Talks to the mock over HTTP (start one with `balances-mock serve`) with a client's token,
    so it changes that client's account, exactly as your code then reads it from
    /user/balances/. Each command takes --url, --client-id and --client-secret (or
    BALANCES_MOCK_URL, BALANCES_MOCK_CLIENT_ID, BALANCES_MOCK_CLIENT_SECRET; default: the demo
    client at http://127.0.0.1:8000) and --json to print the response for scripts.

    \b
    Examples:
      balances-mock sandbox deposit USDTERC20 100
      balances-mock sandbox withdraw USDTERC20 25.5 --idempotency-key payout-42
      balances-mock sandbox deposit ETH 0.5 --timestamp 2025-02-01T00:00:00Z
      balances-mock sandbox advance 1h30m
      balances-mock sandbox set-clock 2025-03-01T00:00:00Z
      balances-mock sandbox show --json | jq -r .balances.account.USDTERC20
      balances-mock sandbox reset
    """


def _transaction_parameters(command: Callable[..., Any]) -> Callable[..., Any]:
    """CURRENCY AMOUNT [--timestamp] [--idempotency-key]: what deposit and withdraw both take."""
    command = click.option("--idempotency-key", metavar="KEY",
                           help="Book at most once per KEY: the same call again answers the first booking "
                                "and books nothing.")(command)
    command = click.option("--timestamp", metavar="TIME",
                           help="When it happened, like 2025-02-01T00:00:00Z (UTC, Z); not before the newest "
                                "entry.  [default: the sandbox clock]")(command)
    return click.argument("currency")(click.argument("amount")(command))


@sandbox.command("deposit", short_help="Book a deposit:  deposit USDTERC20 100")
@_transaction_parameters
@_client_options
def deposit_command(client: SandboxClient, currency: str, amount: str, timestamp: str | None,
                    idempotency_key: str | None, as_json: bool) -> None:
    """Book a deposit of AMOUNT CURRENCY as the account's newest entry.

    AMOUNT is a decimal string like 100 or 0.5 (at most 6 decimal places); a new CURRENCY
    starts at zero.

    \b
      balances-mock sandbox deposit USDTERC20 100
    """
    _book(client, "deposit", currency, amount, timestamp, idempotency_key, as_json)


@sandbox.command("withdraw", short_help="Book a withdrawal:  withdraw USDTERC20 25.5")
@_transaction_parameters
@_client_options
def withdraw_command(client: SandboxClient, currency: str, amount: str, timestamp: str | None,
                     idempotency_key: str | None, as_json: bool) -> None:
    """Book a withdrawal of AMOUNT CURRENCY as the account's newest entry.

    More than the balance is refused (insufficient_funds) and nothing changes.

    \b
      balances-mock sandbox withdraw USDTERC20 25.5 --idempotency-key payout-42
    """
    _book(client, "withdrawal", currency, amount, timestamp, idempotency_key, as_json)


def _book(client: SandboxClient, type: str, currency: str, amount: str, timestamp: str | None,
          idempotency_key: str | None, as_json: bool) -> None:
    answer = client.book(type, currency, amount, timestamp, idempotency_key)
    entry = answer.body
    what = (f"{entry['type']} {entry['amount']} {entry['currency']} at {entry['timestamp']}, "
            f"balance {entry['balance_after']}")
    if answer.headers.get("Idempotent-Replayed") == "true":
        human = f"already booked with idempotency key {idempotency_key}, nothing new: {what}"
    else:
        human = f"booked {what}"
    _print(entry, as_json, human)


@sandbox.command("advance", short_help="Move the clock forward:  advance 1h30m")
@click.argument("duration", type=_Duration())
@_client_options
def advance_command(client: SandboxClient, duration: int, as_json: bool) -> None:
    """Move the sandbox clock forward by DURATION: 90, 90s, 15m, 1h, 2d or 1h30m.

    Entries booked without --timestamp get the clock's time. The clock never reads the wall
    clock and never goes back.
    """
    answer = client.move_clock(advance=duration).body
    _print(answer, as_json, f"clock {answer['now']}")


@sandbox.command("set-clock", short_help="Set the clock:  set-clock 2025-02-01T00:00:00Z")
@click.argument("time", metavar="TIME")
@_client_options
def set_clock_command(client: SandboxClient, time: str, as_json: bool) -> None:
    """Set the sandbox clock to TIME, like 2025-02-01T00:00:00Z (UTC, Z); never backwards."""
    answer = client.move_clock(set=time).body
    _print(answer, as_json, f"clock {answer['now']}")


@sandbox.command("show", short_help="The account's sandbox state and balances.")
@_client_options
def show_command(client: SandboxClient, as_json: bool) -> None:
    """The account: what it is built from, what the sandbox booked, the clock and the balances.

    With --json: {"sandbox": GET /__sandbox/account, "balances": GET /user/balances/}.
    """
    account = client.account().body
    balances = client.balances().body
    if as_json:
        click.echo(_one_line({"sandbox": account, "balances": balances}))
        return
    click.echo(_summary(account))
    statistics = balances.get("statistics", {})
    click.echo(f"  deposits {statistics.get('total_deposits')}, withdrawals {statistics.get('total_withdrawals')}")
    amounts = balances.get("account", {})
    width = max(map(len, amounts), default=0)
    digits = max(map(len, amounts.values()), default=0)
    for currency, amount in amounts.items():
        click.echo(f"  {currency:<{width}}  {amount:>{digits}}")


@sandbox.command("reset", short_help="Forget every booking, the clock's moves and the idempotency keys.")
@_client_options
def reset_command(client: SandboxClient, as_json: bool) -> None:
    """Return the account to its generated or loaded ledger: every booking, the clock and the
    idempotency keys go."""
    account = client.reset().body
    _print(account, as_json, f"reset {_summary(account)}")


def _summary(account: Mapping[str, Any]) -> str:
    """``account demo: scenario default, seed 1, 300 entries + 2 booked, clock 2025-01-15T09:30:02Z``"""
    if account.get("ledger_file") is not None:
        source = f"ledger {account['ledger_file']}"
    else:
        source = f"scenario {account.get('scenario')}, seed {account.get('seed')}"
    return (f"account {account.get('account')}: {source}, {account.get('base_entries')} entries + "
            f"{account.get('booked_entries')} booked, clock {account.get('clock')}")
