"""Request validation, driven by the spec through openapi-core.

The spec alone says which parameters exist, their types, ranges and defaults; this module
only turns openapi-core's verdict into ``{parameter: [reasons]}``. An openapi-core
validation of a query costs about two milliseconds, ten times everything else a request does,
and its verdict depends on nothing but the operation and the raw query string, so verdicts are
memoised per (path, method, query string): a client repeating a query pays for the validation
once. A new query (the next page's offset) is judged one parameter at a time, each against an
operation that declares it alone (OpenAPI has no rule across parameters), and each
parameter's verdict is memoised too: paging pays for one parameter, not for all four.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from jsonschema.exceptions import best_match
from openapi_core import Config, OpenAPI
from openapi_core.casting.schemas.exceptions import CastError
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.media_types.exceptions import MediaTypeDeserializeError
from openapi_core.deserializing.styles.exceptions import EmptyQueryParameterValue
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.unmarshalling.request.unmarshallers import (
    V31RequestBodyUnmarshaller,
    V31RequestParametersUnmarshaller,
)
from openapi_core.validation.request.exceptions import MissingRequiredRequestBody
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from werkzeug.datastructures import Headers, ImmutableMultiDict

from mock_server.errors import ApiError
from mock_server.spec import API_SPEC, SANDBOX_SPEC, load_spec
from mock_server.twin.decoding import FORM, JSON, Undecodable, form_body, form_pairs, json_document, query_pairs

if TYPE_CHECKING:
    from mock_server.twin.request import RequestState

BODY = "body"
"""The key of body-level problems in ``RequestInvalid.details``."""


class RequestInvalid(Exception):
    """The request breaks the spec; ``details`` maps each bad parameter to its reasons."""

    def __init__(self, details: Mapping[str, list[str]]) -> None:
        super().__init__("; ".join(f"{name}: {', '.join(why)}" for name, why in details.items()))
        self.details = dict(details)


@dataclass
class _SpecRequest:
    """Just what openapi-core reads of a request. The host is the spec's own server: the
    mock answers on any address, and only the path decides the operation."""

    path: str
    method: str
    query: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = ""
    body: bytes | None = None
    host_url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(self.query), header=Headers(dict(self.headers)), cookie=ImmutableMultiDict()
        )


_CHECKED_DOCUMENTS: set[tuple[str, str]] = set()
"""Spec documents this process has checked against the OpenAPI schema already."""


def _shipped(spec: Mapping[str, Any]) -> bool:
    """Whether ``spec`` is one of the documents this package ships, as ``load_spec`` read it."""
    return any(spec is load_spec(name) for name in (API_SPEC, SANDBOX_SPEC))


def _openapi(spec: Mapping[str, Any], base_uri: str) -> OpenAPI:
    """openapi-core's view of ``spec``. By default openapi-core checks the whole document
    against the OpenAPI schema first: a third of the CPU a server spends starting. The documents
    this package ships are checked by its own tests (``tests/unit/test_spec.py`` and
    ``test_sandbox_spec.py``) before they ship, so they are not checked again at every start;
    any other document is checked once per process (tests build hundreds of apps)."""
    unchecked = OpenAPI.from_dict(dict(spec), base_uri=base_uri, config=Config(spec_validator_cls=None))
    if _shipped(spec):
        return unchecked
    fingerprint = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest(), base_uri
    if fingerprint in _CHECKED_DOCUMENTS:
        return unchecked
    openapi = OpenAPI.from_dict(dict(spec), base_uri=base_uri)
    _CHECKED_DOCUMENTS.add(fingerprint)
    return openapi


class SpecValidator:
    """Validates and unmarshals requests (defaults applied, integers cast) per the spec."""

    def __init__(self, spec: Mapping[str, Any], cache_size: int = 4096, base_uri: str = "") -> None:
        """``base_uri`` is where the spec was read from, to resolve references to other files."""
        self._openapi = _openapi(spec, base_uri)
        self._spec, self._base_uri = spec, base_uri
        self._host = spec["servers"][0]["url"]
        self._parameters = V31RequestParametersUnmarshaller(self._openapi.spec)
        self._body = V31RequestBodyUnmarshaller(self._openapi.spec)
        self._query_verdict = lru_cache(maxsize=cache_size)(self._judge_query)
        self._parameter_verdict = lru_cache(maxsize=cache_size)(self._judge_parameter)
        self._alone: dict[tuple[str, str], Mapping[str, V31RequestParametersUnmarshaller] | None] = {}
        """Per operation, an unmarshaller per query parameter that knows that parameter alone;
        None for an operation the spec does not have (judged whole, as openapi-core refuses it)."""

    def query(self, path: str, method: str, query_string: bytes) -> Mapping[str, Any]:
        """The operation's query parameters, with the spec's defaults; or RequestInvalid."""
        params, problems = self._query_verdict(path, method.lower(), query_string)
        if problems:
            raise RequestInvalid(problems)
        return params

    def headers(self, path: str, method: str, headers: Mapping[str, str]) -> Mapping[str, Any]:
        """The operation's header parameters among ``headers``; or RequestInvalid."""
        request = _SpecRequest(path, method.lower(), headers=headers, host_url=self._host)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = self._parameters.unmarshal(request)
        problems: dict[str, list[str]] = {}
        for error in result.errors:
            problems.setdefault(getattr(error, "name", None) or "headers", []).append(_reason(error))
        if problems:
            raise RequestInvalid(problems)
        return dict(result.parameters.header)

    def form(self, path: str, method: str, content_type: str, body: bytes) -> dict[str, Any]:
        """The operation's form body as a dict; or RequestInvalid (key ``body``). The body is read
        as Django reads a form (``decoding.form_pairs``) before the spec judges it."""
        if _mimetype(content_type) == FORM:
            with _undecodable(BODY):
                body = form_body(form_pairs(body))
        errors, parsed = self._unmarshal_body(path, method, content_type, body)
        if errors:
            raise RequestInvalid({BODY: [_reason(error) for error in errors]})
        return parsed

    def json(self, path: str, method: str, content_type: str, body: bytes) -> dict[str, Any]:
        """The operation's JSON body; or RequestInvalid naming each bad field (``body`` for the
        body as a whole: not JSON, not an object, the wrong Content-Type). A JSON body is read
        strictly (``decoding.json_document``) before the spec judges it."""
        if _mimetype(content_type) == JSON:
            with _undecodable(BODY):
                json_document(body)
        errors, parsed = self._unmarshal_body(path, method, content_type, body)
        problems: dict[str, list[str]] = {}
        for error in errors:
            cause = error.__cause__ or error
            if isinstance(cause, InvalidSchemaValue):
                for field_name, reasons in _field_reasons(cause.schema_errors).items():
                    problems.setdefault(field_name, []).extend(reasons)
            else:
                problems.setdefault(BODY, []).append(_reason(error))
        if problems:
            raise RequestInvalid(problems)
        return _as_declared(parsed, self._openapi.spec / "paths" / path / method.lower() / "requestBody" / "content"
                            / JSON / "schema")

    def _unmarshal_body(self, path: str, method: str, content_type: str, body: bytes
                        ) -> tuple[list[Exception], dict[str, Any]]:
        request = _SpecRequest(path, method.lower(), content_type=content_type.lower(),
                               body=body, host_url=self._host)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openapi-core warns on the oauth2 scheme type
            result = self._body.unmarshal(request)
        return list(result.errors), dict(result.body or {}) if not result.errors else {}

    def _judge_query(self, path: str, method: str, query_string: bytes
                     ) -> tuple[Mapping[str, Any], Mapping[str, list[str]]]:
        try:
            # Django keeps the last of repeated parameters; so do we.
            pairs = dict(query_pairs(query_string))
        except Undecodable as undecodable:
            return MappingProxyType({}), {"query": [str(undecodable)]}
        alone = self._parameters_alone(path, method)
        if alone is None:
            return self._judged(self._parameters, path, method, pairs.items())
        params: dict[str, Any] = {}
        problems: dict[str, list[str]] = {}
        for name in alone:  # in the order openapi-core reads them: the verdict is the same
            read, found = self._parameter_verdict(path, method, name, pairs.get(name))
            params.update(read)
            for where, reasons in found.items():
                problems.setdefault(where, []).extend(reasons)
        return MappingProxyType(params), problems

    def _judge_parameter(self, path: str, method: str, name: str, value: str | None
                         ) -> tuple[Mapping[str, Any], Mapping[str, list[str]]]:
        """The verdict on one query parameter, ``value`` None when it was not sent."""
        unmarshaller = self._parameters_alone(path, method)[name]  # type: ignore[index]
        return self._judged(unmarshaller, path, method, [] if value is None else [(name, value)])

    def _judged(self, unmarshaller: V31RequestParametersUnmarshaller, path: str, method: str,
                pairs: Iterable[tuple[str, str]]) -> tuple[Mapping[str, Any], Mapping[str, list[str]]]:
        request = _SpecRequest(path, method, list(pairs), host_url=self._host)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = unmarshaller.unmarshal(request)
        problems: dict[str, list[str]] = {}
        for error in result.errors:
            name = getattr(error, "name", None) or "query"
            problems.setdefault(name, []).append(_reason(error))
        return MappingProxyType(dict(result.parameters.query)), problems

    def _parameters_alone(self, path: str, method: str) -> Mapping[str, V31RequestParametersUnmarshaller] | None:
        """The operation's query parameters in openapi-core's order (the operation's, then the
        path item's it does not override), each with an unmarshaller of an operation that
        declares it alone; built on first use."""
        key = (path, method)
        if key not in self._alone:
            self._alone[key] = self._unmarshallers_alone(path, method)
        return self._alone[key]

    def _unmarshallers_alone(self, path: str, method: str) -> dict[str, V31RequestParametersUnmarshaller] | None:
        item = self._spec.get("paths", {}).get(path)
        operation = item.get(method) if isinstance(item, Mapping) else None
        if not isinstance(operation, Mapping):
            return None
        declared = [*(operation.get("parameters") or ()), *(item.get("parameters") or ())]
        resolved = self._openapi.spec / "paths" / path
        readable = [*((resolved / method).get("parameters") or ()), *(resolved.get("parameters") or ())]
        alone: dict[str, V31RequestParametersUnmarshaller] = {}
        seen = set()
        for raw, parameter in zip(declared, readable, strict=True):  # the same lists: refs followed on the right
            name, where = (parameter / "name").read_str(), (parameter / "in").read_str()
            if (name, where) in seen:  # the path item's, overridden by the operation's
                continue
            seen.add((name, where))
            if where != "query":
                continue
            document = {**self._spec, "paths": {path: {method: {**operation, "parameters": [raw]}}}}
            openapi = OpenAPI.from_dict(document, base_uri=self._base_uri, config=Config(spec_validator_cls=None))
            alone[name] = V31RequestParametersUnmarshaller(openapi.spec)
        return alone


class RequestValidation:
    """The validate step of the pipeline: a request to a secured operation as its spec allows
    it, query, headers and body (400 otherwise). The token endpoint checks its own form."""

    def __init__(self, validators: Mapping[str, SpecValidator]) -> None:
        self._validators = dict(validators)
        """The validator of each operation's spec, by operation id."""

    def validate(self, state: RequestState) -> None:
        operation = state.operation
        if operation is None or state.request.method == "OPTIONS":
            return  # OPTIONS reads no parameter: DRF's metadata answers it whatever the query
        validator, request = self._validators[operation.operation_id], state.request
        path, method = operation.path, operation.method
        with _refused("Invalid query parameters"):
            state.params = validator.query(path, method, request.query_string)
        if operation.headers:
            with _refused("Invalid headers"):
                validator.headers(path, method, _sent_headers(operation.headers, request.headers))
        if operation.body:
            with _refused("Invalid request body"):
                state.body = validator.json(path, method, request.content_type or "", request.get_data())

    def violations(self, state: RequestState) -> list[ApiError]:
        """Each part of the request the spec refuses (query, headers, body) as the 400 ``validate``
        answers for it: the journal's verdict names them all, where an answer names the first."""
        operation = state.operation
        if operation is None:
            return []
        validator, request = self._validators[operation.operation_id], state.request
        path, method = operation.path, operation.method
        checks: list[tuple[str, Callable[[], object]]] = [
            ("Invalid query parameters", lambda: validator.query(path, method, request.query_string))]
        if operation.headers:
            checks.append(("Invalid headers", lambda: validator.headers(
                path, method, _sent_headers(operation.headers, request.headers))))
        if operation.body:
            checks.append(("Invalid request body", lambda: validator.json(
                path, method, request.content_type or "", request.get_data())))
        found = []
        for what, check in checks:
            try:
                check()
            except RequestInvalid as invalid:
                found.append(_invalid(what, invalid))
        return found


def _as_declared(value: Any, schema: Any) -> Any:
    """``value`` with each number its schema declares an integer made an ``int``. JSON Schema
    counts ``2686.0`` as the integer 2686 (so does DRF's ``IntegerField``), and openapi-core
    hands it over as it was parsed; a view adding it to a clock or seeding a ledger with it
    must get 2686. ``schema`` is openapi-core's path into the spec (references followed)."""
    if not schema.exists():
        return value
    with schema.open() as node:
        declared = node.get("type")
    if isinstance(value, float) and value.is_integer() and "integer" in (declared or ()):
        return int(value)
    if isinstance(value, dict) and "properties" in schema:
        properties = schema / "properties"
        return {name: _as_declared(item, properties / name) for name, item in value.items()}
    if isinstance(value, list) and "items" in schema:
        return [_as_declared(item, schema / "items") for item in value]
    return value


def _sent_headers(names: Iterable[str], headers: Mapping[str, str]) -> dict[str, str]:
    """The operation's header parameters among those sent."""
    return {name: headers[name] for name in names if name in headers}


@contextmanager
def _refused(what: str) -> Iterator[None]:
    """RequestInvalid raised as the API's 400."""
    try:
        yield
    except RequestInvalid as invalid:
        raise _invalid(what, invalid) from None


def _invalid(what: str, invalid: RequestInvalid) -> ApiError:
    """The API's 400 for a part of a request: the names in the message, the reasons in ``details``."""
    return ApiError(400, "invalid_request", f"{what}: {', '.join(invalid.details)}.", invalid.details)


def _closest(error: Any) -> Any:
    """Of a failed ``oneOf``, the branch the body came closest to (jsonschema's best match)."""
    while error.validator in ("oneOf", "anyOf") and error.context:
        error = best_match(error.context)
    return error


def _field(error: Any) -> str:
    """The body field a JSON Schema error is about: its path, or the property it names."""
    error = _closest(error)
    if error.path:
        return str(error.path[0])
    if error.validator == "required":
        return str(error.message.split("'")[1])
    if error.validator == "additionalProperties":
        return str(error.message.split("'")[1]) if "'" in error.message else BODY
    return BODY


def _field_reasons(errors: Iterable[Any]) -> dict[str, list[str]]:
    """Each field's reasons. Where a condition narrows a field's enum (a fault's statuses for
    its path), its reason stands alone: the field's own enum, which it narrows, says less."""
    errors = list(errors)
    narrowed = {_field(error) for error in errors if _narrowed(error)}
    reasons: dict[str, list[str]] = {}
    for error in errors:
        field_name = _field(error)
        if field_name in narrowed and _closest(error).validator == "enum" and not _narrowed(error):
            continue
        reasons.setdefault(field_name, []).append(_schema_reason(error))
    return reasons


def _narrowed(error: Any) -> bool:
    """An enum a condition (``if``/``then``) narrows, with a description of what it allows."""
    error = _closest(error)
    return (error.validator == "enum" and "then" in error.relative_schema_path
            and isinstance(error.schema, Mapping) and "description" in error.schema)


def _schema_reason(error: Any) -> str:
    """jsonschema's message; for a pattern, and for an enum that a condition (``if``/``then``)
    narrows, the schema's description says what is expected."""
    error = _closest(error)
    if error.validator == "pattern" and isinstance(error.schema, Mapping) and "description" in error.schema:
        return f"{error.instance!r} does not match the expected format: {error.schema['description']}"
    if _narrowed(error):
        return (f"{error.instance!r} is not one of {error.schema['description']}: "
                f"{', '.join(map(str, error.validator_value))}")
    if error.validator == "additionalProperties":
        return "is not a field of this request"
    if error.validator == "required":
        return "is required"
    if error.validator in ("minProperties", "maxProperties") and error.schema.get("maxProperties") == 1:
        got = ", ".join(sorted(error.instance)) or "none"
        return f"send exactly one of {' and '.join(error.schema['properties'])}; got {got}"
    return str(error.message)


def _mimetype(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


@contextmanager
def _undecodable(where: str) -> Iterator[None]:
    """``Undecodable`` as the RequestInvalid a validator raises, under ``where``."""
    try:
        yield
    except Undecodable as undecodable:
        raise RequestInvalid({where: [str(undecodable)]}) from None


def _reason(error: Exception) -> str:
    """openapi-core's error, said in a sentence a client developer can act on."""
    cause = error.__cause__ or error
    if isinstance(cause, CastError):
        return f"must be of type {cause.type}, got {cause.value!r}"
    if isinstance(cause, InvalidSchemaValue):
        return "; ".join(_schema_reason(schema_error) for schema_error in cause.schema_errors)
    if isinstance(cause, MediaTypeNotFound):
        return (f"Content-Type {cause.mimetype or '(none)'} is not accepted; "
                f"send {', '.join(cause.availableMimetypes)}")
    if isinstance(cause, MissingRequiredRequestBody):
        return "a request body is required"
    if isinstance(cause, MediaTypeDeserializeError):
        return f"cannot be decoded: {cause}"
    if isinstance(cause, EmptyQueryParameterValue):
        return "must not be empty"
    return str(cause)
