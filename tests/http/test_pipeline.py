"""The methods each path answers are exactly the spec's operations: HEAD and OPTIONS, which
Werkzeug would add on its own, are 405 like any other undocumented method."""

from __future__ import annotations

import pytest

from mock_server.spec import load_spec

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
SPEC = load_spec()


@pytest.mark.parametrize("path", sorted(SPEC["paths"]))
def test_a_path_answers_exactly_its_documented_methods(mock, path):
    documented = sorted(method.upper() for method in SPEC["paths"][path])
    for method in METHODS:
        response = mock.client.open(path, method=method)
        if method in documented:
            assert response.status_code != 405, method
        else:
            assert response.status_code == 405, method
            assert response.headers["Allow"] == ", ".join(documented)
            if method != "HEAD":  # a HEAD answer has no body
                assert response.get_json()["error"]["details"]["allowed_methods"] == documented
