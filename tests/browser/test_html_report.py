"""The contract run's HTML page as a person opens it: in a browser, from a file, with no network."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from contract_tests.html_report import write_html

from ..support.contract import CREDENTIALS, WITHOUT_SCHEMA, run_contract
from ..support.report_sample import sample_report

SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(2)>"


def open_report(page: Page, folder: Path, report: dict) -> str:
    path = folder / "report.html"
    write_html(report, path)
    page.goto(path.as_uri())
    return path.as_uri()


def hostile_report() -> dict:
    report = sample_report()
    report["breaks"][0].update(got=SCRIPT, expected=IMAGE)
    report["drift"][0]["got"] = f"200 '{SCRIPT}'"
    return report


def test_the_report_shows_its_findings_and_nothing_from_the_data_runs_or_leaves(page, page_events, tmp_path):
    url = open_report(page, tmp_path, hostile_report())

    expect(page.get_by_role("status")).to_have_text("FAIL 1 break; 2 drift")
    breaks = page.locator("#breaks")
    expect(breaks.get_by_role("heading", name="history is newest first")).to_be_visible()
    expect(breaks.locator("pre.reproduce")).to_have_text(
        "curl -X GET -H 'Authorization: Bearer [REDACTED]' 'http://127.0.0.1:8000/user/balances/history/?limit=100'")
    expect(breaks.locator("pre.reproduce")).to_be_visible()
    expect(breaks.get_by_text(SCRIPT, exact=True)).to_be_visible()
    expect(breaks.get_by_text(IMAGE, exact=True)).to_be_visible()
    expect(page.locator("#coverage-summary")).to_have_text(
        "9 of 11 documented items checked; 2 holes, marked NOT CHECKED below.")
    expect(page.locator("#coverage tr.hole")).to_have_count(2)

    assert page.locator("script, img").count() == 0
    assert page_events.dialogs == []
    assert page_events.console_errors == [] and page_events.page_errors == []
    assert page_events.requests == [url]


def test_a_passing_run_reads_pass_and_says_what_is_empty(page, page_events, tmp_path):
    open_report(page, tmp_path, sample_report(verdict="pass", breaks=[], drift=[], skipped=[]))

    expect(page.get_by_role("status")).to_have_text("PASS no breaks")
    expect(page.get_by_text("No breaks: every rule that ran held.")).to_be_visible()
    expect(page.get_by_text("No rule was skipped.")).to_be_visible()
    assert page_events.console_errors == [] and page_events.page_errors == []


def test_the_verdict_is_readable_and_nothing_overflows_a_narrow_window(page, tmp_path):
    for verdict in ("pass", "fail"):
        page.set_viewport_size({"width": 640, "height": 900})
        open_report(page, tmp_path, sample_report(verdict=verdict))
        ink, paper = page.locator(".verdict").evaluate(
            "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")
        assert contrast(ink, paper) >= 4.5, (verdict, ink, paper)
        width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], f"the {verdict} page scrolls sideways at 640px: {width}"


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two computed ``rgb(r, g, b)`` colours."""
    def luminance(css: str) -> float:
        channels = [int(c) / 255 for c in css[css.index("(") + 1:css.index(")")].split(",")[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_a_real_run_against_a_broken_server_reads_as_a_failure(page, page_events, tmp_path, capsys, monkeypatch,
                                                               variants_server):
    """The suite's own report of a run against a server whose statistics are off by one."""
    monkeypatch.chdir(tmp_path)
    report = tmp_path / "contract.html"
    run = run_contract(capsys, f"{variants_server.url}/v/ledger-statistics-off", *CREDENTIALS, *WITHOUT_SCHEMA,
                       "--contract-html", str(report))
    assert run.returncode == 1, run.output
    page.goto(report.as_uri())

    expect(page.get_by_role("status")).to_have_text("FAIL 1 break")
    breaks = page.locator("#breaks")
    rule = "statistics count the history's deposits and withdrawals"
    expect(breaks.get_by_role("heading", name=rule)).to_be_visible()
    expect(breaks.locator("pre.reproduce")).to_contain_text("Authorization: Bearer [REDACTED]")
    expect(page.locator("#coverage-summary")).to_contain_text("108 of 108 documented items checked")
    expect(page.get_by_text(f"{variants_server.url}/v/ledger-statistics-off").first).to_be_visible()
    assert page_events.console_errors == [] and page_events.page_errors == []
    assert page_events.requests == [report.as_uri()]
