"""What the control API's "Testing" operations keep in the state store, beside the accounts:
clients created with ``POST /__sandbox/clients`` and faults armed with ``POST
/__sandbox/faults``. Both must be known to every worker and replica that shares the state: a
client created on one worker gets its token from another; a fault armed on one fails the
next request whichever worker answers it.

Like the accounts' part, these stores know nothing of HTTP, ledgers or the spec: the control
API checks what it keeps, the pipeline decides what a fired fault answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ClientRecord:
    """A created client as the store keeps it: never its secret, only the secret's SHA-256
    (the secret is random and long, so a fast hash is as safe as a slow one), and what its
    account is generated from."""

    client_id: str
    secret_sha256: str
    scopes: frozenset[str]
    scenario: str
    seed: int
    entries: int | None = None
    """The history's length; None: the scenario's own."""

    def to_json(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "secret_sha256": self.secret_sha256, "scopes": sorted(self.scopes),
                "scenario": self.scenario, "seed": self.seed, "entries": self.entries}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClientRecord:
        return cls(data["client_id"], data["secret_sha256"], frozenset(data["scopes"]), data["scenario"],
                   data["seed"], data["entries"])


@dataclass(frozen=True)
class Fault:
    """A fault to arm: which of a client's requests it fails (an exact path and, if given, a
    method), with which status, how many times, after how long, and the ``Retry-After`` it
    answers (None: the documented one)."""

    path: str
    method: str | None
    status: int
    times: int
    delay_ms: int = 0
    retry_after: int | None = None


@dataclass(frozen=True)
class ArmedFault:
    """A fault as the store holds it; the fields in the order the control API answers them."""

    id: int
    """Given by the store, larger for every fault armed later on the same state."""
    path: str
    method: str | None
    status: int
    times_left: int
    delay_ms: int
    retry_after: int | None = None

    @classmethod
    def of(cls, id: int, fault: Fault) -> ArmedFault:
        """``fault`` armed under ``id``, none of its times used yet."""
        return cls(id, fault.path, fault.method, fault.status, fault.times, fault.delay_ms, fault.retry_after)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "method": self.method, "status": self.status,
                "times_left": self.times_left, "delay_ms": self.delay_ms, "retry_after": self.retry_after}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArmedFault:
        retry_after = data.get("retry_after")
        return cls(int(data["id"]), data["path"], data["method"], int(data["status"]), int(data["times_left"]),
                   int(data["delay_ms"]), None if retry_after is None else int(retry_after))


class ClientStore(Protocol):
    """Created clients, by id. A client never changes once created, so readers may cache it."""

    def add(self, record: ClientRecord) -> bool:
        """Keep ``record``; False, and nothing kept, if its id is taken."""
        ...

    def get(self, client_id: str) -> ClientRecord | None:
        ...


class FaultStore(Protocol):
    """Armed faults, per client, in firing order (the order they were armed)."""

    def arm(self, client: str, fault: Fault) -> ArmedFault:
        ...

    def armed(self, client: str) -> list[ArmedFault]:
        """The client's faults still armed, in firing order."""
        ...

    def disarm(self, client: str) -> int:
        """Disarm every fault of the client; how many there were."""
        ...

    def take(self, client: str, method: str, path: str) -> ArmedFault | None:
        """The first of the client's faults that matches the request, with one of its times
        used up atomically (however many workers race, a fault armed for N requests fires N
        times), as it is after this request (``times_left`` 0: it is gone). None when none
        matches: asked on every request to the API, so that answer must be cheap."""
        ...
