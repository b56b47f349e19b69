"""Where the contract lives: ``spec/openapi.yaml`` in a checkout, ``mock_server/spec/`` in a
wheel (see ``pyproject.toml``), so an installed mock needs no checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

_HERE = Path(__file__).resolve().parent


def spec_path() -> Path:
    """The path of the OpenAPI document this package serves."""
    for candidate in (_HERE / "spec" / "openapi.yaml", _HERE.parent / "spec" / "openapi.yaml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"openapi.yaml is neither in {_HERE / 'spec'} nor in {_HERE.parent / 'spec'}")


@cache
def load_spec() -> dict[str, Any]:
    """The parsed spec, read once per process."""
    return yaml.safe_load(spec_path().read_text(encoding="utf-8"))
