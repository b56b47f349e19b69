"""The ``balances-mock`` command (also ``python -m mock_server``): one group, one module per
command beside this one."""

from __future__ import annotations

import click

from mock_server.commands.common import package_version
from mock_server.commands.contract import contract_command
from mock_server.commands.fixtures import fixtures_command
from mock_server.commands.proxy import proxy_command
from mock_server.commands.record import record_command
from mock_server.commands.sandbox import sandbox
from mock_server.commands.serve import serve_command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_version(), prog_name="balances-mock")
def main() -> None:
    """An offline twin of the Cryptofuse account-balances API.

    Start the mock with `balances-mock serve`, then get a token with the demo client:

    \b
      curl -u demo:demo-secret -d grant_type=client_credentials http://127.0.0.1:8000/o/token/
    """


for command in (serve_command, fixtures_command, record_command, contract_command, sandbox, proxy_command):
    main.add_command(command)
