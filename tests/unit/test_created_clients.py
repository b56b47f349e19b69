"""Created clients in-process: the registry authenticates them like configured ones and asks the
store only for what it has not met, and each gets an account named by its id on a base
generated for ``demo``, shared with every client of the same data, rebuilt from the store
when a worker has let it go."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from mock_server.ledger.bookings import Transaction, book
from mock_server.ledger.scenarios import SCENARIOS, build_ledger
from mock_server.settings import DEMO_CLIENTS, Settings
from mock_server.state.memory import MemoryClients, MemoryStore
from mock_server.state.records import ClientRecord
from mock_server.twin import accounts as accounts_module
from mock_server.twin.accounts import Accounts
from mock_server.twin.registry import ClientRegistry

from ..support import SANDBOX_SPEC_PATH, read_yaml

BOTH = frozenset({"read", "write"})


class CountingClients(MemoryClients):
    """A memory client store that counts lookups and can refuse the next ``taken`` ids."""

    def __init__(self, taken: int = 0) -> None:
        super().__init__()
        self.lookups: list[str] = []
        self.taken = taken

    def get(self, client_id: str) -> ClientRecord | None:
        self.lookups.append(client_id)
        return super().get(client_id)

    def add(self, record: ClientRecord) -> bool:
        if self.taken:
            self.taken -= 1
            return False
        return super().add(record)


def test_the_scenarios_a_client_may_ask_for_are_the_servers():
    spec = read_yaml(SANDBOX_SPEC_PATH)
    assert spec["components"]["schemas"]["ClientRequest"]["properties"]["scenario"]["enum"] == list(SCENARIOS)


def test_a_created_client_is_authenticated_by_its_secrets_hash_only():
    store = CountingClients()
    registry = ClientRegistry(DEMO_CLIENTS, store)
    record, secret = registry.create(frozenset({"read"}), "whale", 7, None)
    assert re.fullmatch(r"sandbox-[0-9a-f]{12}", record.client_id)
    assert record.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps(store.get(record.client_id).to_json())
    assert registry.authenticate(record.client_id, secret) == record
    assert registry.authenticate(record.client_id, record.secret_sha256) is None
    assert registry.authenticate(record.client_id, secret + "x") is None
    assert registry.authenticate("demo", "demo-secret") == DEMO_CLIENTS[0]
    assert registry.authenticate("demo", secret) is None


def test_an_unknown_id_is_asked_again_a_known_one_once_and_another_form_never():
    store = CountingClients()
    registry = ClientRegistry(DEMO_CLIENTS, store)
    elsewhere = ClientRegistry(DEMO_CLIENTS, store)  # another worker on the same state
    record, _ = elsewhere.create(BOTH, "default", 1, None)
    missing = "sandbox-000000000000"
    assert [registry.get(missing), registry.get(missing)] == [None, None]
    assert [registry.get(record.client_id) for _ in range(3)] == [record] * 3
    assert store.lookups == [missing, missing, record.client_id]
    for never in ("demo", "sandbox-", "sandbox-0123", "SANDBOX-000000000000", "sandbox-00000000000g", "x" * 300):
        registry.get(never)
    assert store.lookups == [missing, missing, record.client_id]
    assert registry.get("demo-read") == DEMO_CLIENTS[1]


def test_a_taken_id_is_drawn_again():
    store = CountingClients(taken=2)
    record, secret = ClientRegistry(DEMO_CLIENTS, store).create(BOTH, "default", 1, None)
    assert store.get(record.client_id) == record


def test_without_the_sandbox_no_client_is_created_or_looked_up():
    registry = ClientRegistry(DEMO_CLIENTS)
    assert registry.get("sandbox-0123456789ab") is None
    with pytest.raises(RuntimeError, match="sandbox is off"):
        registry.create(BOTH, "default", 1, None)


def created_accounts(store: MemoryStore, settings: Settings | None = None) -> tuple[Accounts, ClientRegistry]:
    settings = settings or Settings()
    registry = ClientRegistry(settings.clients, store.clients)
    return Accounts(settings, store, registry.created), registry


def test_a_created_account_is_named_by_its_client_on_a_base_generated_for_demo():
    store = MemoryStore()
    accounts, registry = created_accounts(store)
    record, _ = registry.create(BOTH, "default", 1, None)
    whale, _ = registry.create(BOTH, "whale", 7, None)
    account = accounts.of(record.client_id)
    assert account.name == record.client_id and account.key.startswith(f"{record.client_id}@")
    assert account.base is accounts.of("demo").base  # the server's own account of the same data
    assert accounts.of(whale.client_id).base.balances() == build_ledger("whale", 7, "demo").balances()
    assert accounts.view(whale.client_id).balances_json != accounts.view("demo").balances_json
    with pytest.raises(KeyError):
        accounts.of("sandbox-000000000000")


def test_created_clients_of_the_same_data_share_a_base_and_their_state_is_their_own():
    store = MemoryStore()
    accounts, registry = created_accounts(store, Settings(clients=()))
    one, other = (registry.create(BOTH, "paging", 2, None)[0] for _ in range(2))
    assert accounts.of(one.client_id).base is accounts.of(other.client_id).base
    accounts.update(one.client_id, book(Transaction("deposit", "USDTERC20", 1_000_000)))
    assert accounts.view(one.client_id).tail.booked == 1
    assert accounts.view(other.client_id).tail.booked == 0


def test_a_worker_keeps_a_bounded_number_of_created_accounts_and_rebuilds_the_others(monkeypatch):
    monkeypatch.setattr(accounts_module, "CREATED_ACCOUNTS_PER_WORKER", 2)
    store = MemoryStore()
    accounts, registry = created_accounts(store, Settings(clients=()))
    first, *others = (registry.create(BOTH, "default", 1, None)[0] for _ in range(4))
    accounts.update(first.client_id, book(Transaction("deposit", "SOL", 5_000_000)))
    booked = accounts.view(first.client_id)
    for record in others:  # the first is dropped from this worker's memory
        accounts.view(record.client_id)
    again = accounts.view(first.client_id)
    assert again is not booked and again.rows == booked.rows and again.balances_json == booked.balances_json
    assert accounts.of(first.client_id).base is accounts.of(others[0].client_id).base
