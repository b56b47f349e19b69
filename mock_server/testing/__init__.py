"""Test support for projects that use the mock: the pytest plugin and the process launcher.

What it offers: ``pytest_plugin`` (the ``balances_mock`` fixture, registered through the
``pytest11`` entry point) and ``launcher`` (``launch`` a server command in a child process
and wait until it listens; ``ServerProcess``). The plugin loads in every pytest session of a
project that installs balances-mock, so nothing here imports Flask at import time.

May import: ``mock_server.serving.ports`` and the standard library; it runs the server as
a command, never in-process.
"""
