"""House rule: ruff-clean code."""

from __future__ import annotations

import subprocess
import sys

from ..support import ROOT


def test_ruff_is_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
