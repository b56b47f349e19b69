"""The spec passes the linter integrators run on it: Redocly CLI with its recommended ruleset,
minus the rules redocly.yaml switches off, each with its reason.

Redocly CLI is a Node package, pinned in package.json and package-lock.json; the first run
installs it into node_modules/ with `npm ci` (as .ci/run does up front).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ..support import ROOT
from ..support.required import tool_missing

REDOCLY = ROOT / "node_modules" / ".bin" / "redocly"


@pytest.fixture(scope="session")
def redocly() -> Path:
    """The pinned Redocly CLI, installed with npm on first use."""
    if not REDOCLY.is_file():
        npm = shutil.which("npm")
        if npm is None:
            tool_missing("npm", "the spec linter needs Node.js 20.19+ with npm (Debian: apt-get install nodejs npm); "
                                ".ci/run needs it too")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=ROOT, check=True, timeout=600)
    return REDOCLY


def test_redocly_lint_finds_no_error_and_no_warning(redocly):
    result = subprocess.run(
        [str(redocly), "lint", "--format=json"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"})
    reports = _json_documents(result.stdout)
    assert len(reports) == 2, result.stdout  # one per API of redocly.yaml: the balances API and the sandbox's
    for report in reports:
        problems = [f"{p['severity']} {p['ruleId']}: {p['message']} at {p['location'][0]['pointer']}"
                    for p in report["problems"]]
        assert report["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}, "\n".join(problems)
    assert result.returncode == 0, result.stderr


def _json_documents(text: str) -> list[dict]:
    """Redocly prints one JSON report per API, one after the other."""
    decoder, documents, position = json.JSONDecoder(), [], 0
    while text[position:].strip():
        document, position = decoder.raw_decode(text, len(text) - len(text[position:].lstrip()))
        documents.append(document)
    return documents


def test_every_rule_switched_off_says_why():
    lines = (ROOT / "redocly.yaml").read_text().splitlines()
    switched_off = [i for i, line in enumerate(lines) if re.fullmatch(r"\s+[\w-]+:\s*off\s*", line)]
    for i in switched_off:
        assert lines[i - 1].strip().startswith("#"), f"redocly.yaml line {i + 1} switches a rule off without a reason"
