"""Where the contract lives: ``spec/openapi.yaml`` in a checkout, ``mock_server/spec/`` in a
wheel (see ``pyproject.toml``), so an installed mock needs no checkout."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Documented:
    """A documented response: its examples (name, body) and its headers' example values."""

    examples: tuple[tuple[str, Any], ...]
    headers: dict[str, str]

    @property
    def body(self) -> Any:
        return self.examples[0][1] if self.examples else None


def documented_responses(spec: dict[str, Any]) -> dict[tuple[str, str], dict[int, Documented]]:
    """(path, method) -> status -> Documented, ``$ref``s resolved."""
    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            section, name = node["$ref"].split("/")[-2:]
            node = spec["components"][section][name]
        return node

    found: dict[tuple[str, str], dict[int, Documented]] = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            statuses = found.setdefault((path, method), {})
            for status, response in operation["responses"].items():
                response = resolve(response)
                examples = tuple((name, example["value"])
                                 for media in response.get("content", {}).values()
                                 for name, example in media.get("examples", {}).items())
                headers = {name: str(resolve(header).get("example", ""))
                           for name, header in response.get("headers", {}).items()}
                statuses[int(status)] = Documented(examples, headers)
    return found
