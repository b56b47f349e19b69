"""The contract suite's HTTP client against a real server: tokens renewed in time, secrets redacted."""

from __future__ import annotations

from contract_tests.client import REFRESH_MARGIN, ContractClient, Credentials, TokenSource
from contract_tests.reproduce import curl

from ..support import BALANCES, TOKEN


def test_tokens_are_renewed_before_they_expire(server):
    client = ContractClient(server.url, max_requests=10)
    now = [0.0]
    source = TokenSource(client, Credentials("demo", "demo-secret"), clock=lambda: now[0])
    first = source.token()
    assert source.token() == first and client.sent == 1
    now[0] = 3600 - REFRESH_MARGIN - 1
    assert source.token() == first and client.sent == 1
    now[0] = 3600 - REFRESH_MARGIN + 1
    second = source.token()
    assert second != first and client.sent == 2
    assert client.get(BALANCES, second).status_code == 200


def test_curl_redacts_credentials(server):
    client = ContractClient(server.url, max_requests=10)
    response = client.request("POST", TOKEN, data={"grant_type": "client_credentials", "client_id": "demo",
                                                        "client_secret": "demo-secret"})
    command = curl(response)
    assert "demo-secret" not in command and "client_secret=[REDACTED]" in command
    token = response.json()["access_token"]
    command = curl(client.get(BALANCES, token))
    assert token not in command and "Authorization: Bearer [REDACTED]" in command
