"""``balances-mock fixtures``: spec-valid JSON fixtures for one account, written to a folder."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mock_server.ledger.fixtures import FixtureError, FixtureSet, check_target, export, write_atomically
from mock_server.ledger.scenarios import DEFAULT_ACCOUNT, SCENARIOS
from mock_server.settings import (
    DEFAULT_SCENARIO,
    DEFAULT_SEED,
)
from mock_server.spec import load_spec


@click.command("fixtures")
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
