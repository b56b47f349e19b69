"""The API docs under /__console/docs/ through the test client: a page that runs only its own
files, specs that point at the server they were fetched from, Swagger UI's files kept for good,
and nothing at all when the console is off."""

from __future__ import annotations

from importlib.metadata import version
from urllib.parse import urljoin

import pytest

from mock_server import Client, Settings
from mock_server.console.headers import VERSIONED_ASSETS
from mock_server.spec import API_SPEC, SANDBOX_SPEC, load_spec

from ..support import SECRET, parse_yaml
from ..support.assertions import assert_envelope
from ..support.mock import InProcessMock
from ..support.pages import Tags, directives

DOCS = "/__console/docs/"
SWAGGER_UI = f"{DOCS}swagger-ui/{version('flask-swagger-ui')}/"


def test_the_page_runs_only_its_own_files_and_cannot_be_framed(mock):
    response = mock.get(DOCS)

    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_page_has_no_inline_script_and_every_file_it_loads_is_served_here(mock):
    page = Tags(mock.get(DOCS).text)

    scripts = page.attributes("script", "src")
    assert len(scripts) == 3 and None not in scripts
    assert page.script_text == ""
    assert not [name for _, attrs in page.tags for name in attrs if name.startswith("on")]
    files = [*scripts, *page.attributes("link", "href")]
    assert all(path.startswith("/__console/") for path in files), files
    for path in files:
        assert mock.get(path).status_code == 200, path


def test_the_demo_client_is_filled_in_and_no_other_clients_secret_ever_is(mock):
    root = Tags(mock.get(DOCS).text).element("swagger-ui")
    assert (root["data-client-id"], root["data-client-secret"]) == ("demo", "demo-secret")

    own = InProcessMock(Settings(token_secret=SECRET, clients=(Client("app", "app-secret", frozenset({"read"})),)))
    page = own.get(DOCS).text
    assert "data-client-id" not in page and "app-secret" not in page


@pytest.mark.parametrize("name", [API_SPEC, SANDBOX_SPEC])
def test_a_served_spec_is_the_file_with_this_server_its_only_server(mock, name):
    default = parse_yaml(mock.get(DOCS + name).text)
    elsewhere = parse_yaml(mock.get(DOCS + name, headers={"Host": "docs.example:8123"}).text)

    assert [server["url"] for server in default["servers"]] == ["http://localhost"]
    assert [server["url"] for server in elsewhere["servers"]] == ["http://docs.example:8123"]
    assert {**elsewhere, "servers": None} == {**load_spec(name), "servers": None}


def test_the_sandbox_specs_references_reach_the_served_api_spec(mock):
    def refs(node):
        if isinstance(node, dict):
            yield from [node["$ref"]] if "$ref" in node else []
            node = list(node.values())
        for child in node if isinstance(node, list) else []:
            yield from refs(child)

    spec = parse_yaml(mock.get(DOCS + SANDBOX_SPEC).text)
    documents = {urljoin(DOCS + SANDBOX_SPEC, ref).partition("#")[0] for ref in refs(spec) if not ref.startswith("#")}
    assert documents == {DOCS + API_SPEC}


def test_a_spec_is_asked_for_again_and_answered_304_while_unchanged(mock):
    first = mock.get(DOCS + API_SPEC)
    assert first.headers["Cache-Control"] == "no-cache" and first.headers["ETag"]

    again = mock.get(DOCS + API_SPEC, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_swagger_uis_files_are_under_their_version_and_kept_for_good(mock):
    first = mock.get(SWAGGER_UI + "swagger-ui-bundle.js")
    assert first.status_code == 200
    assert first.mimetype == "text/javascript"
    assert first.headers["Cache-Control"] == VERSIONED_ASSETS

    again = mock.get(SWAGGER_UI + "swagger-ui-bundle.js", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == VERSIONED_ASSETS


@pytest.mark.parametrize("path", [SWAGGER_UI + "no-such-file.js", f"{DOCS}swagger-ui/0.0.1/swagger-ui-bundle.js",
                                  SWAGGER_UI + "..%2f..%2fflask_swagger_ui.py", DOCS + "no-such-spec.yaml"])
def test_a_file_the_docs_do_not_have_is_a_404_in_the_envelope(mock, path):
    response = mock.get(path)
    assert_envelope(response, 404, "not_found")
    assert "immutable" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("settings", [Settings(token_secret=SECRET, console=False),
                                      Settings(token_secret=SECRET, sandbox=False)], ids=["no-console", "no-sandbox"])
def test_no_docs_without_the_console(settings):
    off = InProcessMock(settings)
    for path in (DOCS, DOCS + API_SPEC, SWAGGER_UI + "swagger-ui-bundle.js"):
        assert_envelope(off.get(path), 404, "not_found")
