"""``balances-mock ready``: is a running server ready? Exit 0 if so, 1 if not, with one line
saying why: for a container's HEALTHCHECK, a compose ``healthcheck``, a Kubernetes exec probe or
a CI step waiting for a mock to come up."""

from __future__ import annotations

from pathlib import Path

import click

from mock_server.serving.readiness import wait_until_ready


@click.command("ready")
@click.argument("url", required=False)
@click.option("--url-file", type=click.Path(dir_okay=False, path_type=Path), envvar="BALANCES_MOCK_URL_FILE",
              help="The file `serve --url-file` writes, for when the URL is not known (a replica that took one "
                   "port of a range); the container image sets it.")
@click.option("--wait", default=0.0, show_default=True, type=click.FloatRange(0, 3600), metavar="SECONDS",
              help="Ask again until ready, for at most this long; 0 asks once.")
@click.option("--timeout", default=2.0, show_default=True, type=click.FloatRange(0.1, 60), metavar="SECONDS",
              help="How long one answer may take.")
def ready_command(url: str | None, url_file: Path | None, wait: float, timeout: float) -> None:
    """Ask the server at URL (or the one that wrote --url-file) whether it is ready: it is once it
    answers a request without a token in the API's error envelope. Exit 0 if ready, 1 if not.

    \b
      balances-mock ready http://127.0.0.1:8000 --wait 30
      docker exec CONTAINER balances-mock ready
    """
    if url is None and url_file is None:
        raise click.UsageError("give the server's URL, or the --url-file its server writes (BALANCES_MOCK_URL_FILE)")
    answer = wait_until_ready(url, url_file, wait, timeout)
    click.echo(answer.detail, err=not answer.ready)
    if not answer.ready:
        raise SystemExit(1)
