"""The API docs as a person uses them: both specs in Swagger UI on a real server, "Try it out"
signed in through the Authorize dialog, and not one request that leaves the server."""

from __future__ import annotations

import json

from playwright.sync_api import Page, expect

from mock_server.spec import API_SPEC, SANDBOX_SPEC, load_spec

from ..support import BALANCES, TOKEN
from ..support.mock import MockServer

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def open_docs(page: Page, served: MockServer) -> None:
    page.goto(f"{served.url}/__console/docs/")


def expect_operations(page: Page, name: str) -> None:
    """The page shows the spec ``name``: its title and every one of its operations."""
    spec = load_spec(name)
    expected = sorted((method.upper(), path) for path, item in spec["paths"].items() for method in item
                      if method in METHODS)
    expect(page.locator(".info .title")).to_contain_text(spec["info"]["title"])
    operations = page.locator(".opblock")
    expect(operations).to_have_count(len(expected))
    shown = operations.evaluate_all("""blocks => blocks.map(block => [
        block.querySelector(".opblock-summary-method").textContent,
        block.querySelector(".opblock-summary-path").dataset.path])""")
    assert sorted(map(tuple, shown)) == expected


def assert_quiet_and_at_home(events, served: MockServer) -> None:
    assert events.console_errors == [] and events.page_errors == []
    assert events.requests and all(url.startswith(f"{served.url}/") for url in events.requests), events.requests


def test_the_docs_show_both_specs_and_nothing_leaves_the_server(page, page_events, served):
    open_docs(page, served)
    expect_operations(page, API_SPEC)

    page.get_by_label("Select a definition").select_option(label="balances-mock sandbox control API")
    expect_operations(page, SANDBOX_SPEC)
    assert_quiet_and_at_home(page_events, served)


def test_try_it_out_gets_a_token_and_the_balances(page, page_events, served):
    open_docs(page, served)
    page.get_by_role("button", name="Authorize", exact=True).click()
    dialog = page.locator(".modal-ux")
    expect(dialog.get_by_label("client_id:")).to_have_value("demo")
    expect(dialog.get_by_label("client_secret:")).to_have_value("demo-secret")
    with page.expect_response(f"{served.url}{TOKEN}") as token:
        dialog.get_by_role("button", name="Apply given OAuth2 credentials").click()
    assert token.value.status == 200
    expect(dialog.get_by_text("Authorized", exact=True)).to_be_visible()
    dialog.get_by_role("button", name="Close").first.click()

    operation = page.locator(".opblock", has=page.locator(f'[data-path="{BALANCES}"]'))
    operation.get_by_text(BALANCES, exact=True).click()
    operation.get_by_role("button", name="Execute").click()

    answer = operation.locator(".live-responses-table .response")
    expect(answer.locator(".response-col_status")).to_have_text("200")
    shown = json.loads(answer.locator(".highlight-code pre").first.inner_text())
    assert shown == served.get(BALANCES, served.token()).json()
    assert_quiet_and_at_home(page_events, served)
