"""The control API holds to its contract, ``spec/sandbox.yaml``, under schemathesis, fuzzed as
the contract suite fuzzes the API (``contract_tests.fuzzing``): every phase (the spec's
examples, coverage, fuzzing), valid and invalid requests, every check schemathesis has and the
suite's envelope check, against a real server, with a bearer token of a client created for the
run (so whatever it books, moves or arms stays on an account of its own).

A well-formed request the account's state refuses is a documented 409, which schemathesis
accepts; a 400 to a request the spec allows, a 5xx or an undocumented answer fails the
operation, and pytest shows schemathesis' report of the case: the check, the answer and the
curl that reproduces it (credentials filtered).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis

from contract_tests.client import ContractClient, Credentials, TokenSource
from contract_tests.fuzzing import configured

from ..support import SANDBOX_SPEC_PATH
from ..support.mock import MockServer

EXAMPLES = 15
"""Generated per operation in the fuzzing phase (at most; an operation without parameters has
one). With the spec's examples and the coverage phase's boundary cases (about 430, most of the
run), some 530 requests."""
SEED = 409
BUDGET = 20_000


@pytest.fixture(scope="module")
def contract_client(server: MockServer) -> Iterator[ContractClient]:
    client = ContractClient(server.url, BUDGET)
    yield client
    client.session.close()


@pytest.fixture(scope="module")
def sandbox_schema(server: MockServer, contract_client: ContractClient) -> Any:
    created = requests.post(f"{server.url}/__sandbox/clients", json={}, timeout=10,
                            headers={"Authorization": f"Bearer {server.token()}"})
    assert created.status_code == 201, created.text
    client = created.json()
    tokens = TokenSource(contract_client, Credentials(client["client_id"], client["client_secret"]))
    return configured(schemathesis.openapi.from_path(SANDBOX_SPEC_PATH), server.url, tokens, SEED, EXAMPLES)


schema = schemathesis.pytest.from_fixture("sandbox_schema")


@schema.parametrize()
def test_the_control_api_conforms_to_spec_sandbox_yaml(case: Any, contract_client: ContractClient) -> None:
    case.call_and_validate(session=contract_client.session)
