"""Assertions on answers, for requests' responses and Flask test-client responses alike."""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse

from . import SPEC_PATH


def body(response: Any) -> Any:
    """The JSON body of either kind of response."""
    return response.json() if callable(response.json) else response.json


def assert_envelope(response: Any, status: int, code: str) -> dict[str, Any]:
    """The API's error envelope with ``status`` and ``code``; returns the error object."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    error = body(response)["error"]
    assert error["code"] == code and error["message"] and isinstance(error["details"], dict), error
    return error


def assert_token_error(response: Any, status: int, error: str) -> str:
    """RFC 6749 section 5.2: ``{"error": code, "error_description": ...}``; returns the description."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    answer = body(response)
    assert answer["error"] == error, answer
    assert answer["error_description"]
    return answer["error_description"]


def assert_conforms(response: Any) -> None:
    """The response validates against the spec's schema for its operation and status."""
    if callable(response.json):  # requests
        request, answer = RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response)
    else:  # werkzeug's test client
        request, answer = WerkzeugOpenAPIRequest(response.request), WerkzeugOpenAPIResponse(response)
    base_url = "/".join(response.request.url.split("/", 3)[:3])
    _openapi(base_url).validate_response(request, answer)


@cache
def _openapi(base_url: str) -> OpenAPI:
    """The spec, bound to the server the response came from."""
    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    spec["servers"] = [{"url": base_url}]
    return OpenAPI.from_dict(spec)
