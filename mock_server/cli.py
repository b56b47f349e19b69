"""The ``balances-mock`` command (also ``python -m mock_server``)."""

from __future__ import annotations

import logging
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import click

import contract_tests
from contract_tests.conftest import OPTIONS as CONTRACT_OPTIONS

from .app import create_app
from .server import ServerOptions, serve
from .settings import (
    DEFAULT_ENTRIES,
    DEFAULT_SEED,
    DEFAULT_TOKEN_TTL,
    DEMO_CLIENTS,
    ClientsFileError,
    Settings,
    load_clients,
    merge_clients,
)
from .spec import load_spec

MAX_ENTRIES = 10_000_000


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


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="BALANCES_MOCK_HOST",
              help="Address to bind. The default serves this machine only.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              envvar="BALANCES_MOCK_PORT", help="Port to bind; 0 picks a free one.")
@click.option("--workers", default=ServerOptions.workers, show_default=True, type=click.IntRange(1, 64),
              envvar="BALANCES_MOCK_WORKERS", help="Worker processes.")
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=int, envvar="BALANCES_MOCK_SEED",
              help="Seed of the generated ledger: the same seed gives the same data everywhere.")
@click.option("--entries", default=DEFAULT_ENTRIES, show_default=True,
              type=click.IntRange(0, MAX_ENTRIES), envvar="BALANCES_MOCK_ENTRIES",
              help="Length of the balance history.")
@click.option("--clients", "clients_file", type=click.Path(dir_okay=False, path_type=Path),
              envvar="BALANCES_MOCK_CLIENTS", help="YAML file of extra OAuth clients (see README).")
@click.option("--token-secret", envvar="BALANCES_MOCK_TOKEN_SECRET", show_envvar=True,
              help="Secret that signs tokens; give every replica the same one. Default: random.")
@click.option("--token-ttl", default=DEFAULT_TOKEN_TTL, show_default=True, type=click.IntRange(1),
              envvar="BALANCES_MOCK_TOKEN_TTL", help="Token lifetime in seconds (expires_in).")
@click.option("--quiet", is_flag=True, help="No access log.")
def serve_command(host: str, port: int, workers: int, seed: int, entries: int,
                  clients_file: Path | None, token_secret: str | None, token_ttl: int,
                  quiet: bool) -> None:
    """Serve the mock API under a production WSGI server until Ctrl-C or SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    clients = DEMO_CLIENTS
    if clients_file is not None:
        scopes = load_spec()["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["scopes"]
        try:
            clients = merge_clients(DEMO_CLIENTS, load_clients(clients_file, scopes))
        except ClientsFileError as error:
            raise click.UsageError(str(error)) from None
    settings = Settings(seed=seed, entries=entries, clients=clients,
                        token_secret=token_secret, token_ttl=token_ttl)
    app = create_app(settings)

    def announce(url: str) -> None:
        click.echo(f"balances-mock {_version()} serving the Cryptofuse balances API at {url}")
        click.echo(f"  ledger: seed {seed}, {entries} history entries")
        click.echo("  clients (client_id / secret: scopes):")
        for client in clients:
            demo = client in DEMO_CLIENTS
            secret = client.client_secret if demo else "(from your clients file)"
            click.echo(f"    {client.client_id} / {secret}: {' '.join(sorted(client.scopes))}")
        click.echo(f"  try: curl -u demo:demo-secret -d grant_type=client_credentials {url}/o/token/")
        click.echo("  stop with Ctrl-C")

    serve(app, ServerOptions(host=host, port=port, workers=workers, access_log=not quiet), announce)



def _contract_options(command):  # noqa: ANN001, ANN202
    """The contract suite's own options (contract_tests/conftest.py), offered here too."""
    for option in reversed(CONTRACT_OPTIONS):
        if option.flag != "--base-url":
            default = f" Default: {option.default}." if option.default else ""
            command = click.option(option.flag, default=None,
                                   help=f"{option.help}{default} [env: {option.env}]")(command)
    return command


@main.command("contract", context_settings={"ignore_unknown_options": True})
@click.argument("base_url")
@_contract_options
@click.option("--junitxml", type=click.Path(dir_okay=False), help="Write a JUnit XML report for CI.")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def contract_command(base_url: str, junitxml: str | None, pytest_args: tuple[str, ...], **options: str | None
                     ) -> None:
    """Check the API at BASE_URL against the contract (the bundled contract_tests suite).

    Exits 0 when the implementation keeps the contract. Any further arguments go to pytest,
    e.g. `-m "not ledger"` to skip the reconciliation rules or `-k auth` to run some rules.
    """
    import pytest

    suite = Path(contract_tests.__file__).resolve().parent
    args = [str(suite), "--base-url", base_url, "-p", "no:cacheprovider", "--rootdir", str(suite.parent)]
    for option in CONTRACT_OPTIONS:
        value = options.get(option.flag.lstrip("-").replace("-", "_"))
        if value is not None:
            args += [option.flag, value]
    if junitxml:
        args += ["--junitxml", junitxml]
    sys.exit(int(pytest.main([*args, *pytest_args])))
