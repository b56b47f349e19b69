"""The methods each path answers are the spec's operations and, as Django and DRF answer them,
HEAD beside GET and OPTIONS everywhere (the spec's decisions); any other is 405 with Allow in
Django's order. The paths are exactly the spec's: Flask's own ``/static/`` route is none."""

from __future__ import annotations

import pytest

from mock_server.errors import allow
from mock_server.spec import load_spec

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
SPEC = load_spec()


@pytest.mark.parametrize("path", sorted(SPEC["paths"]))
def test_a_path_answers_exactly_its_documented_methods(mock, path):
    documented = {method.upper() for method in SPEC["paths"][path]}
    served = allow(documented | {"OPTIONS"} | ({"HEAD"} if "GET" in documented else set()))
    for method in METHODS:
        response = mock.client.open(path, method=method)
        if method in served:
            assert response.status_code != 405, method
            if method == "OPTIONS" and response.status_code == 200:  # a resource needs a token first
                assert response.headers["Allow"] == ", ".join(served)
        else:
            assert response.status_code == 405, method
            assert response.headers["Allow"] == ", ".join(served)
            if method != "HEAD":  # a HEAD answer has no body
                assert response.get_json()["error"]["details"]["allowed_methods"] == served


@pytest.mark.parametrize("path", ["/static/console.js", "/static/", "/static/../app.py"])
def test_flask_s_own_static_route_is_not_a_route(mock, path):
    """Every route is an operation of a spec; a path under /static/ is one the API does not have
    (found by the fuzzer: it was a 500)."""
    assert "static" not in {rule.endpoint for rule in mock.app.url_map.iter_rules()}
    response = mock.client.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
