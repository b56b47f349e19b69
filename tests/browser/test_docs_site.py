"""The documentation site in a real browser: served from this machine, it finds a word with its
built-in search, follows a result to the page that holds it, and asks no other origin for anything."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class names it so)
        pass


@pytest.fixture(scope="module")
def site_url(docs_site) -> Iterator[str]:
    """The built site behind a plain static HTTP server on 127.0.0.2, as ``python -m http.server`` serves it."""
    assert docs_site.returncode == 0, docs_site.output
    server = ThreadingHTTPServer(("127.0.0.2", 0), functools.partial(QuietHandler, directory=str(docs_site.folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.2:{server.server_address[1]}"
    server.shutdown()
    thread.join()


def test_search_finds_a_word_and_follows_it_with_nothing_leaving_the_machine(page: Page, page_events, site_url):
    page.goto(f"{site_url}/index.html")
    expect(page.locator("h1").first).to_contain_text("balances-mock")
    search = page.get_by_placeholder("Search")
    search.click()
    search.press_sequentially("idempotency")  # as typed: Material searches on each key
    result = page.locator("a.md-search-result__link").first
    expect(result).to_contain_text("idempotency", ignore_case=True)
    result.click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(site_url)}/[a-z-]+/[a-z-]+\.html\?h=idempotency"))
    expect(page.locator("article mark").first).to_have_text("idempotency", ignore_case=True)
    assert page_events.requests and all(url.startswith(site_url + "/") or url.startswith("data:")
                                        for url in page_events.requests), page_events.requests
    assert page_events.page_errors == [] and page_events.console_errors == []
