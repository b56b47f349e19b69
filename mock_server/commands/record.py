"""``balances-mock record``: a real account recorded into a fixture set the mock can serve."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from mock_server.commands.common import contract_option


@click.command("record")
@click.argument("url")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write (created); serve it with `serve --fixtures DIR`.")
@click.option("--client-id", envvar=contract_option("--client-id").env, show_envvar=True,
              help="OAuth client id with the read and write scopes.")
@click.option("--client-secret", envvar=contract_option("--client-secret").env, show_envvar=True,
              help="Secret of --client-id. Never written or printed.")
@click.option("--token", envvar=contract_option("--token").env, show_envvar=True,
              help="A ready bearer token with read and write, instead of a client. Never written or printed.")
@click.option("--max-requests", default=int(contract_option("--max-requests").default), show_default=True,
              type=click.IntRange(1), envvar=contract_option("--max-requests").env, show_envvar=True,
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
