"""The tools from outside Python that some tests need (chromium, redis-server, npm, podman), and what a
test does without one: on a developer's machine it is skipped and says how to get the tool;
where the tools are required it fails, since there a skip would hide a test that never ran.

``BALANCES_REQUIRE_TOOLS=1`` requires them all (``.ci/run`` sets it);
``BALANCES_REQUIRE_<TOOL>=1`` (``BROWSER``, ``REDIS``, ``NPM``, ``CONTAINERS``) requires one.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE_ALL = "BALANCES_REQUIRE_TOOLS"


def required(tool: str) -> str | None:
    """The variable that requires ``tool`` here, or None when a test may skip without it."""
    for name in (REQUIRE_ALL, f"BALANCES_REQUIRE_{tool.upper()}"):
        if os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no"):
            return name
    return None


def tool_missing(tool: str, reason: str) -> NoReturn:
    """Every skip for a missing ``tool`` goes through here: a skip with ``reason``, or a failure
    where a variable requires the tool."""
    variable = required(tool)
    if variable is not None:
        pytest.fail(f"{reason}; {variable} is set, so the tests that need {tool} must run, not skip")
    pytest.skip(reason)
