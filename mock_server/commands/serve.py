"""``balances-mock serve``: the mock under a production WSGI server, from flags and environment variables."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from mock_server.app import JOURNAL_EXTENSION, create_app
from mock_server.commands.clients_file import ClientsFileError, load_clients, merge_clients
from mock_server.commands.common import package_version
from mock_server.ledger.ledger_file import LedgerFileError
from mock_server.ledger.scenarios import SCENARIOS, length_refused
from mock_server.serving.ports import Ports, PortUnavailable, claim
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


class PortsParam(click.ParamType):
    """A port (``8000``) or a range of ports (``8101-8110``)."""

    name = "PORT|FIRST-LAST"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> Ports:
        if isinstance(value, Ports):
            return value
        try:
            return Ports.parse(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="BALANCES_MOCK_HOST",
              help="Address to bind. The default serves this machine only.")
@click.option("--port", "ports", default="8000", show_default=True, type=PortsParam(), envvar="BALANCES_MOCK_PORT",
              help="Port to bind; 0 picks a free one; a range (8101-8110) takes its first port no other server "
                   "holds, as replicas sharing a host's network do.")
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
@click.option("--url-file", type=click.Path(dir_okay=False, path_type=Path), envvar="BALANCES_MOCK_URL_FILE",
              help="Write the URL served at into this file once a worker accepts (removed at exit), for "
                   "`balances-mock ready`; the container image sets it.")
@click.option("--quiet", is_flag=True, envvar="BALANCES_MOCK_QUIET", help="No access log.")
def serve_command(host: str, ports: Ports, workers: int, threads: int, seed: int, scenario: str, entries: int | None,
                  fixtures_path: Path | None, clients_file: Path | None, token_secret: str | None,
                  token_ttl: int, latency_text: str | None, error_rate: float, fault_rate: float,
                  rate_limit: str | None, rate_limit_storage: str, state_url: str | None, no_sandbox: bool,
                  journal_size: int, no_journal: bool, no_console: bool, url_file: Path | None, quiet: bool) -> None:
    """Serve the mock API under a production WSGI server until Ctrl-C or SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    refused = length_refused(scenario, entries)
    if refused:
        raise click.BadParameter(refused, param_hint="'--entries'")
    with _usage_error(ClientsFileError):
        clients = _clients(clients_file)
    with _usage_error(ValueError, "--latency"):
        latency = parse_latency(latency_text) if latency_text else None
    with _usage_error(ValueError, "--rate-limit"):
        rate_limit = check_limits(rate_limit) if rate_limit else None
    if url_file is not None and not os.access(url_file.parent, os.W_OK):
        raise click.BadParameter(f"cannot write into {url_file.parent}", param_hint="'--url-file'")
    with _usage_error(PortUnavailable):
        claimed = claim(host, ports)  # held until this process exits: no other server takes the port
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
        options = ServerOptions(host=host, port=claimed.port, workers=workers, threads=threads, access_log=not quiet,
                                url_file=url_file)
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
def _usage_error(kind: type[Exception], option: str | None = None) -> Iterator[None]:
    """A ``kind`` raised inside (a bad flag value or file) is a usage error: its one-line
    message, naming ``option`` when one flag's value is at fault, and exit status 2, no
    traceback."""
    try:
        yield
    except kind as error:
        if option is not None:
            raise click.BadParameter(str(error), param_hint=f"'{option}'") from None
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
    click.echo(f"balances-mock {package_version()} serving the Cryptofuse balances API at {url}")
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
