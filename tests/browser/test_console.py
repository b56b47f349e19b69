"""The console in a real browser, against a real server: what a QA tester sees and clicks.

Each test signs in as a client of its own (``POST /__sandbox/clients``), so the tests share one
server and never one account, and checks the page against what the API answers that client.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from ..support import BALANCES, HISTORY, ROOT
from ..support.mock import MockServer, grant

SCREENSHOT = ROOT / "docs" / "console.png"
REFUSED = re.compile(r"^Failed to load resource: the server responded with a status of (\d{3})")
"""What Chromium logs for any answer of 4xx or 5xx, a refusal the page asked for included."""
HOSTILE = "<script>alert(1)</script>"


@dataclass
class Account:
    """A client of its own on the served mock, and the API as that client sees it."""

    server: MockServer
    client_id: str
    secret: str

    def __post_init__(self) -> None:
        response = requests.post(f"{self.server.url}/o/token/", data=grant(), auth=(self.client_id, self.secret),
                                 timeout=10)
        self.token = response.json()["access_token"]

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.server.url}{path}", headers=headers, timeout=10, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        response = self.request("GET", path, params=params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def account(served: MockServer) -> Account:
    demo = Account(served, "demo", "demo-secret")
    created = demo.request("POST", "/__sandbox/clients", json={}).json()
    return Account(served, created["client_id"], created["client_secret"])


@pytest.fixture
def signed_in(page: Page, page_events, account: Account) -> Iterator[Page]:
    """The console, signed in as ``account``'s client and showing its account and journal."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{account.server.url}/__console/")
    page.get_by_label("Client id").fill(account.client_id)
    page.get_by_label("Client secret").fill(account.secret)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    yield page
    assert_the_page_behaved(page_events, account.server.url)


def assert_the_page_behaved(page_events, origin: str) -> None:
    """No request left the server's origin, no dialog opened, no script threw, and the browser
    logged no error but the refusals the page asked for."""
    assert all(url.startswith(origin + "/") for url in page_events.requests), "a request left the server's origin"
    assert page_events.dialogs == [], page_events.dialogs
    assert page_events.page_errors == [], page_events.page_errors
    assert all(REFUSED.match(text) for text in page_events.console_errors), page_events.console_errors


def tab_to(page: Page, selector: str, most: int = 60) -> int:
    """Press Tab until ``selector`` has the focus, as a keyboard user reaches it; how many presses."""
    for presses in range(1, most + 1):
        page.keyboard.press("Tab")
        if page.locator(selector).evaluate("element => element === document.activeElement"):
            return presses
    raise AssertionError(f"{most} presses of Tab never reached {selector}")


def serious_accessibility_violations(page: Page) -> list[str]:
    """What axe-core (shipped in axe-playwright-python) finds serious or critical on the page as it is."""
    results = Axe().run(page)
    assert results.response["testEngine"]["name"] == "axe-core" and results.response["passes"], "axe checked nothing"
    return [f"{v['id']} ({v['impact']}): {v['help']}: {[node['target'] for node in v['nodes']]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def keep_the_readmes_picture(page: Page) -> None:
    """The README's picture of the main view: written to docs/ when BALANCES_UPDATE_SCREENSHOT is
    set; the one kept must be a PNG of this view's size."""
    shot = page.screenshot(full_page=False)
    if os.environ.get("BALANCES_UPDATE_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        SCREENSHOT.write_bytes(shot)
    kept = SCREENSHOT.read_bytes()
    assert kept[:8] == shot[:8] == b"\x89PNG\r\n\x1a\n"
    assert kept[16:24] == shot[16:24], "docs/console.png is not a picture of the 1280x900 view"


def rows(page: Page, table: str) -> list[list[str]]:
    return [[cell.strip() for cell in row.split("\t")] for row in page.locator(f"{table} tbody tr").all_inner_texts()]


def balances_shown(page: Page) -> dict[str, tuple[str, str]]:
    return {currency: (own, sub) for currency, own, sub in rows(page, "#balances")}


def test_signed_in_the_console_shows_the_apis_balances_statistics_and_history(signed_in, account, page_events):
    page = signed_in
    api = account.get(BALANCES)
    expect(page.locator("#who-client")).to_have_text(account.client_id)
    expect(page.locator("#balances tbody tr")).to_have_count(len(api["account"]))
    expected = {code: (amount, api["sub_accounts"][code]) for code, amount in api["account"].items()}
    assert balances_shown(page) == expected
    expect(page.locator("#statistics [data-key=total_deposits]")).to_have_text(str(api["statistics"]["total_deposits"]))
    expect(page.locator("#statistics [data-key=total_withdrawals]")).to_have_text(
        str(api["statistics"]["total_withdrawals"]))

    history = account.get(HISTORY, limit=25, offset=0)
    columns = ("timestamp", "currency", "type", "amount", "balance_after")
    assert rows(page, "#history") == [[entry[key] for key in columns] for entry in history["history"]]
    expect(page.locator("#history-range")).to_have_text(f"History: entries 1–25 of {history['total']}, newest first")
    expect(page.get_by_label("Client secret")).to_have_value("")  # the secret is not kept in the page
    assert page_events.console_errors == []
    assert serious_accessibility_violations(page) == []
    keep_the_readmes_picture(page)


def test_a_refusal_shows_at_its_field_and_a_deposit_in_the_balance_the_history_and_the_chart(signed_in, account):
    page = signed_in
    page.locator("#book-currency").fill("usd")
    page.get_by_label("Amount").fill("12")
    page.get_by_role("button", name="Book").click()

    refused = account.request("POST", "/__sandbox/transactions",
                              json={"type": "deposit", "currency": "usd", "amount": "12"}).json()["error"]
    expect(page.locator("#book-currency-error")).to_have_text(" ".join(refused["details"]["currency"]))
    expect(page.locator("#book-currency")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#book-currency")).to_be_focused()
    expect(page.locator("#book-form [role=status]")).to_have_text(f"400 invalid_request: {refused['message']}")
    expect(page.locator("#book-amount")).not_to_have_attribute("aria-invalid", "true")
    assert account.get("/__sandbox/account")["booked_entries"] == 0

    currency = page.locator("#chart-currency").input_value()
    before = account.get(BALANCES)["account"][currency]
    chart_before = page.locator("#chart-summary").inner_text()

    page.locator("#book-currency").fill(currency)
    page.get_by_label("Amount").fill("1234.5")
    page.get_by_role("button", name="Book").click()
    expect(page.locator("#book-form [role=status]")).to_contain_text("Booked deposit of 1234.500000")

    after = account.get(BALANCES)["account"][currency]
    assert after != before
    expect(page.locator("#book-form [role=status]")).to_contain_text(f"balance after: {after}")
    expect(page.locator(f"#balances tr[data-currency={currency}] [data-column=account]")).to_have_text(after)
    newest = account.get(HISTORY, limit=1)["history"][0]
    assert (newest["type"], newest["amount"], newest["balance_after"]) == ("deposit", "1234.500000", after)
    expect(page.locator("#history tbody tr").first.locator("td")).to_have_text(
        [newest["timestamp"], currency, "deposit", "1234.500000", after])
    expect(page.locator("#chart-summary")).to_contain_text(f"to {after} ")
    assert page.locator("#chart-summary").inner_text() != chart_before


def test_an_armed_429_shows_in_the_journal_with_its_verdict_and_a_curl(signed_in, account):
    page = signed_in
    page.get_by_label("Status").fill("429")
    page.get_by_label("Retry-After (s)").fill("5")
    page.get_by_role("button", name="Arm", exact=True).click()
    expect(page.locator("#faults tbody tr")).to_have_count(1)
    expect(page.locator("#faults tbody tr")).to_contain_text("/user/balances/history/")

    assert account.request("GET", HISTORY, params={"limit": 3}).status_code == 429
    assert account.request("GET", HISTORY, params={"limit": 3}).status_code == 200  # at once: too soon
    latest = account.get("/__sandbox/requests", limit=1)["latest"]

    retried = page.locator(f"#journal-table tr[data-seq='{latest}']")
    expect(retried).to_contain_text("GET /user/balances/history/?limit=3")
    expect(retried.locator(".verdict")).to_contain_text("asked to wait 5 s")
    refused = page.locator(f"#journal-table tr[data-seq='{latest - 1}']")
    expect(refused.locator(".status")).to_have_text("429")
    expect(refused.locator(".verdict")).to_have_text("valid")

    refused.get_by_role("button").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", level=2)).to_have_text(f"Request #{latest - 1}: GET {HISTORY} → 429")
    curl = dialog.locator("pre.curl")
    expect(curl).to_contain_text(f"curl -X GET '{account.server.url}{HISTORY}?limit=3' -H ")
    expect(curl).to_contain_text(' -H "Authorization: Bearer $TOKEN"')  # the token itself was never recorded
    expect(curl).to_contain_text(f" -H 'user-agent: {requests.utils.default_user_agent()}'")
    expect(dialog).to_contain_text("retry-after")
    assert serious_accessibility_violations(page) == []  # the dialog open over the page
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_paging_and_filtering_the_history_ask_the_api(signed_in, account):
    page = signed_in
    page.get_by_role("button", name="Next").click()
    second = account.get(HISTORY, limit=25, offset=25)
    expect(page.locator("#history-range")).to_have_text(f"History: entries 26–50 of {second['total']}, newest first")
    expect(page.locator("#history tbody tr").first).to_contain_text(second["history"][0]["timestamp"])
    expect(page.get_by_role("button", name="Previous")).to_be_enabled()

    currency = next(iter(account.get(BALANCES)["account"]))
    page.locator("#history-currency").fill(currency)
    page.get_by_label("Per page").select_option("10")
    page.get_by_role("button", name="Apply").click()
    filtered = account.get(HISTORY, currency=currency, limit=10)
    expect(page.locator("#history-range")).to_have_text(f"History: entries 1–10 of {filtered['total']}, newest first")
    assert {row[1] for row in rows(page, "#history")} == {currency}
    expect(page.get_by_role("button", name="Previous")).to_be_disabled()

    page.locator("#history-type").fill("refund")  # the API's decision: an unknown type matches nothing
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#history tbody")).to_have_text("No entries match.")


def test_the_clock_and_reset_go_through_the_control_api(signed_in, account):
    page = signed_in
    page.get_by_label("Advance by (seconds)").fill("86400")
    page.get_by_role("button", name="Advance").click()
    expect(page.locator("#advance-form [role=status]")).to_contain_text("The clock reads")
    now = account.get("/__sandbox/clock")["now"]
    expect(page.locator("#clock-now")).to_have_text(now)
    page.get_by_label("Set to (UTC)").fill("2000-01-01T00:00:00Z")
    page.get_by_role("button", name="Set", exact=True).click()
    # Well formed, but the clock is past it: a 409 whose message says where the clock is.
    expect(page.locator("#set-form [role=status]")).to_have_text(
        f"409 clock_backwards: The clock only moves forward: it reads {now}, and 2000-01-01T00:00:00Z is before that.")
    expect(page.locator("#clock-set")).not_to_have_attribute("aria-invalid", "true")

    page.get_by_role("button", name="Reset the account…").click()
    page.get_by_role("button", name="Keep it").click()
    assert account.get("/__sandbox/clock")["now"] == now
    page.get_by_role("button", name="Reset the account…").click()
    page.get_by_role("button", name="Yes, reset").click()
    expect(page.locator("#reset-status")).to_contain_text("Reset: ")
    reset = account.get("/__sandbox/clock")["now"]
    assert reset != now
    expect(page.locator("#clock-now")).to_have_text(reset)


def test_what_a_client_sent_is_shown_as_text_and_never_run(signed_in, account, page_events):
    page = signed_in
    account.request("GET", f"/user/{HOSTILE}/", headers={"X-Note": HOSTILE})
    account.request("GET", HISTORY, params={"currency": HOSTILE})
    latest = account.get("/__sandbox/requests", limit=1)["latest"]

    expect(page.locator(f"#journal-table tr[data-seq='{latest - 1}'] .request")).to_have_text(f"GET /user/{HOSTILE}/")
    expect(page.locator(f"#journal-table tr[data-seq='{latest}'] .request")).to_contain_text("currency=")
    page.locator(f"#journal-table tr[data-seq='{latest - 1}'] button").click()
    expect(page.get_by_role("dialog")).to_contain_text(f"x-note{HOSTILE}")
    expect(page.get_by_role("dialog").locator("pre.request-line")).to_have_text(f"GET /user/{HOSTILE}/")

    assert page.locator("script").count() == 1  # the console's own module, nothing from the data
    assert page_events.dialogs == []


def test_the_console_works_from_the_keyboard(page, page_events, account):
    """Signing in and booking with Tab, typing and Enter only: every field is reached by Tab."""
    page.goto(f"{account.server.url}/__console/")
    tab_to(page, "#client-id")
    page.keyboard.type(account.client_id)
    page.keyboard.press("Tab")
    expect(page.locator("#client-secret")).to_be_focused()
    page.keyboard.type(account.secret)
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#account-title")).to_be_focused()
    tab_to(page, "#book-currency")
    page.keyboard.type("KEYS")
    page.keyboard.press("Tab")
    expect(page.locator("#book-amount")).to_be_focused()
    page.keyboard.type("7")
    page.keyboard.press("Enter")
    expect(page.locator("#book-form [role=status]")).to_contain_text("Booked deposit of 7.000000 KEYS")
    assert_the_page_behaved(page_events, account.server.url)
