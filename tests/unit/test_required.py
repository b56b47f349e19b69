"""The guard every skip for a missing tool goes through: a skip on a developer's machine, a
failure where the tools are required (CI), so that no test CI needs is skipped there unseen."""

from __future__ import annotations

import pytest

from ..support.required import REQUIRE_ALL, tool_missing


@pytest.fixture(autouse=True)
def nothing_required(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (REQUIRE_ALL, *(f"BALANCES_REQUIRE_{tool}" for tool in ("BROWSER", "REDIS", "NPM", "CONTAINERS"))):
        monkeypatch.delenv(name, raising=False)


def test_a_missing_tool_skips_with_its_reason_where_nothing_is_required():
    with pytest.raises(pytest.skip.Exception, match="redis-server is not installed"):
        tool_missing("redis", "redis-server is not installed")


@pytest.mark.parametrize("variable", [REQUIRE_ALL, "BALANCES_REQUIRE_REDIS"])
def test_a_missing_tool_fails_where_a_variable_requires_it(monkeypatch, variable):
    monkeypatch.setenv(variable, "1")
    with pytest.raises(pytest.fail.Exception, match=f"redis-server is not installed; {variable} is set"):
        tool_missing("redis", "redis-server is not installed")


@pytest.mark.parametrize("value", ["", "0", "false", "no"])
def test_a_variable_set_to_nothing_or_no_requires_nothing(monkeypatch, value):
    monkeypatch.setenv(REQUIRE_ALL, value)
    monkeypatch.setenv("BALANCES_REQUIRE_BROWSER", "1")  # another tool's variable
    with pytest.raises(pytest.skip.Exception):
        tool_missing("redis", "redis-server is not installed")
