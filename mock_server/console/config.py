"""What the console needs to know of the server, decided once by the app factory: a module of
its own, so the console's app and its docs blueprint both read it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass

from mock_server.settings import DEMO_CLIENTS, Client

CONSOLE_PREFIX = "/__console"


@dataclass(frozen=True)
class ConsoleConfig:
    """What the page needs to know of the server: nothing secret."""

    prefill: Client | None = None
    """The client the sign-in form shows filled in: the demo client, whose credentials are
    printed at start-up and in the documentation, when the server has it; None: an empty form (a
    clients file's secrets are never put in a page)."""
    token_path: str = "/o/token/"
    """Where the page asks for its token."""


def config_for(clients: tuple[Client, ...], token_path: str) -> ConsoleConfig:
    """The console's configuration for a server with ``clients`` and its token endpoint at ``token_path``."""
    demo = DEMO_CLIENTS[0]
    return ConsoleConfig(prefill=demo if demo in clients else None, token_path=token_path)
