"""The ``balances-mock`` command (also ``python -m mock_server``)."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import click

import contract_tests
from contract_tests.options import OPTIONS as CONTRACT_OPTIONS
from mock_server.app import JOURNAL_EXTENSION, create_app
from mock_server.commands.clients_file import ClientsFileError, load_clients, merge_clients
from mock_server.commands.proxy import proxy_command
from mock_server.commands.sandbox import sandbox
from mock_server.ledger.fixtures import FixtureError, FixtureSet, check_target, export, write_atomically
from mock_server.ledger.ledger_file import LedgerFileError
from mock_server.ledger.scenarios import DEFAULT_ACCOUNT, SCENARIOS, length_refused
from mock_server.serving.server import ServerOptions, serve
from mock_server.settings import (
    DEFAULT_JOURNAL_SIZE,
    DEFAULT_SCENARIO,
    DEFAULT_SEED,
    DEFAULT_TOKEN_TTL,
    DEMO_CLIENTS,
    Chaos,
    Client,
    Settings,
)
from mock_server.spec import load_spec
from mock_server.state import StateUrlError, redacted
from mock_server.twin.faults import describe, parse_latency
from mock_server.twin.rate_limits import DOCUMENTED_LIMITS
from mock_server.twin.rate_limits import check as check_limits

MAX_ENTRIES = 10_000_000
MAX_JOURNAL_SIZE = 1_000_000


def _version() -> str:
    try:
        return version("balances-mock")
    except PackageNotFoundError:
        return "unknown"


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(_version(), prog_name="balances-mock")
def main() -> None:
    """An offline twin of the Cryptofuse account-balances API.

    Start the mock with `balances-mock serve`, then get a token with the demo client:

    \b
      curl -u demo:demo-secret -d grant_type=client_credentials http://127.0.0.1:8000/o/token/
    """


main.add_command(sandbox)
main.add_command(proxy_command)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="BALANCES_MOCK_HOST",
              help="Address to bind. The default serves this machine only.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              envvar="BALANCES_MOCK_PORT", help="Port to bind; 0 picks a free one.")
@click.option("--workers", default=ServerOptions.workers, show_default=True, type=click.IntRange(1, 64),
              envvar="BALANCES_MOCK_WORKERS", help="Worker processes.")
@click.option("--threads", default=ServerOptions.threads, show_default=True, type=click.IntRange(1, 256),
              envvar="BALANCES_MOCK_THREADS", help="Threads per worker; more overlap slow or delayed requests.")
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=int, envvar="BALANCES_MOCK_SEED",
              help="Seed of the generated ledger: the same seed gives the same data everywhere.")
@click.option("--scenario", default=DEFAULT_SCENARIO, show_default=True, type=click.Choice(list(SCENARIOS)),
              envvar="BALANCES_MOCK_SCENARIO", help="Named account to serve (see `fixtures --list`).")
@click.option("--entries", default=None, type=click.IntRange(0, MAX_ENTRIES), envvar="BALANCES_MOCK_ENTRIES",
              help="Length of the balance history.  [default: the scenario's own, 300 for default]")
@click.option("--fixtures", "fixtures_path", type=click.Path(path_type=Path), envvar="BALANCES_MOCK_FIXTURES",
              help="Serve this ledger.json (or a fixtures folder holding one) instead of a scenario.")
@click.option("--clients", "clients_file", type=click.Path(dir_okay=False, path_type=Path),
              envvar="BALANCES_MOCK_CLIENTS", help="YAML file of extra OAuth clients (see README).")
@click.option("--token-secret", envvar="BALANCES_MOCK_TOKEN_SECRET", show_envvar=True,
              help="Secret that signs tokens; give every replica the same one. Default: random.")
@click.option("--token-ttl", default=DEFAULT_TOKEN_TTL, show_default=True, type=click.IntRange(1),
              envvar="BALANCES_MOCK_TOKEN_TTL", help="Token lifetime in seconds (expires_in).")
@click.option("--latency", "latency_text", envvar="BALANCES_MOCK_LATENCY", metavar="MIN:MAX",
              help="Chaos: delay every request by MIN..MAX milliseconds.")
@click.option("--error-rate", default=0.0, type=click.FloatRange(0, 1), envvar="BALANCES_MOCK_ERROR_RATE",
              help="Chaos: share of requests answered 500 or 503 (0..1).")
@click.option("--fault-rate", default=0.0, type=click.FloatRange(0, 1), envvar="BALANCES_MOCK_FAULT_RATE",
              help="Chaos: share of responses cut off mid-body or dropped (0..1).")
@click.option("--rate-limit", envvar="BALANCES_MOCK_RATE_LIMIT", metavar="LIMITS",
              help=f"Per-client limits, e.g. {DOCUMENTED_LIMITS} (the documented ones). Default: none.")
@click.option("--rate-limit-storage", default="memory://", show_default=True, envvar="BALANCES_MOCK_RATE_LIMIT_STORAGE",
              help="Where counts live; redis://host:port shares them between replicas.")
@click.option("--state", "state_url", envvar="BALANCES_MOCK_STATE", metavar="URL",
              help="Where the sandbox keeps what it booked: sqlite:///path/state.db (kept across restarts), "
                   "redis://host:port/N (shared by replicas) or memory:// (one worker).  "
                   "[default: a SQLite file in a temporary folder, removed at exit]")
@click.option("--no-sandbox", is_flag=True, envvar="BALANCES_MOCK_NO_SANDBOX",
              help="No control API under /__sandbox/: the mock is then indistinguishable from the real API.")
@click.option("--journal-size", default=DEFAULT_JOURNAL_SIZE, show_default=True, envvar="BALANCES_MOCK_JOURNAL_SIZE",
              type=click.IntRange(1, MAX_JOURNAL_SIZE),
              help="Requests the journal (GET /__sandbox/requests) keeps, all clients together: the newest.")
@click.option("--no-journal", is_flag=True, envvar="BALANCES_MOCK_NO_JOURNAL",
              help="Record no requests (the journal's paths then answer 404). --no-sandbox implies it.")
@click.option("--no-console", is_flag=True, envvar="BALANCES_MOCK_NO_CONSOLE",
              help="No web console under /__console/. --no-sandbox implies it.")
@click.option("--quiet", is_flag=True, help="No access log.")
def serve_command(host: str, port: int, workers: int, threads: int, seed: int, scenario: str, entries: int | None,
                  fixtures_path: Path | None, clients_file: Path | None, token_secret: str | None,
                  token_ttl: int, latency_text: str | None, error_rate: float, fault_rate: float,
                  rate_limit: str | None, rate_limit_storage: str, state_url: str | None, no_sandbox: bool,
                  journal_size: int, no_journal: bool, no_console: bool, quiet: bool) -> None:
    """Serve the mock API under a production WSGI server until Ctrl-C or SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    refused = length_refused(scenario, entries)
    if refused:
        raise click.BadParameter(refused, param_hint="'--entries'")
    with _usage_error(ClientsFileError):
        clients = _clients(clients_file)
    with _usage_error(ValueError):
        latency = parse_latency(latency_text) if latency_text else None
        rate_limit = check_limits(rate_limit) if rate_limit else None
    with _state(state_url, not no_sandbox) as state:
        settings = Settings(seed=seed, scenario=scenario, entries=entries, ledger_path=fixtures_path, clients=clients,
                            token_secret=token_secret, token_ttl=token_ttl,
                            chaos=Chaos(latency, error_rate, fault_rate), rate_limit=rate_limit,
                            rate_limit_storage=rate_limit_storage, sandbox=not no_sandbox, state=state,
                            journal=not no_journal and not no_sandbox, journal_size=journal_size,
                            console=not no_console and not no_sandbox)
        workers = _workers(workers, settings)
        with _usage_error(LedgerFileError), _usage_error(StateUrlError):
            app = create_app(settings)
        options = ServerOptions(host=host, port=port, workers=workers, threads=threads, access_log=not quiet)
        journal = app.extensions[JOURNAL_EXTENSION]
        if journal is not None:
            journal.watch_workers()
        serve(app, options, lambda url: _announce(url, settings, state_url))


@contextmanager
def _state(url: str | None, sandbox: bool) -> Iterator[str]:
    """The state URL; by default a SQLite file in a temporary folder that this process removes
    when the server stops (its forked workers never do)."""
    if url is not None or not sandbox:
        yield url or "memory://"
        return
    folder = tempfile.mkdtemp(prefix="balances-mock-")
    owner = os.getpid()
    try:
        yield f"sqlite:///{Path(folder) / 'state.db'}"
    finally:
        if os.getpid() == owner:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _usage_error(kind: type[Exception]) -> Iterator[None]:
    """A ``kind`` raised inside (a bad flag value or file) is a usage error: its one-line
    message and exit status 2, no traceback."""
    try:
        yield
    except kind as error:
        raise click.UsageError(str(error)) from None


def _clients(clients_file: Path | None) -> tuple[Client, ...]:
    """The demo clients, and those of the clients file (which replace demo ones of the same id)."""
    if clients_file is None:
        return DEMO_CLIENTS
    scopes = load_spec()["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["scopes"]
    return merge_clients(DEMO_CLIENTS, load_clients(clients_file, scopes, SCENARIOS))


def _workers(asked: int, settings: Settings) -> int:
    """``asked``, or 1 when rate limits or the sandbox keep their state in memory: the state of
    one process stays right."""
    if asked > 1 and settings.rate_limit and settings.rate_limit_storage.startswith("memory"):
        click.echo("note: --rate-limit with memory storage counts inside one process, so the mock runs one "
                   "worker; use --rate-limit-storage redis://... to share counts between workers", err=True)
        return 1
    if asked > 1 and settings.sandbox and settings.state.startswith("memory"):
        click.echo("note: --state memory:// keeps the sandbox inside one process, so the mock runs one worker; "
                   "the default (a SQLite file) or redis://... share it between workers", err=True)
        return 1
    return asked


def _announce(url: str, settings: Settings, state_url: str | None) -> None:
    """The banner, once a worker accepts: where, which data, which faults, which clients."""
    click.echo(f"balances-mock {_version()} serving the Cryptofuse balances API at {url}")
    if settings.ledger_path is not None:
        click.echo(f"  data: {settings.ledger_path}")
    else:
        length = f", {settings.entries} history entries" if settings.entries is not None else ""
        click.echo(f"  data: scenario {settings.scenario}, seed {settings.seed}{length}")
    chaos = describe(settings.chaos)
    if chaos:
        click.echo(f"  chaos: {', '.join(chaos)} (seed {settings.seed})")
    if settings.rate_limit:
        click.echo(f"  rate limit per client: {settings.rate_limit} ({settings.rate_limit_storage})")
    if settings.sandbox:
        where = "a temporary SQLite file, removed at exit" if state_url is None else redacted(settings.state)
        click.echo(f"  sandbox: {url}/__sandbox/ (state: {where}); --no-sandbox turns it off")
        if settings.journal:
            click.echo(f"  journal: the last {settings.journal_size:,} requests, each client's at "
                       f"{url}/__sandbox/requests; --no-journal turns it off")
        else:
            click.echo("  journal: off")
        if settings.console:
            click.echo(f"  console: {url}/__console/ (API docs at {url}/__console/docs/); --no-console turns it off")
        else:
            click.echo("  console: off")
    else:
        click.echo("  sandbox: off")
    click.echo("  clients (client_id / secret: scopes):")
    for client in settings.clients:
        demo = client in DEMO_CLIENTS
        secret = client.client_secret if demo else "(from your clients file)"
        click.echo(f"    {client.client_id} / {secret}: {' '.join(sorted(client.scopes))}")
    click.echo(f"  try: curl -u demo:demo-secret -d grant_type=client_credentials {url}/o/token/")
    click.echo("  stop with Ctrl-C")


@main.command("fixtures")
@click.option("--scenario", default=DEFAULT_SCENARIO, show_default=True, type=click.Choice(list(SCENARIOS)),
              help="The named account to export.")
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=int, help="Seed of the data.")
@click.option("--client-id", default=DEFAULT_ACCOUNT, show_default=True,
              help="The account, as the client id the mock serves it to.")
@click.option("--limit", default=None, type=int,
              help="Page size of the exported history pages.  [default: the spec's default, 20]")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Folder to write (created).")
@click.option("--force", is_flag=True, help="Replace the contents of a non-empty --out folder.")
@click.option("--list", "list_only", is_flag=True, help="List the scenarios and exit.")
def fixtures_command(scenario: str, seed: int, client_id: str, limit: int | None, out: Path | None,
                     force: bool, list_only: bool) -> None:
    """Write spec-valid JSON fixtures for one account: the exact bodies the mock serves.

    The same arguments give byte-identical files on any machine. Serve them back with
    `balances-mock serve --fixtures DIR`.
    """
    if list_only:
        _list_scenarios()
        return
    if out is None:
        raise click.UsageError("--out DIR is required (or --list)")
    low, high, default = _limit_bounds()
    limit = default if limit is None else limit
    if not low <= limit <= high:
        raise click.UsageError(f"--limit must be between {low} and {high}, as the spec allows; got {limit}")
    fixture_set = FixtureSet(scenario, seed, client_id, limit)
    files = list(export(fixture_set))
    try:
        check_target(out, force)
        if len(files) >= 100:
            with click.progressbar(length=len(files), label=f"writing {out}", file=sys.stderr) as bar:
                written = write_atomically(iter(files), out, force, lambda file: bar.update(1))
        else:
            written = write_atomically(iter(files), out, force)
    except FixtureError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"wrote {written} files for scenario {scenario} (seed {seed}, client {client_id}) to {out}")


def _list_scenarios() -> None:
    width = max(map(len, SCENARIOS))
    for scenario in SCENARIOS.values():
        click.echo(f"{scenario.name:<{width}}  {scenario.summary}")


def _limit_bounds() -> tuple[int, int, int]:
    """The history's limit parameter as the spec defines it: minimum, maximum, default."""
    operation = load_spec()["paths"]["/user/balances/history/"]["get"]
    schema = next(p["schema"] for p in operation["parameters"] if p["name"] == "limit")
    return schema["minimum"], schema["maximum"], schema["default"]


def _contract_option(flag: str) -> Any:
    """The contract suite's option ``flag``: its environment variable and default serve both commands."""
    return next(option for option in CONTRACT_OPTIONS if option.flag == flag)


@main.command("record")
@click.argument("url")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write (created); serve it with `serve --fixtures DIR`.")
@click.option("--client-id", envvar=_contract_option("--client-id").env, show_envvar=True,
              help="OAuth client id with the read and write scopes.")
@click.option("--client-secret", envvar=_contract_option("--client-secret").env, show_envvar=True,
              help="Secret of --client-id. Never written or printed.")
@click.option("--token", envvar=_contract_option("--token").env, show_envvar=True,
              help="A ready bearer token with read and write, instead of a client. Never written or printed.")
@click.option("--max-requests", default=int(_contract_option("--max-requests").default), show_default=True,
              type=click.IntRange(1), envvar=_contract_option("--max-requests").env, show_envvar=True,
              help="Most requests the recording may send.")
@click.option("--max-entries", type=click.IntRange(1), help="Record only the newest N history entries.")
@click.option("--anonymize", metavar="SEED",
              help="Scale each currency's amounts and shift every timestamp, by factors drawn from SEED.")
@click.option("--force", is_flag=True, help="Replace the contents of a non-empty --out folder.")
@click.option("--quiet", is_flag=True, help="No progress bar (there is none when stdout is not a terminal).")
def record_command(url: str, out: Path, client_id: str | None, client_secret: str | None, token: str | None,
                   max_requests: int, max_entries: int | None, anonymize: str | None, force: bool,
                   quiet: bool) -> None:
    """Record the account behind URL (the real API, a staging server, a mock) into a fixture set.

    Reads GET /user/balances/ and every page of GET /user/balances/history/ and writes what
    `balances-mock fixtures` writes, plus record-report.json: what does not reconcile, which the
    mock then serves as recorded. Example:

    \b
      balances-mock record https://api.cryptofuse.io --out acme --anonymize 7
    """
    from contextlib import ExitStack

    from contract_tests.client import Credentials
    from mock_server.record.recorder import RecordError, RecordOptions, public_url, record

    try:
        public_url(url)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'URL'") from None
    credentials = Credentials(client_id, client_secret, token)
    if not credentials.usable:
        raise click.UsageError("give --client-id and --client-secret, or --token (or BALANCES_CLIENT_ID and "
                               "BALANCES_CLIENT_SECRET, or BALANCES_TOKEN)")
    with ExitStack() as stack:
        bar: list[Any] = []

        def progress(done: int, pages: int) -> None:
            if quiet or not sys.stdout.isatty() or pages < 2:
                return
            if not bar:
                bar.append(stack.enter_context(click.progressbar(length=pages, label="reading the history")))
            bar[0].update(done - bar[0].pos)

        options = RecordOptions(url, credentials, max_requests, max_entries, anonymize)
        try:
            report = record(options, out, force, progress)
        except RecordError as error:
            raise click.ClickException(str(error)) from None
    for line in report.lines():
        click.echo(line)


def _contract_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The contract suite's own options (contract_tests/options.py), offered here too."""
    for option in reversed(CONTRACT_OPTIONS):
        if option.flag == "--base-url":
            continue
        if option.is_flag:
            command = click.option(option.cli_flag, option.dest, is_flag=True, default=None,
                                   help=option.help_text)(command)
        else:
            command = click.option(option.cli_flag, option.dest, default=None, help=option.help_text)(command)
    return command


@main.command("contract", context_settings={"ignore_unknown_options": True})
@click.argument("base_url")
@_contract_options
@click.option("--junitxml", type=click.Path(dir_okay=False), help="Write a JUnit XML report for CI.")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def contract_command(base_url: str, junitxml: str | None, pytest_args: tuple[str, ...], **options: str | None
                     ) -> None:
    """Check the API at BASE_URL against the contract (the bundled contract_tests suite).

    Exits 0 when the implementation keeps the contract: no break. Drift, where it differs only
    from the mock's decisions, is reported and fails the run only with --strict. Any further
    arguments go to pytest, e.g. `-m "not ledger"` to skip the reconciliation rules or `-k auth`
    to run some rules.
    """
    import pytest

    suite = Path(contract_tests.__file__).resolve().parent
    args = [str(suite), "--base-url", base_url, "-p", "no:cacheprovider", "--rootdir", str(suite.parent)]
    for option in CONTRACT_OPTIONS:
        value = options.get(option.dest)
        if option.is_flag and value:
            args.append(option.flag)
        elif value is not None and not option.is_flag:
            args += [option.flag, value]
    if junitxml:
        args += ["--junitxml", junitxml]
    sys.exit(int(pytest.main([*args, *pytest_args])))
