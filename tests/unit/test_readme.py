"""The README stays true: its quick-start test command is what CI runs."""

from __future__ import annotations

import re

from ..support import ROOT


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_quick_start_is_two_commands_and_ci_runs_the_second():
    start, test = quick_start_commands()
    assert "balances-mock serve" in start
    assert test in (ROOT / ".ci" / "run").read_text().splitlines()
