"""Where the contracts live: ``spec/`` in a checkout, ``mock_server/spec/`` in a wheel (see
``pyproject.toml``), so an installed mock needs no checkout. ``openapi.yaml`` is the API's;
``sandbox.yaml`` is the control API's, which refers to the API's schemas."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

_HERE = Path(__file__).resolve().parent


API_SPEC = "openapi.yaml"
SANDBOX_SPEC = "sandbox.yaml"


def spec_path(name: str = API_SPEC) -> Path:
    """The path of one of the OpenAPI documents this package serves."""
    for candidate in (_HERE / "spec" / name, _HERE.parent / "spec" / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{name} is neither in {_HERE / 'spec'} nor in {_HERE.parent / 'spec'}")


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it (its wheels are): the same document,
parsed eight times faster, which a server's start (and a container's first token) waits for."""


def load_spec(name: str = API_SPEC) -> dict[str, Any]:
    """The parsed spec, read once per process: ``load_spec()`` and ``load_spec(API_SPEC)`` are
    the same object (a cache keyed on the arguments as written would hold two, and the app
    would not know its spec for one the package ships)."""
    return _parsed(name)


@cache
def _parsed(name: str) -> dict[str, Any]:
    return yaml.load(spec_path(name).read_text(encoding="utf-8"), Loader=_SAFE_LOADER)


@dataclass(frozen=True)
class Operation:
    """An operation behind bearer tokens: where it is, the scopes it needs, what it reads."""

    operation_id: str
    path: str
    method: str
    scopes: frozenset[str]
    headers: tuple[str, ...] = ()
    """The header parameters it declares (validated like the query)."""
    body: bool = False
    """Whether it takes a JSON body."""


def secured_operations(spec: Mapping[str, Any]) -> list[Operation]:
    """The operations secured by OAuth bearer tokens, with the scopes each requires."""
    operations = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for requirement in operation.get("security", []):
                if "oauth2" in requirement:
                    headers = tuple(p["name"] for p in operation.get("parameters", []) if p["in"] == "header")
                    operations.append(Operation(operation["operationId"], path, method,
                                                frozenset(requirement["oauth2"]), headers, "requestBody" in operation))
    return operations


def oauth_scopes(spec: Mapping[str, Any]) -> dict[str, str]:
    """The scopes a client-credentials token can hold, with their descriptions."""
    return dict(spec["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["scopes"])


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
