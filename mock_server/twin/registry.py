"""Which OAuth clients exist: those the server was started with (the demo clients and a
clients file) and those created through the control API (``POST /__sandbox/clients``).

A created client lives in the state store, so a client created on one worker or replica gets
its token from any other. It never changes once created, so each worker keeps the ones it has
met (bounded: thousands of tests create thousands of clients); an id it has not met is looked
up in the store, and an id that is not of the created form never is.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from functools import lru_cache

from mock_server.settings import Client
from mock_server.state.records import ClientRecord, ClientStore

CREATED_PREFIX = "sandbox-"
CREATED_ID = re.compile(rf"{CREATED_PREFIX}[0-9a-f]{{12}}")
"""``sandbox-`` and 12 hex digits: 2**48 ids, drawn at random (and drawn again if taken)."""
CREATED_PER_WORKER = 16_384
"""Created clients a worker remembers, the most recently used; the others are read again from the store."""

Known = Client | ClientRecord
"""A client the registry knows: configured (with its secret) or created (with its secret's hash)."""


class ClientRegistry:
    """The configured clients and, with the sandbox on, the store's created ones."""

    def __init__(self, configured: Iterable[Client], store: ClientStore | None = None) -> None:
        self._configured = {client.client_id: client for client in configured}
        self._store = store
        self._remembered = lru_cache(maxsize=CREATED_PER_WORKER)(self._look_up)
        self._unknown = hashlib.sha256(secrets.token_bytes(32)).hexdigest()

    def get(self, client_id: str) -> Known | None:
        return self._configured.get(client_id) or self.created(client_id)

    def created(self, client_id: str) -> ClientRecord | None:
        """The created client of this id, from this worker's memory or the store."""
        if self._store is None or not CREATED_ID.fullmatch(client_id):
            return None
        try:
            return self._remembered(client_id)
        except LookupError:  # not remembered, so asked again next time: it may be created meanwhile
            return None

    def authenticate(self, client_id: str, secret: str) -> Known | None:
        """The client these credentials authenticate, or None. Secrets (or their hashes) are
        compared in constant time, and compared for an unknown id too."""
        configured = self._configured.get(client_id)
        if configured is not None:
            return configured if hmac.compare_digest(secret.encode(), configured.client_secret.encode()) else None
        record = self.created(client_id)
        expected = record.secret_sha256 if record is not None else self._unknown
        if not hmac.compare_digest(secret_sha256(secret), expected) or record is None:
            return None
        return record

    def create(self, scopes: frozenset[str], scenario: str, seed: int, entries: int | None
               ) -> tuple[ClientRecord, str]:
        """A new client, kept in the store, and its secret (which nothing keeps)."""
        if self._store is None:
            raise RuntimeError("the sandbox is off: no client can be created")
        secret = secrets.token_urlsafe(24)
        while True:
            record = ClientRecord(f"{CREATED_PREFIX}{secrets.token_hex(6)}", secret_sha256(secret), scopes,
                                  scenario, seed, entries)
            if record.client_id not in self._configured and self._store.add(record):
                return record, secret

    def _look_up(self, client_id: str) -> ClientRecord:
        """Raises LookupError for an unknown id, which ``lru_cache`` does not remember."""
        record = self._store.get(client_id)  # type: ignore[union-attr]
        if record is None:
            raise LookupError(client_id)
        return record


def secret_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
