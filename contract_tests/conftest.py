"""Options and fixtures of the contract suite.

Run it against any implementation of the balances API::

    pytest contract_tests --base-url https://api.example --client-id ID --client-secret SECRET

Every option also reads an environment variable, so CI secrets stay off command lines.

A failed rule is a **break** when it rests on the documentation and **drift** when it rests
on a decision of the spec (``rules``): drift is reported, not failed, unless
``--contract-strict``. The hooks below turn each test's outcome into that verdict, and the
run's ``RunReport`` into the terminal summary and the ``--contract-html`` report.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from . import checks, rules, summary
from .checks import ContractViolation
from .client import BudgetExhausted, ContractClient, Credentials, TokenSource, TokenUnavailable
from .conformance import Contract
from .options import OPTIONS, Option
from .run_report import Finding, RunReport

HISTORY = "/user/balances/history/"
BALANCES = "/user/balances/"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("balances", "Cryptofuse balances API contract")
    for option in OPTIONS:
        if option.is_flag:
            group.addoption(option.flag, action="store_true", default=None, help=option.help_text)
        else:
            group.addoption(option.flag, default=None, help=option.help_text)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "ledger: reconciliation rules (balances agree with history); deselect with -m 'not ledger'")
    config.addinivalue_line("markers", "scopes: needs a read-only credential (--read-client-id or --read-token)")
    if not (config.option.help or config.option.version):
        settings = _settings(config)  # a usage error stops the run before any test
        config.stash[SETTINGS_KEY] = settings
        config.stash[REPORT_KEY] = _run_report(settings)


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
    strict: bool = False
    html: Path | None = None


SETTINGS_KEY = pytest.StashKey[ContractSettings]()
REPORT_KEY = pytest.StashKey[RunReport]()


def _value(config: pytest.Config, option: Option) -> str | None:
    value = config.getoption(option.dest)
    if value is None:
        value = os.environ.get(option.env) or option.default
    if option.is_flag:
        return "1" if value is True or str(value).lower() in ("1", "true", "yes") else None
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
        strict=bool(values["--contract-strict"]),
        html=Path(values["--contract-html"]) if values["--contract-html"] else None,
    )


def _run_report(settings: ContractSettings) -> RunReport:
    """The run's report, on the spec's documented items; a rule resting on a decision the spec
    does not list is a usage error (the spec and the suite disagree)."""
    try:
        spec = read_spec(settings.spec_path)
    except (OSError, yaml.YAMLError) as error:
        raise pytest.UsageError(f"cannot read the spec {settings.spec_path}: {error}") from None
    unknown = rules.check_decisions(spec.get("x-decisions"))
    if unknown:
        raise pytest.UsageError(f"{settings.spec_path} lists no decision {', '.join(unknown)} under x-decisions, "
                                "but rules of the suite rest on them")
    return RunReport(Contract(spec), settings.base_url, strict=settings.strict, decisions=rules.decisions(spec),
                     settings={
        "seed": settings.seed, "examples": settings.examples, "max_requests": settings.max_requests,
        "window": settings.window, "spec": str(settings.spec_path)})


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it (its wheels are): a tenth of the time."""


def read_spec(path: Path) -> dict[str, Any]:
    """The spec at ``path``, a fresh document each time (schemathesis and the report each get
    their own), read safely."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)


def bundled_spec() -> Path:
    """The contract that travels with this package: beside it in a wheel, in spec/ in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "openapi.yaml", here.parent / "spec" / "openapi.yaml"):
        if candidate.is_file():
            return candidate
    raise pytest.UsageError(f"no openapi.yaml beside {here} or in {here.parent / 'spec'}; pass --spec")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Responses from now on are credited to this rule in the coverage matrix."""
    run = item.config.stash.get(REPORT_KEY, None)
    if run is not None:
        run.current = _rule_name(item.nodeid)


def _rule_name(nodeid: str) -> str:
    return nodeid.split("contract_tests/", 1)[-1]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """The verdict of one test: a spent request budget skips (it is no contract failure), and so
    does a rule that needs a token when none was issued (the token endpoint's own rules fail for
    that, once); a broken decision is drift, which passes unless strict; anything else that
    fails is a break."""
    outcome = yield
    report = outcome.get_result()
    run = item.config.stash.get(REPORT_KEY, None)
    if run is None:
        return
    test = _rule_name(item.nodeid)
    if call.excinfo is not None and call.excinfo.errisinstance(BudgetExhausted):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {call.excinfo.value}")
    elif call.excinfo is not None and call.excinfo.errisinstance(TokenUnavailable):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0,
                           f"Skipped: no token was issued, so this rule could not run ({call.excinfo.value}); "
                           "the token endpoint's own rules say what is wrong")
    elif call.excinfo is not None and report.failed:
        findings = _findings(test, call.excinfo.value)
        for finding in findings:
            run.found(finding)
        if report.when == "call" and not run.strict and all(f.kind == rules.DRIFT for f in findings):
            report.outcome, report.longrepr = "passed", None
    if report.when == "call" or report.outcome != "passed":
        _record(run, item, report, test)


def _record(run: RunReport, item: pytest.Item, report: pytest.TestReport, test: str) -> None:
    """The test's outcome, drift, skip reason and time, into the run report (and its drift into
    JUnit, which writes an item's properties with its teardown report)."""
    drift = run.drift_of(test)
    report.contract_drift = drift  # type: ignore[attr-defined]
    for finding in drift:
        prop = ("drift", f"{finding.rule} (decision {finding.decision}): expected {finding.expected}; "
                         f"got {finding.got}")
        if prop not in item.user_properties:
            item.user_properties.append(prop)
    run.outcomes[test] = ("skipped" if report.skipped else "failed" if report.failed
                          else "drift" if drift else "passed")
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        doc = getattr(getattr(item, "obj", None), "__doc__", None)
        run.skipped.append({"test": test, "rule": (doc or "").strip().split("\n")[0],
                            "reason": reason.removeprefix("Skipped: ")})
    if report.when == "call":
        run.timings[test] = report.duration


def _findings(test: str, error: BaseException, reproduce: str | None = None) -> list[Finding]:
    """What a failed test broke. Our rules say it themselves; schemathesis' failures are sorted
    by ``rules.schemathesis_rule``; an unexpected error is a break (the suite cannot tell)."""
    if isinstance(error, ContractViolation):
        return [Finding.of(error.rule, test, error.expected, error.got, error.reproduce)]
    if isinstance(error, BaseExceptionGroup):  # schemathesis' failures, or hypothesis' distinct ones
        curl = next((line.strip() for line in str(error).splitlines() if line.strip().startswith("curl ")), reproduce)
        return [finding for inner in error.exceptions for finding in _findings(test, inner, curl)]
    if type(error).__module__.startswith("schemathesis"):
        rule = rules.schemathesis_rule(error)
        first_line = (getattr(error, "message", "") or str(error)).strip().splitlines()[:1]
        return [Finding.of(rule, test, rule.text, f"{getattr(error, 'title', '')}: {''.join(first_line)}", reproduce)]
    return [Finding("break", f"the rule ran to its end ({type(error).__name__})", "suite", test,
                    "no error", str(error)[:500])]


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    if report.when == "call" and report.passed and getattr(report, "contract_drift", None):
        return "drift", "D", "DRIFT"
    return None


@pytest.fixture(scope="session")
def settings(request: pytest.FixtureRequest) -> ContractSettings:
    return request.config.stash[SETTINGS_KEY]


@pytest.fixture(scope="session")
def spec(settings: ContractSettings) -> dict[str, Any]:
    return read_spec(settings.spec_path)


CLIENT_KEY = pytest.StashKey[ContractClient]()


@pytest.fixture(scope="session")
def run_report(request: pytest.FixtureRequest) -> RunReport:
    return request.config.stash[REPORT_KEY]


@pytest.fixture(scope="session")
def client(settings: ContractSettings, run_report: RunReport, request: pytest.FixtureRequest) -> ContractClient:
    def observe(response: Any) -> list:
        return run_report.observe(response.request.method or "GET", response.url, response.status_code,
                                  response.headers, response.content)

    contract_client = ContractClient(settings.base_url, settings.max_requests, observer=observe)
    request.config.stash[CLIENT_KEY] = contract_client
    return contract_client


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    run = config.stash.get(REPORT_KEY, None)
    if run is None:
        return
    contract_client = config.stash.get(CLIENT_KEY, None)
    if contract_client is not None:
        run.requests_sent = contract_client.sent
    summary.write(terminalreporter, run)
    settings = config.stash[SETTINGS_KEY]
    if settings.html is not None:
        from .html_report import write_html

        write_html(run.as_dict(), settings.html)
        terminalreporter.write_line(f"balances contract: HTML report written to {settings.html}")


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
    """``history(limit=, offset=, **filters)`` -> (response, page) for one page. Read, not
    judged: how a page keeps the spec's schema is the rules' that request pages themselves
    (``test_default_page_is_limit_20_offset_0``, the schema test), so one broken field fails
    them, not every rule that reads the history."""

    def page(**query: Any) -> tuple[Any, dict]:
        response = client.get(HISTORY, token, params=query, judged=False)
        checks.status_is(response, [200], rules.VALID_HISTORY_REQUEST)
        return response, response.json()

    return page


class Walk:
    """``walk(limit, window=None, **filters)`` -> (entries, totals, last response): the newest
    ``window`` entries (at most ``--window``), page by page. A short page is never taken for the
    end: the walk stops at the first one, and a page that is short but not the last, or a walk
    that collects less than ``total`` (or the window's worth), is kept in ``problems``. Only the
    paging rules raise them (``judge``): every other rule reads through the walk, and one broken
    page fails the rule about pages, not every rule that reads them."""

    def __init__(self, history: Callable[..., Any], settings: ContractSettings) -> None:
        self._history, self._settings = history, settings
        self.problems: list[ContractViolation] = []

    def __call__(self, limit: int, window: int | None = None, **filters: Any) -> tuple[list[dict], list[int], Any]:
        window = min(window or self._settings.window, self._settings.window)
        entries: list[dict] = []
        totals: list[int] = []
        offset, response = 0, None
        while len(entries) < window:
            response, page = self._history(limit=limit, offset=offset, **filters)
            self._kept(checks.page_size_is_bounded, response, page, limit, offset)
            totals.append(page["total"])
            entries += page["history"]
            if len(page["history"]) < limit:
                break
            offset += limit
        self._kept(checks.walk_reaches_total, response, min(len(entries), window), totals[0], window)
        return entries[:window], totals, response

    def _kept(self, check: Callable[..., None], *args: Any) -> None:
        try:
            check(*args)
        except ContractViolation as problem:
            self.problems.append(problem)

    def judge(self) -> None:
        """Raise the first page problem the walks of this rule met."""
        if self.problems:
            raise self.problems[0]


@pytest.fixture
def walk(history: Callable[..., Any], settings: ContractSettings) -> Walk:
    return Walk(history, settings)
