"""The documented items of every response, and what one response shows of them.

An *item* is one thing the spec documents about a response: operation x status x (a header,
or a field of the body). ``Contract.items`` lists them all, read from the spec (its
``x-required-by`` names the RFC behind a header). ``Contract.observe`` looks at one response
and says, for each item of its operation and status that the response shows (or lacks while
required), whether it is as documented. The coverage matrix is these observations, gathered
over a run; the suite fails a rule on any that is not as documented.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:balances-contract"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@dataclass(frozen=True)
class Item:
    """One documented thing about a response, e.g. ``getBalanceHistory 200 body history[].amount``."""

    operation: str
    method: str
    path: str
    status: str
    part: str
    basis: str = "spec"

    @property
    def key(self) -> str:
        return f"{self.operation} {self.status} {self.part}"


@dataclass(frozen=True)
class DocumentedHeader:
    name: str
    required: bool
    schema: Mapping[str, Any]
    basis: str


@dataclass(frozen=True)
class DocumentedResponse:
    """What the spec documents for one operation and status."""

    operation: str
    method: str
    path: str
    status: str
    headers: tuple[DocumentedHeader, ...]
    media_type: str | None
    schema_pointer: str | None
    leaves: tuple[str, ...]

    @property
    def items(self) -> list[Item]:
        return list(_items(self))

    def item(self, part: str, basis: str = "spec") -> Item:
        return Item(self.operation, self.method.upper(), self.path, self.status, part, basis)


class Contract:
    """The spec, read for checking responses. Built once per run."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        resource = Resource.from_contents(spec, default_specification=DRAFT202012)
        self._registry = Registry().with_resource(SPEC_URI, resource)
        self._resolver = self._registry.resolver()
        self._responses: dict[tuple[str, str, str], DocumentedResponse] = {}
        self._spec = dict(spec)
        self._validators: dict[str, Draft202012Validator] = {}
        self._quick: dict[str, Any] = {}
        for path, path_item in (spec.get("paths") or {}).items():
            for method in METHODS:
                operation = path_item.get(method)
                if operation is None:
                    continue
                for status, response in (operation.get("responses") or {}).items():
                    pointer = f"#/paths/{_escape(path)}/{method}/responses/{status}"
                    self._responses[(method.upper(), path, str(status))] = self._read(
                        operation.get("operationId") or f"{method.upper()} {path}", method, path, str(status),
                        pointer, response)

    @property
    def items(self) -> list[Item]:
        return [item for response in self._responses.values() for item in _items(response)]

    @property
    def responses(self) -> list[DocumentedResponse]:
        return list(self._responses.values())

    def documented(self, method: str, path: str, status: int | str) -> DocumentedResponse | None:
        """What the spec documents for this answer; a method the path lacks gets the path's
        refusals (its 405, 401, ...), never its successes: a 2xx to HEAD or OPTIONS is the spec's
        decision (``head-like-get``, ``options-metadata``), held by rules of its own."""
        response = self._responses.get((method.upper(), path, str(status)))
        if response is None and self.operation(method, path) is None and not str(status).startswith("2"):
            response = next((r for (_, p, s), r in self._responses.items() if p == path and s == str(status)), None)
        return response

    def operation(self, method: str, path: str) -> tuple[str, str] | None:
        """The operation id and spec path of a request, or None (an unknown path or method)."""
        for (m, p, _), response in self._responses.items():
            if m == method.upper() and p == path:
                return response.operation, p
        return None

    def observe(self, method: str, path: str, status: int, headers: Mapping[str, str], body: bytes
                ) -> dict[Item, str | None]:
        """For each item this response shows: None if it is as documented, else what is wrong."""
        return self._observed(method, path, status, headers, lambda: json.loads(body), everything=True)

    def problems(self, method: str, path: str, status: int, headers: Mapping[str, str],
                 document: Callable[[], Any]) -> dict[Item, str | None]:
        """Only what ``observe`` finds wrong, the body given parsed (``document`` raises ValueError
        for a body that is not JSON): a caller that checks more of the same body parses it once,
        and nothing is spent on the items that are as documented."""
        return self._observed(method, path, status, headers, document, everything=False)

    def _observed(self, method: str, path: str, status: int, headers: Mapping[str, str],
                  document: Callable[[], Any], everything: bool) -> dict[Item, str | None]:
        """``observe``'s findings; without ``everything``, only the problems."""
        response = self.documented(method, path, status)
        if response is None:
            return {}
        seen: dict[Item, str | None] = {}
        lowered = {name.lower(): value for name, value in headers.items()}
        for header in response.headers:
            value = lowered.get(header.name.lower())
            if value is None:
                if header.required:
                    seen[response.item(f"header {header.name}", header.basis)] = "missing"
                continue
            problem = _header_problem(header, value)
            if everything or problem is not None:
                seen[response.item(f"header {header.name}", header.basis)] = problem
        if response.media_type is None:
            return seen
        got_type = lowered.get("content-type", "").split(";", 1)[0].strip().lower()
        content_type = response.item("header Content-Type")
        if got_type != response.media_type:
            seen[content_type] = f"{got_type or '(none)'}, not {response.media_type}"
            for leaf in response.leaves:
                seen[response.item(f"body {leaf}")] = "no JSON body"
            return seen
        if everything:
            seen[content_type] = None
        if method.upper() == "HEAD":
            return seen  # HEAD answers carry no body (RFC 9110 §9.3.2)
        try:
            parsed = document()
        except ValueError:
            for leaf in response.leaves:
                seen[response.item(f"body {leaf}")] = "the body is not JSON"
            return seen
        problems = self._body_problems(response, parsed)
        for leaf in response.leaves:
            problem = problems.get(leaf)
            if problem is not None or (everything and _present(parsed, _tokens(leaf))):
                seen[response.item(f"body {leaf}")] = problem
        return seen

    # -- reading the spec ----------------------------------------------------------------

    def _resolve(self, node: Any) -> Any:
        return self._pointer(node, "")[0]

    def _pointer(self, node: Any, pointer: str) -> tuple[Any, str]:
        """A node with its $refs followed, and the JSON pointer it ends up at."""
        while isinstance(node, Mapping) and "$ref" in node:
            pointer = node["$ref"]
            node = self._resolver.lookup(SPEC_URI + pointer).contents
        return node, pointer

    def _read(self, operation: str, method: str, path: str, status: str, pointer: str, response: Any
              ) -> DocumentedResponse:
        response, pointer = self._pointer(response, pointer)
        headers = []
        for name, header in (response.get("headers") or {}).items():
            header = self._resolve(header)
            headers.append(DocumentedHeader(name, bool(header.get("required")),
                                            self._resolve(header.get("schema") or {}),
                                            header.get("x-required-by") or "spec"))
        media_type = schema_pointer = None
        leaves: tuple[str, ...] = ()
        for candidate, content in (response.get("content") or {}).items():
            media_type = candidate.lower()
            schema_pointer = f"{pointer}/content/{_escape(candidate)}/schema"
            leaves = tuple(self._leaves(content.get("schema") or {}, ""))
            break
        return DocumentedResponse(operation, method, path, status, tuple(headers), media_type, schema_pointer, leaves)

    def _leaves(self, schema: Any, prefix: str) -> Iterator[str]:
        """The paths of a schema's leaves: ``history[].amount``, ``account.*``, ``error.details``."""
        schema = self._resolve(schema)
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        if schema.get("type") == "array" and "items" in schema:
            yield from self._leaves(schema["items"], f"{prefix}[]")
        elif properties or isinstance(extra, Mapping):
            for name, child in properties.items():
                yield from self._leaves(child, f"{prefix}.{name}" if prefix else name)
            if isinstance(extra, Mapping):
                yield from self._leaves(extra, f"{prefix}.*" if prefix else "*")
        elif prefix:
            yield prefix

    def _body_problems(self, response: DocumentedResponse, document: Any) -> dict[str, str]:
        """Nothing for a body as documented (jsonschema-rs says so in microseconds); else each
        leaf's first problem (the jsonschema library's errors, which say where)."""
        pointer = response.schema_pointer or ""
        if pointer not in self._validators:
            self._quick[pointer] = jsonschema_rs.Draft202012Validator({**self._spec, "$ref": pointer},
                                                                       validate_formats=False)
            self._validators[pointer] = Draft202012Validator({"$ref": SPEC_URI + pointer}, registry=self._registry)
        try:
            if self._quick[pointer].is_valid(document):
                return {}
        except UnicodeEncodeError:
            pass  # a lone surrogate (JSON may escape one) is no Rust string: the jsonschema library decides
        problems: dict[str, str] = {}
        validator = self._validators[pointer]
        for error in validator.iter_errors(document):
            where = list(error.absolute_path)
            if error.validator == "required" and isinstance(error.instance, Mapping):
                for name in error.validator_value:
                    if name not in error.instance:
                        _blame(problems, response.leaves, [*where, name], "missing")
            else:
                _blame(problems, response.leaves, where, _short(error.message))
        return problems


def _items(response: DocumentedResponse) -> Iterator[Item]:
    for header in response.headers:
        yield response.item(f"header {header.name}", header.basis)
    if response.media_type is not None:
        yield response.item("header Content-Type")
        for leaf in response.leaves:
            yield response.item(f"body {leaf}")


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _tokens(leaf: str) -> list[str]:
    return [token for token in re.split(r"\.|(?=\[\])", leaf) if token]


def _matches(pattern: list[str], concrete: list[Any]) -> bool:
    """Does a concrete path (``['history', 3, 'amount']``) lie inside a leaf's pattern?"""
    for token, step in zip(pattern, concrete, strict=False):
        if token == "[]":
            if not isinstance(step, int):
                return False
        elif token != "*" and token != step:
            return False
    return True


def _blame(problems: dict[str, str], leaves: tuple[str, ...], where: list[Any], message: str) -> None:
    """An error at ``where`` is a problem of every leaf at or under it."""
    for leaf in leaves:
        if len(_tokens(leaf)) >= len(where) and _matches(_tokens(leaf), where):
            problems.setdefault(leaf, message)


def _present(document: Any, tokens: list[str]) -> bool:
    if not tokens:
        return True
    token, rest = tokens[0], tokens[1:]
    if token == "[]":
        return isinstance(document, list) and any(_present(element, rest) for element in document)
    if not isinstance(document, Mapping):
        return False
    if token == "*":
        return any(_present(value, rest) for value in document.values())
    return token in document and _present(document[token], rest)


def _header_problem(header: DocumentedHeader, value: str) -> str | None:
    schema = header.schema
    candidate: Any = value
    if schema.get("type") == "integer":
        try:
            candidate = int(value.strip())
        except ValueError:
            return f"{value!r} is not an integer"
    error = next(iter(Draft202012Validator(schema).iter_errors(candidate)), None)
    return None if error is None else _short(error.message)


def _short(message: str, limit: int = 160) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"
