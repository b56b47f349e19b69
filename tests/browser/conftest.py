"""A real headless Chromium for the pages the project writes or serves.

Playwright drives Debian's ``chromium`` (it cannot download its own browser here); without one
on the PATH every browser test is skipped and says how to get it (or fails, where
``support.required`` says the tools are required, as in CI). One browser serves every test
below this folder, and each test gets a fresh page in a context of its own.

The browser lives for this package, not the whole session: while Playwright's sync API is open it
marks an asyncio loop as running, and a test elsewhere that calls ``asyncio.run`` would fail.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, sync_playwright

from ..support import SECRET
from ..support.mock import CLI, MockServer, launch_cli
from ..support.required import tool_missing

HERE = Path(__file__).parent
TIMEOUT_MS = 5000
"""A page that does not show what a test waits for within this fails the test, and fast."""


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        tool_missing("browser", "no chromium on the PATH: install Debian's (apt-get install chromium; .ci/run "
                                "does); Playwright cannot download its own browser here")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


@dataclass
class PageEvents:
    """What a page did besides showing itself: errors it logged or threw, requests, dialogs."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture
def page_events(page: Page) -> PageEvents:
    """Records the page's events from before it loads anything; a dialog is recorded and dismissed."""
    events = PageEvents()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            events.console_errors.append(message.text)

    def dialog(opened: Dialog) -> None:
        events.dialogs.append(f"{opened.type}: {opened.message}")
        opened.dismiss()

    page.on("console", console)
    page.on("pageerror", lambda error: events.page_errors.append(str(error)))
    page.on("request", lambda request: events.requests.append(request.url))
    page.on("dialog", dialog)
    return events


@pytest.fixture(scope="package")
def served() -> Iterator[MockServer]:
    """One ``balances-mock serve`` for the console's and the docs' tests; each console test signs in
    as a client of its own. It listens on 127.0.0.2: loopback still, but not a name Swagger UI takes
    for local (it asks validator.swagger.io about a spec on any other host unless told not to), so
    a request that leaves is caught."""
    server = MockServer(launch_cli([*CLI, "serve", "--host", "127.0.0.2", "--port", "0", "--workers", "1", "--quiet",
                                "--token-secret", SECRET]))
    yield server
    server.stop()
