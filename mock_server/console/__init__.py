"""The web console under ``/__console/``: a page the mock serves itself, for people who would
rather look than read. It knows nothing of the ledger: it signs in through ``POST /o/token/``
and talks to the server only through the API and the control API, like any client.

- ``app.py``: the console's own small Flask app, mounted beside the API by ``mount``;
- ``config.py``: what the page knows of the server (``ConsoleConfig``, from ``config_for``);
- ``headers.py``: the security and caching headers every console response carries;
- ``docs.py``: both specs in Swagger UI, with "Try it out" against this server;
- ``templates/`` and ``static/``: the page, its stylesheet and its scripts (no build step).

Offers ``create_console``, ``mount``, ``config_for``, ``ConsoleConfig`` and ``CONSOLE_PREFIX``.
May import: the foundation (settings, spec, errors) only; import-linter forbids the ledger,
the stores, the journal, the twin and the sandbox.
"""

from mock_server.console.app import create_console, mount
from mock_server.console.config import CONSOLE_PREFIX, ConsoleConfig, config_for

__all__ = ["CONSOLE_PREFIX", "ConsoleConfig", "config_for", "create_console", "mount"]
