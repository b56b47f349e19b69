"""Helpers shared by the project's tests; nothing here is a test.

One home for each: paths, secrets and reading YAML (here), signed tokens (``tokens``), assertions on
answers (``assertions``), the mock in-process and as a process (``mock``), the contract
suite run against a URL (``contract``), the deliberately broken servers (``variants``), a
throw-away redis-server (``redis``), the guard every skip for a missing tool goes through
(``required``), the three state stores opened afresh (``stores``) and the
sandbox booked and its books checked (``sandbox``), and an account another implementation might
answer, served by such an implementation in a thread (``recordings``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "spec" / "openapi.yaml"
SANDBOX_SPEC_PATH = ROOT / "spec" / "sandbox.yaml"

TOKEN = "/o/token/"
BALANCES = "/user/balances/"
HISTORY = "/user/balances/history/"
TRANSACTIONS = "/__sandbox/transactions"
CLOCK = "/__sandbox/clock"
RESET = "/__sandbox/reset"
ACCOUNT = "/__sandbox/account"

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """``yaml.safe_load`` with libyaml's loader where PyYAML has it, as the app reads its specs:
    the same document, parsed eight times faster (the specs are read by a dozen test modules at
    import, in every xdist worker)."""
    return yaml.load(text, Loader=_LOADER)


def read_yaml(path: Path) -> Any:
    return parse_yaml(path.read_text(encoding="utf-8"))


SECRET = "test-secret-that-is-long-enough-for-hs256"
"""Signs the tokens of every mock the tests start, so a test can sign its own."""
DEMO = ("demo", "demo-secret")
DEMO_READ = ("demo-read", "demo-secret")
