"""The run report's HTML page: every value shown as text, nothing fetched, a verdict that explains itself."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from contract_tests.html_report import render_html, verdict_reason, write_html

from ..support.report_sample import sample_report

HOSTILE = "<script>alert(1)</script>"


class _Tags(HTMLParser):
    """Every start tag of a document with its attributes, and the text of its <style> blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def parsed(document: str) -> _Tags:
    tags = _Tags()
    tags.feed(document)
    return tags


def hostile_report() -> dict:
    """The sample with the hostile string in every text field a server or a user could fill."""
    report = sample_report()
    report["settings"]["base_url"] = f"http://evil.example/{HOSTILE}"
    report["settings"]["spec"] = HOSTILE
    for finding in report["breaks"] + report["drift"]:
        for key in ("rule", "basis", "test", "expected", "got", "reproduce"):
            finding[key] = f"{key} {HOSTILE}"
    report["drift"][0]["decision"] = HOSTILE
    report["skipped"][0].update(test=HOSTILE, rule=HOSTILE, reason=HOSTILE)
    item = report["coverage"]["items"][0]
    item.update(operation=HOSTILE, path=HOSTILE, status=HOSTILE, part=HOSTILE, basis=HOSTILE)
    item["rules"][0]["rule"] = HOSTILE
    report["timings"][0]["test"] = HOSTILE
    report["started_at"] = HOSTILE
    return report


def test_every_value_is_escaped_and_no_script_tag_comes_from_the_data():
    document = render_html(hostile_report())
    assert HOSTILE not in document
    assert "<script" not in document.lower()
    assert not [tag for tag, _ in parsed(document).tags if tag == "script"]
    assert document.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 20


def test_a_quote_in_a_value_cannot_leave_an_attribute():
    document = render_html(sample_report(breaks=[{**sample_report()["breaks"][0], "got": '" onmouseover="x'}]))
    assert 'onmouseover="x' not in document
    assert not [attrs for _, attrs in parsed(document).tags if any(a.startswith("on") for a in attrs)]


def test_nothing_is_fetched_from_anywhere():
    tags = parsed(render_html(hostile_report()))
    for tag, attrs in tags.tags:
        for name in ("src", "href", "srcset", "action", "poster", "data"):
            assert name not in attrs, (tag, attrs)
        assert tag not in ("link", "img", "iframe", "object", "embed", "base", "script"), tag
    assert "url(" not in "".join(tags.styles) and "@import" not in "".join(tags.styles)
    assert "<style>" in render_html(sample_report())  # the style is inline, not linked


def test_a_content_security_policy_allows_only_the_inline_style():
    csp = [a["content"] for tag, a in parsed(render_html(sample_report())).tags
           if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy"]
    assert csp and csp[0].startswith("default-src 'none'")
    assert "script-src" not in csp[0]


def test_title_names_the_base_url_and_the_verdict_reads_fail_with_its_reason():
    document = render_html(sample_report())
    assert "<title>Contract report: http://127.0.0.1:8000</title>" in document
    assert re.search(r'class="verdict fail"[^>]*><strong>FAIL</strong> <span>1 break; 2 drift</span>', document)


@pytest.mark.parametrize(("changes", "reason"), [
    ({"breaks": [], "drift": [], "verdict": "pass"}, "no breaks"),
    ({"breaks": [], "verdict": "pass"}, "no breaks; 2 drift"),
    ({"breaks": [], "strict": True}, "strict: 2 drift fail the run"),
    ({"drift": []}, "1 break"),
    ({"drift": [], "breaks": sample_report()["breaks"] * 3}, "3 breaks"),
    ({"strict": True}, "1 break; strict: 2 drift fail the run"),
    ({"breaks": [], "drift": []}, "no breaks; the run failed for another reason: see the test output"),
])
def test_verdict_reason(changes, reason):
    report = sample_report(**changes)
    assert verdict_reason(report) == reason
    word = "PASS" if report["verdict"] == "pass" else "FAIL"
    assert f"<strong>{word}</strong> <span>{reason}</span>" in render_html(report)


def test_holes_are_counted_at_the_top_of_coverage_and_marked_in_their_rows():
    document = render_html(sample_report())
    coverage = document.split('<section id="coverage">', 1)[1]
    assert coverage.index("9 of 11 documented items checked; 2 holes") < coverage.index("<table")
    assert document.count('<tr class="hole">') == 2 == document.count("NOT CHECKED</span>")


def test_full_coverage_says_so_without_holes():
    items = [i for i in sample_report()["coverage"]["items"] if i["rules"]]
    document = render_html(sample_report(coverage={"reached": 9, "total": 9, "items": items}))
    assert "9 of 9 documented items checked." in document and 'class="hole"' not in document


def test_coverage_is_grouped_by_operation_then_status():
    document = render_html(sample_report())
    headings = re.findall(r"<h3>(\w+) <span", document)
    assert headings == ["getBalanceHistory", "getBalances", "getToken"]
    history = document.split("<h3>getBalanceHistory", 1)[1].split("<h3>", 1)[0]
    assert re.findall(r"Status (\d+)", history) == ["200", "400", "429"]


def test_sections_come_in_the_order_a_reader_needs_them():
    document = render_html(sample_report())
    anchors = re.findall(r'<section id="([a-z]+)">', document)
    assert anchors == ["settings", "breaks", "drift", "decisions", "skipped", "coverage", "timings"]


def test_the_decisions_are_listed_with_their_verdicts_checks_and_promises():
    decisions = [{"id": "offset-past-the-end", "decision": "an empty page <past> the end", "verdict": "drift",
                  "check": "test_pagination.py::test_offset_past_the_end_gives_an_empty_page",
                  "promises": [{"rule": "past the end, total is the total", "basis": "docs",
                                "items": ["getBalanceHistory 200 body total"], "broken": True}]}]
    document = render_html({**sample_report(), "decisions": decisions})
    section = document.split('<section id="decisions">', 1)[1].split("</section>", 1)[0]
    assert "<code>offset-past-the-end</code>" in section and "<td>drift</td>" in section
    assert "an empty page &lt;past&gt; the end" in section
    assert "BROKEN: past the end, total is the total [docs] (getBalanceHistory 200 body total)" in section
    assert document.index('class="verdict') < document.index('<section id="settings">')


def test_empty_sections_say_they_are_empty():
    document = render_html(sample_report(breaks=[], drift=[], skipped=[], timings=[], verdict="pass"))
    for text in ("No breaks: every rule that ran held.", "No drift:", "No rule was skipped.",
                 "The run recorded no timings."):
        assert text in document


def test_timings_list_the_fifteen_slowest_slowest_first():
    document = render_html(sample_report())
    timings = document.split('<section id="timings">', 1)[1]
    seconds = [float(s) for s in re.findall(r'class="num">([\d.]+)<', timings)]
    assert len(seconds) == 15 and seconds == sorted(seconds, reverse=True) and seconds[0] == 2.41


def test_settings_show_every_knob_of_the_run():
    settings = render_html(sample_report()).split('<section id="settings">', 1)[1].split("</section>", 1)[0]
    for label, value in (("Seed", "1"), ("Request budget", "3000"), ("Requests sent", "812 of 3000"),
                         ("Started at", "2026-11-25T10:00:00Z"), ("Duration", "6.2 s"),
                         ("Spec", "<code>/work/balances-mock/spec/openapi.yaml</code>")):
        assert f'<th scope="row">{label}</th><td>{value}' in settings


def test_the_same_report_gives_the_same_bytes():
    assert render_html(sample_report()) == render_html(sample_report())


def test_write_html_replaces_the_file_and_leaves_no_temporary_file(tmp_path: Path):
    target = tmp_path / "report.html"
    target.write_text("old")
    write_html(sample_report(), target)
    assert target.read_text(encoding="utf-8") == render_html(sample_report())
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    assert target.stat().st_mode & 0o644 == 0o644


def test_write_html_writes_utf8(tmp_path: Path):
    target = tmp_path / "report.html"
    write_html(sample_report(started_at="le 25 novembre \u2014 \u20ac"), target)
    assert "le 25 novembre \u2014 \u20ac" in target.read_bytes().decode("utf-8")


def test_write_html_that_fails_leaves_the_old_file_and_no_temporary_file(tmp_path: Path, monkeypatch):
    def refuse(src, dst):
        raise OSError("disk full")

    target = tmp_path / "report.html"
    target.write_text("old")
    monkeypatch.setattr("contract_tests.html_report.os.replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_html(sample_report(), target)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["report.html"]
