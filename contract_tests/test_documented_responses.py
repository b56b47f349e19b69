"""The documented answers no request can provoke on purpose: 429, 500 and 503 depend on the
server's state. The suite asks for each with ``Prefer: code=N``, Prism's convention, which the
mock honours. A server that ignores the header answers normally and the rule is skipped with
that reason, leaving those items unchecked (the coverage summary lists them); one that
answers N must answer it as the spec documents (the client's conformance check).
"""

from __future__ import annotations

from typing import Any

import pytest

from . import checks
from .conftest import REPORT_KEY
from .paths import TOKEN_PATH

STATE_STATUSES = ("429", "500", "503")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "forced" not in metafunc.fixturenames:
        return
    run = metafunc.config.stash.get(REPORT_KEY, None)
    cases = sorted({(i.operation, i.method, i.path, i.status) for i in (run.contract.items if run else [])
                    if i.status in STATE_STATUSES})
    metafunc.parametrize("forced", cases, ids=[f"{op}-{status}" for op, _, _, status in cases])


def test_state_dependent_status_is_as_documented(forced: tuple[str, str, str, str], client, main_tokens,
                                                 settings) -> None:
    operation, method, path, status = forced
    headers = {"Prefer": f"code={status}"}
    kwargs: dict[str, Any] = {}
    if path == TOKEN_PATH:
        if not (settings.main.client_id and settings.main.client_secret):
            pytest.skip("the token endpoint's answers need --client-id and --client-secret, not only --token")
        kwargs = {"data": {"grant_type": "client_credentials"},
                  "auth": (settings.main.client_id, settings.main.client_secret)}
    else:
        headers["Authorization"] = f"Bearer {main_tokens.token()}"
    response = client.request(method, path, retry_429=False, headers=headers, **kwargs)
    if response.status_code != int(status):
        pytest.skip(f"{method} {path} with `Prefer: code={status}` answered {response.status_code}: the server "
                    f"does not honour Prism's Prefer header, so its documented {status} could not be provoked")
    checks.error_body_is_the_envelope(response, path, method)
