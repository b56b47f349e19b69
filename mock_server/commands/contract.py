"""``balances-mock contract``: the bundled contract suite against any implementation's base URL."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

import contract_tests
from contract_tests.options import OPTIONS as CONTRACT_OPTIONS


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


@click.command("contract", context_settings={"ignore_unknown_options": True})
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
