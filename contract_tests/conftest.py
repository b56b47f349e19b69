"""Options and fixtures of the contract suite.

Run it against any implementation of the balances API::

    pytest contract_tests --base-url https://api.example --client-id ID --client-secret SECRET

Every option also reads an environment variable, so CI secrets stay off command lines.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from . import checks
from .client import BudgetExhausted, ContractClient, Credentials, TokenSource
from .options import OPTIONS, Option

HISTORY = "/user/balances/history/"
BALANCES = "/user/balances/"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("balances", "Cryptofuse balances API contract")
    for option in OPTIONS:
        group.addoption(option.flag, default=None, help=option.help_text)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "ledger: reconciliation rules (balances agree with history); deselect with -m 'not ledger'")
    config.addinivalue_line("markers", "scopes: needs a read-only credential (--read-client-id or --read-token)")
    if not (config.option.help or config.option.version):
        config.stash[SETTINGS_KEY] = _settings(config)  # a usage error stops the run before any test


@dataclass(frozen=True)
class ContractSettings:
    base_url: str
    main: Credentials
    read: Credentials
    max_requests: int
    examples: int
    seed: int
    window: int
    spec_path: Path


SETTINGS_KEY = pytest.StashKey[ContractSettings]()


def _value(config: pytest.Config, option: Option) -> str | None:
    value = config.getoption(option.dest)
    if value is None:
        value = os.environ.get(option.env) or option.default
    return value


def _settings(config: pytest.Config) -> ContractSettings:
    values = {o.flag: _value(config, o) for o in OPTIONS}
    if not values["--base-url"]:
        raise pytest.UsageError("the contract suite needs --base-url URL (or BALANCES_BASE_URL)")
    main = Credentials(values["--client-id"], values["--client-secret"], values["--token"])
    if not main.usable:
        raise pytest.UsageError("the contract suite needs --client-id and --client-secret, or --token "
                                "(or BALANCES_CLIENT_ID / BALANCES_CLIENT_SECRET / BALANCES_TOKEN)")
    try:
        numbers = {flag: int(values[flag] or 0) for flag in ("--max-requests", "--examples", "--seed", "--window")}
    except ValueError as error:
        raise pytest.UsageError(f"a numeric option is not a number: {error}") from None
    return ContractSettings(
        base_url=values["--base-url"].rstrip("/"),
        main=main,
        read=Credentials(values["--read-client-id"], values["--read-client-secret"], values["--read-token"]),
        max_requests=numbers["--max-requests"],
        examples=max(1, numbers["--examples"]),
        seed=numbers["--seed"],
        window=max(10, numbers["--window"]),
        spec_path=Path(values["--spec"]) if values["--spec"] else bundled_spec(),
    )


def bundled_spec() -> Path:
    """The contract that travels with this package: beside it in a wheel, in spec/ in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "openapi.yaml", here.parent / "spec" / "openapi.yaml"):
        if candidate.is_file():
            return candidate
    raise pytest.UsageError(f"no openapi.yaml beside {here} or in {here.parent / 'spec'}; pass --spec")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """A spent request budget skips the remaining tests, with the reason; it is no contract failure."""
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and call.excinfo.errisinstance(BudgetExhausted):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {call.excinfo.value}")


@pytest.fixture(scope="session")
def settings(request: pytest.FixtureRequest) -> ContractSettings:
    return request.config.stash[SETTINGS_KEY]


@pytest.fixture(scope="session")
def spec(settings: ContractSettings) -> dict[str, Any]:
    return yaml.safe_load(settings.spec_path.read_text(encoding="utf-8"))


CLIENT_KEY = pytest.StashKey[ContractClient]()


@pytest.fixture(scope="session")
def client(settings: ContractSettings, request: pytest.FixtureRequest) -> ContractClient:
    contract_client = ContractClient(settings.base_url, settings.max_requests)
    request.config.stash[CLIENT_KEY] = contract_client
    return contract_client


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    contract_client = config.stash.get(CLIENT_KEY, None)
    if contract_client is not None:
        terminalreporter.write_line(f"balances contract: {contract_client.sent} requests sent to "
                                    f"{contract_client.base_url} (budget {contract_client.max_requests})")


@pytest.fixture(scope="session")
def main_tokens(client: ContractClient, settings: ContractSettings) -> TokenSource:
    return TokenSource(client, settings.main)


@pytest.fixture
def token(main_tokens: TokenSource) -> str:
    """A read-and-write token, renewed before it expires."""
    return main_tokens.token()


@pytest.fixture(scope="session")
def read_tokens(client: ContractClient, settings: ContractSettings) -> TokenSource:
    if not settings.read.usable:
        pytest.skip("scope rules need a read-only credential: pass --read-client-id and --read-client-secret, "
                    "or --read-token (BALANCES_READ_CLIENT_ID / _SECRET / BALANCES_READ_TOKEN)")
    return TokenSource(client, settings.read)


@pytest.fixture
def client_credentials(settings: ContractSettings) -> Credentials:
    if not (settings.main.client_id and settings.main.client_secret):
        pytest.skip("token endpoint rules need --client-id and --client-secret, not only --token")
    return settings.main


@pytest.fixture
def history(client: ContractClient, token: str, settings: ContractSettings) -> Callable[..., Any]:
    """``history(limit=, offset=, **filters)`` -> (response, page) for one page."""

    def page(**query: Any) -> tuple[Any, dict]:
        response = client.get(HISTORY, token, params=query)
        checks.status_is(response, [200], "a valid history request is answered with 200")
        return response, response.json()

    return page


@pytest.fixture
def walk(history: Callable[..., Any], settings: ContractSettings) -> Callable[..., Any]:
    """``walk(limit, **filters)`` -> (entries, totals, last response): the newest ``--window`` entries,
    page by page."""

    def run(limit: int, **filters: Any) -> tuple[list[dict], list[int], Any]:
        entries: list[dict] = []
        totals: list[int] = []
        offset, response = 0, None
        while len(entries) < settings.window:
            response, page = history(limit=limit, offset=offset, **filters)
            totals.append(page["total"])
            entries += page["history"]
            if len(page["history"]) < limit:
                break
            offset += limit
        return entries[: settings.window], totals, response

    return run
