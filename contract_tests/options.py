"""The suite's options, each with its environment variable. Kept apart from the conftest,
so the `balances-mock contract` command can offer them without importing pytest."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    flag: str
    env: str
    help: str
    default: str | None = None


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
)
