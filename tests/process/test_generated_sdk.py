"""An SDK generated from the spec by openapi-python-client, as integrators generate theirs,
works against the mock with no casts and no generator warnings.

Generated once per session into a temporary folder (about half a second). Beside it goes a
small module of integrator code: mypy --strict checks it, then the tests run it against the
session's real mock server, so the code the type checker accepts is the code that works.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from ..support import SPEC_PATH
from ..support.docs import MOCK_URL, python_block

pytestmark = pytest.mark.slow

SPEC = SPEC_PATH
PACKAGE = "balances_sdk_under_test"

INTEGRATOR_CODE = '''\
"""Integrator code, typed as the generated SDK allows, with no cast."""

from __future__ import annotations

import httpx

from PACKAGE import AuthenticatedClient, Client
from PACKAGE.api.account_balances import get_account_balances, get_balance_history
from PACKAGE.api.authentication import obtain_token
from PACKAGE.models import Balances, ErrorEnvelope, HistoryPage, TokenRequest, TokenRequestGrantType, TokenResponse


def token(base_url: str, client_id: str, secret: str, scope: str | None = None) -> str:
    """A bearer token; the client authenticated with HTTP Basic, through a plain Client."""
    basic = Client(base_url, httpx_args={"auth": httpx.BasicAuth(client_id, secret)})
    body = TokenRequest(grant_type=TokenRequestGrantType.CLIENT_CREDENTIALS)
    if scope is not None:
        body.scope = scope
    answer = obtain_token.sync(client=basic, body=body)
    if not isinstance(answer, TokenResponse):
        raise RuntimeError(f"no token: {answer}")
    return answer.access_token


def balances(base_url: str, bearer: str) -> Balances | ErrorEnvelope | None:
    return get_account_balances.sync(client=AuthenticatedClient(base_url, token=bearer))


def history(base_url: str, bearer: str, currency: str, limit: int,
            offset: int = 0) -> HistoryPage | ErrorEnvelope | None:
    client = AuthenticatedClient(base_url, token=bearer)
    return get_balance_history.sync(client=client, currency=currency, limit=limit, offset=offset)
'''


@dataclass
class Generated:
    folder: Path
    printed: str
    sdk: ModuleType
    integrator: ModuleType

    def models(self) -> ModuleType:
        return importlib.import_module(f"{PACKAGE}.models")


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Iterator[Generated]:
    folder = tmp_path_factory.mktemp("sdk")
    config = folder / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatting: the code is only imported
    result = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(SPEC), "--meta", "none",
         "--output-path", str(folder / PACKAGE), "--config", str(config)],
        capture_output=True, text=True, timeout=120)
    printed = result.stdout + result.stderr
    assert result.returncode == 0, printed
    (folder / "integrator.py").write_text(INTEGRATOR_CODE.replace("PACKAGE", PACKAGE))
    sys.path.insert(0, str(folder))
    try:
        yield Generated(folder, printed, importlib.import_module(PACKAGE), importlib.import_module("integrator"))
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.split(".")[0] in (PACKAGE, "integrator")]:
            del sys.modules[name]


def test_the_generator_prints_no_warnings(generated):
    assert "warning" not in generated.printed.lower() and "error" not in generated.printed.lower(), generated.printed


def test_mypy_strict_accepts_integrator_code_without_casts(generated):
    """Above all: the token call takes a plain Client, since there is no bearer token yet."""
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--cache-dir",
                             str(generated.folder / ".mypy_cache"), "integrator.py"],
                            cwd=generated.folder, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_models_are_named_for_what_they_are(generated):
    names = set(generated.models().__all__)
    assert {"ErrorEnvelope", "ApiError", "ErrorDetails", "TokenRequestGrantType"} <= names
    assert not [name for name in names if name.startswith("ErrorError")]


def test_the_generated_sdk_reads_the_mock(generated, server):
    models, use = generated.models(), generated.integrator
    bearer = use.token(server.url, "demo", "demo-secret")

    balances = use.balances(server.url, bearer)
    assert isinstance(balances, models.Balances), balances
    assert balances.statistics.total_deposits + balances.statistics.total_withdrawals == 300
    assert {"USDTERC20", "USDCERC20", "ETH"} <= set(balances.account.additional_properties)

    page = use.history(server.url, bearer, currency="ETH", limit=5, offset=2)
    assert isinstance(page, models.HistoryPage), page
    assert (page.limit, page.offset, len(page.history)) == (5, 2, 5)
    assert {entry.currency for entry in page.history} == {"ETH"}
    assert page.history[0].timestamp.tzinfo is not None  # parsed into a datetime

    bad = use.history(server.url, bearer, currency="ETH", limit=0)
    assert isinstance(bad, models.ErrorEnvelope), bad
    assert bad.error.code == "invalid_request" and "limit" in bad.error.details.additional_properties

    refused = use.balances(server.url, use.token(server.url, "demo", "demo-secret", scope="read"))
    assert isinstance(refused, models.ErrorEnvelope), refused
    assert refused.error.code == "insufficient_permissions"
    assert refused.error.details.additional_properties["granted_scopes"] == ["read"]


def test_the_documented_example_runs(generated, server):
    """The tokens page's example, as a user copies it, against the SDK generated here (its
    package named as this test names it) and the test server's address."""
    block = python_block("docs/integrators/tokens.md", "the generated SDK")
    code = block.text.replace(MOCK_URL, server.url).replace("balances_sdk", PACKAGE)
    names: dict = {}
    exec(compile(code, block.where, "exec"), names)
    page = names["page"]
    assert isinstance(page, generated.models().HistoryPage), page
    assert page.limit == 5 and {entry.currency for entry in page.history} == {"ETH"}


def test_a_refused_token_request_is_no_token(generated, server):
    with pytest.raises(RuntimeError, match="invalid_client"):
        generated.integrator.token(server.url, "demo", "wrong-secret")
