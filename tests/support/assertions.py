"""Assertions on answers, for requests' responses and Flask test-client responses alike."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse

from . import SANDBOX_SPEC_PATH, SPEC_PATH, read_yaml


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
        request, answer = _RequestLine(response.request), WerkzeugOpenAPIResponse(response)
    base_url = "/".join(response.request.url.split("/", 3)[:3])
    path = "/" + response.request.url.split("/", 3)[3]
    _openapi(base_url, SANDBOX_SPEC_PATH if path.startswith("/__sandbox/") else SPEC_PATH
             ).validate_response(request, answer)


class _RequestLine(WerkzeugOpenAPIRequest):
    """The test client's request without its body, which the app has read already: a
    response is validated against its operation, found by path and method alone."""

    @property
    def body(self) -> bytes | None:
        return None


@cache
def _openapi(base_url: str, spec_path: Path) -> OpenAPI:
    """A spec (the API's or the sandbox's), bound to the server the response came from."""
    spec = read_yaml(spec_path)
    spec["servers"] = [{"url": base_url}]
    return OpenAPI.from_dict(spec, base_uri=spec_path.as_uri())
