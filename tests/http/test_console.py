"""The console as the server serves it: where it lives, when it is off, the headers that keep
a page showing clients' data safe, and its files small and cached."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mock_server import Settings
from mock_server.settings import Client

from ..support import DEMO, SECRET
from ..support.mock import InProcessMock
from ..support.pages import Tags, directives

CONSOLE = "/__console/"
ASSET = re.compile(r'(?:src|href)="(static/[^"]+)"')
OWN_ASSETS_LIMIT = 64 * 1024
"""Bytes of the console's own page and files together, uncompressed: one small request each."""


@pytest.fixture(scope="module")
def page(mock: InProcessMock):
    response = mock.get(CONSOLE)
    assert response.status_code == 200, response.text
    return response


def test_the_page_may_run_its_own_files_only_and_no_site_may_frame_it(page):
    policy = directives(page.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-store"


def test_the_page_has_no_inline_script_nor_inline_event_handler(page):
    tags = Tags(page.text)
    scripts = tags.attributes("script", "src")
    assert scripts, "the page loads its script"
    assert None not in scripts and tags.script_text == ""
    assert not [name for _, attrs in tags.tags for name in attrs if name.startswith("on")], \
        "an inline event handler would need 'unsafe-inline'"


def test_every_control_of_the_page_has_a_label(page):
    html = page.text
    controls = re.findall(r"<(?:input|select)\b[^>]*\bid=\"([^\"]+)\"", html)
    labelled = set(re.findall(r"<label for=\"([^\"]+)\"", html))
    wrapped = set(re.findall(r"<label><input[^>]*id=\"([^\"]+)\"", html))
    assert controls and set(controls) <= labelled | wrapped


def test_the_files_are_small_and_cached_until_they_change(mock, page):
    assets = ASSET.findall(page.text)
    assert "static/console.js" in assets and "static/console.css" in assets
    modules = re.findall(r'from "\./([a-z]+\.js)"', mock.get(CONSOLE + "static/console.js").text)
    files = {*assets, *(f"static/{name}" for name in modules)}
    total = len(page.data)
    for name in files:
        response = mock.get(CONSOLE + name)
        assert response.status_code == 200, name
        assert response.headers["Cache-Control"] == "no-cache", name
        assert response.headers["Content-Security-Policy"]
        again = mock.get(CONSOLE + name, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304, name
        total += len(response.data)
    assert total < OWN_ASSETS_LIMIT, f"{total} bytes"
    assert mock.get(CONSOLE + "static/console.js").mimetype == "text/javascript"


def test_the_demo_client_is_filled_in_and_a_clients_files_secret_never_is():
    demo_page = InProcessMock(Settings(token_secret=SECRET)).get(CONSOLE).text
    assert f'value="{DEMO[0]}"' in demo_page and f'value="{DEMO[1]}"' in demo_page

    own = Client("shop", "a-secret-only-the-shop-knows", frozenset({"read", "write"}))
    own_page = InProcessMock(Settings(token_secret=SECRET, clients=(own,))).get(CONSOLE).text
    assert own.client_secret not in own_page and own.client_id not in own_page


@pytest.mark.parametrize("settings", [Settings(token_secret=SECRET, console=False),
                                      Settings(token_secret=SECRET, sandbox=False)], ids=["no-console", "no-sandbox"])
def test_off_the_console_is_an_unknown_path_like_any_other(settings):
    mock = InProcessMock(settings)
    for path in (CONSOLE, CONSOLE + "static/console.js", "/__console"):
        response = mock.get(path)
        assert response.status_code == 404
        assert response.json == {"error": {"code": "not_found", "message": f"No such path: {path}.",
                                           "details": {"path": path}}}


def test_the_console_answers_only_under_its_prefix(mock):
    slashless = mock.get("/__console")
    assert (slashless.status_code, slashless.headers["Location"]) == (308, "http://localhost/__console/")
    assert slashless.data == b""
    unknown = mock.get(CONSOLE + "nothing-here")
    assert unknown.status_code == 404
    assert unknown.json["error"]["message"] == "No such path: /__console/nothing-here."
    assert unknown.headers["X-Frame-Options"] == "DENY"
    assert mock.get("/__consoles/").status_code == 404


def test_the_consoles_own_files_are_not_in_any_journal(mock):
    token = mock.token()
    latest = mock.get("/__sandbox/requests", token, {"limit": 1}).json["latest"]
    mock.get(CONSOLE, token)
    mock.get(CONSOLE + "static/console.js", token)
    assert mock.get("/__sandbox/requests", token, {"since": latest}).json["requests"] == []


def test_the_files_on_disk_are_the_ones_served(mock):
    folder = Path(__file__).resolve().parents[2] / "mock_server" / "console" / "static"
    for path in folder.iterdir():
        assert mock.get(CONSOLE + "static/" + path.name).data == path.read_bytes(), path.name
