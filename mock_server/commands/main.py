"""The ``balances-mock`` command (also ``python -m mock_server``): one group, one module per
command beside this one.

A command's module is imported only when that command runs: ``balances-mock ready``, which a
container's health check runs every few seconds, then starts in a fraction of the second that
importing every command's web stack would take, and ``serve`` answers its first token sooner.
"""

from __future__ import annotations

import importlib

import click

from mock_server.commands.common import package_version

COMMANDS = {
    "serve": "mock_server.commands.serve:serve_command",
    "fixtures": "mock_server.commands.fixtures:fixtures_command",
    "record": "mock_server.commands.record:record_command",
    "contract": "mock_server.commands.contract:contract_command",
    "sandbox": "mock_server.commands.sandbox:sandbox",
    "proxy": "mock_server.commands.proxy:proxy_command",
    "ready": "mock_server.commands.ready:ready_command",
}
"""Each command's name and where it is defined (``module:attribute``), in the order --help lists them."""


class LazyGroup(click.Group):
    """A group whose commands are imported when asked for, by name."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name].split(":")
        return getattr(importlib.import_module(module), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_version(), prog_name="balances-mock")
def main() -> None:
    """An offline twin of the Cryptofuse account-balances API.

    Start the mock with `balances-mock serve`, then get a token with the demo client:

    \b
      curl -u demo:demo-secret -d grant_type=client_credentials http://127.0.0.1:8000/o/token/
    """
