"""The suite's options, each with its environment variable. Kept apart from the conftest,
so the `balances-mock contract` command can offer them without importing pytest."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    """One option of the suite: its flag, the environment variable that stands in for it, and
    its default (text, as on a command line)."""

    flag: str
    env: str
    help: str
    default: str | None = None
    is_flag: bool = False
    """An on/off switch: set by its flag, or by its variable set to 1/true/yes."""
    cli: str | None = None
    """Its name on ``balances-mock contract``, where pytest's own flag (``--strict``) is no obstacle."""

    @property
    def cli_flag(self) -> str:
        return self.cli or self.flag

    @property
    def dest(self) -> str:
        """The attribute a parsed flag lands in, for pytest and click alike: ``--max-requests`` -> ``max_requests``."""
        return self.flag.lstrip("-").replace("-", "_")

    @property
    def help_text(self) -> str:
        """The help line, with the default and the environment variable, so every command says the same."""
        default = f" Default: {self.default}." if self.default else ""
        return f"{self.help}{default} [env: {self.env}]"


OPTIONS = (
    Option("--base-url", "BALANCES_BASE_URL", "Base URL of the implementation under test (required)."),
    Option("--client-id", "BALANCES_CLIENT_ID", "OAuth client id with the read and write scopes."),
    Option("--client-secret", "BALANCES_CLIENT_SECRET", "Secret of --client-id."),
    Option("--token", "BALANCES_TOKEN", "A ready bearer token with read and write, instead of a client."),
    Option("--read-client-id", "BALANCES_READ_CLIENT_ID", "A client with only the read scope (enables scope tests)."),
    Option("--read-client-secret", "BALANCES_READ_CLIENT_SECRET", "Secret of --read-client-id."),
    Option("--read-token", "BALANCES_READ_TOKEN", "A ready bearer token with only the read scope."),
    Option("--max-requests", "BALANCES_MAX_REQUESTS", "Most requests the whole run may send.", "3000"),
    Option("--examples", "BALANCES_EXAMPLES", "Generated examples per operation and mode (schemathesis).", "25"),
    Option("--seed", "BALANCES_SEED", "Seed of the generated examples; the same seed sends the same requests.", "1"),
    Option("--window", "BALANCES_WINDOW", "How many newest history entries the paging and ledger rules read.",
           "300"),
    Option("--spec", "BALANCES_SPEC", "The OpenAPI document to test against (default: the bundled one)."),
    Option("--contract-strict", "BALANCES_STRICT",
           "Fail on drift too: where the server differs from the mock's decisions, not only from the docs.",
           is_flag=True, cli="--strict"),
    Option("--contract-html", "BALANCES_HTML", "Write a self-contained HTML report of the run to this file.",
           cli="--html"),
)
