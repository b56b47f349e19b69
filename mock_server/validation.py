"""Request validation, driven by the spec through openapi-core.

The spec alone says which parameters exist, their types, ranges and defaults; this module
only turns openapi-core's verdict into ``{parameter: [reasons]}``. A full openapi-core
validation costs about a millisecond, more than everything else a request does, and its
verdict depends on nothing but the operation and the raw query string, so verdicts are
memoised per (path, method, query string): a client repeating a query pays for the
validation once, and a fuzzer sending new ones still gets every one validated.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl

from openapi_core import OpenAPI
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

    def __post_init__(self) -> None:
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(self.query), header=Headers(), cookie=ImmutableMultiDict()
        )


class SpecValidator:
    """Validates and unmarshals requests (defaults applied, integers cast) per the spec."""

    def __init__(self, spec: Mapping[str, Any], cache_size: int = 4096) -> None:
        self._openapi = OpenAPI.from_dict(dict(spec))
        self._host = spec["servers"][0]["url"]
        self._parameters = V31RequestParametersUnmarshaller(self._openapi.spec)
        self._body = V31RequestBodyUnmarshaller(self._openapi.spec)
        self._query_verdict = lru_cache(maxsize=cache_size)(self._judge_query)

    def query(self, path: str, method: str, query_string: bytes) -> Mapping[str, Any]:
        """The operation's query parameters, with the spec's defaults; or RequestInvalid."""
        params, problems = self._query_verdict(path, method.lower(), query_string)
        if problems:
            raise RequestInvalid(problems)
        return params

    def form(self, path: str, method: str, content_type: str, body: bytes) -> dict[str, Any]:
        """The operation's form body as a dict; or RequestInvalid (key ``body``)."""
        request = _SpecRequest(path, method.lower(), content_type=content_type.lower(),
                               body=body, host_url=self._host)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openapi-core warns on the oauth2 scheme type
            result = self._body.unmarshal(request)
        if result.errors:
            raise RequestInvalid({BODY: [_reason(error) for error in result.errors]})
        return dict(result.body or {})

    def _judge_query(self, path: str, method: str, query_string: bytes
                     ) -> tuple[Mapping[str, Any], Mapping[str, list[str]]]:
        try:
            # Django keeps the last of repeated parameters; so do we.
            pairs = dict(parse_qsl(query_string.decode("utf-8"), keep_blank_values=True,
                                   errors="strict")).items()
        except UnicodeDecodeError:
            return MappingProxyType({}), {"query": ["is not valid UTF-8 after percent-decoding"]}
        request = _SpecRequest(path, method, list(pairs), host_url=self._host)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = self._parameters.unmarshal(request)
        problems: dict[str, list[str]] = {}
        for error in result.errors:
            name = getattr(error, "name", None) or "query"
            problems.setdefault(name, []).append(_reason(error))
        return MappingProxyType(dict(result.parameters.query)), problems


def _reason(error: Exception) -> str:
    """openapi-core's error, said in a sentence a client developer can act on."""
    cause = error.__cause__ or error
    if isinstance(cause, CastError):
        return f"must be of type {cause.type}, got {cause.value!r}"
    if isinstance(cause, InvalidSchemaValue):
        return "; ".join(schema_error.message for schema_error in cause.schema_errors)
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
