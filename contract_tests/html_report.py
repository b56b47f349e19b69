"""A run of the contract suite as one self-contained HTML page, for a person who did not run it.

The page reads the run report (a plain dict the suite builds at the end of a run) and nothing
else: inline CSS, no script, no font, image or link that leaves the file, so it opens from a CI
artifact with no network. A Content-Security-Policy that allows nothing but the inline style
says so to the browser too.

Every value in the report is untrusted text: ``got`` holds what a server answered. Values reach
the page only through ``_text`` (``html.escape``); the markup around them is this module's own.
The same report gives the same bytes: nothing here reads a clock.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

SLOWEST = 15
"""How many of the slowest tests the timings section lists."""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

_CSS = """
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --zebra: #f6f8fa;
  --pass: #116329; --fail: #a40e26; --hole: #fff1c2; --hole-line: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 72rem; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 2.5rem 0 .75rem; padding-bottom: .3rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; overflow-wrap: anywhere; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: .875rem; }
pre { margin: 0; padding: .6rem .8rem; background: var(--zebra); border: 1px solid var(--line);
  border-radius: 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
.verdict { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; padding: 1rem 1.25rem;
  border-radius: 8px; color: #fff; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.verdict.pass { background: var(--pass); }
.verdict.fail { background: var(--fail); }
.verdict strong { font-size: 2.4rem; letter-spacing: .06em; line-height: 1; }
.verdict span { font-size: 1.15rem; }
.counts { color: var(--muted); margin: .6rem 0 0; }
.empty { color: var(--muted); font-style: italic; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .4rem .6rem; border-bottom: 1px solid var(--line);
  overflow-wrap: anywhere; }
thead th { border-bottom: 2px solid var(--line); white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--zebra); }
table.settings { width: auto; min-width: 50%; }
table.settings th { width: 12rem; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.coverage thead th:first-child { width: 16rem; }
table.coverage thead th:nth-child(2) { width: 9rem; }
tr.status th { background: #eef1f4; font-weight: 600; }
tr.hole, tbody tr.hole:nth-child(even) { background: var(--hole); }
tr.hole td:first-child { box-shadow: inset 4px 0 0 var(--hole-line); }
.tag { display: inline-block; padding: 0 .4rem; border-radius: 4px; font-size: .8rem; font-weight: 600;
  border: 1px solid currentColor; white-space: nowrap; }
.tag.hole { color: #6b4700; }
.tag.failed { color: var(--fail); }
ul.rules { margin: 0; padding: 0; list-style: none; }
ul.rules li + li { margin-top: .25rem; }
article.finding { border: 1px solid var(--line); border-left: 4px solid var(--fail); border-radius: 6px;
  padding: .75rem 1rem; margin: 0 0 1rem; break-inside: avoid; }
article.finding.drift { border-left-color: var(--hole-line); }
article.finding h3 { margin: 0 0 .5rem; }
dl.fields { display: grid; grid-template-columns: 8rem minmax(0, 1fr); gap: .35rem .75rem; margin: 0; }
dl.fields dt { font-weight: 600; color: var(--muted); }
dl.fields dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.summary { font-weight: 600; }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  tr, pre { break-inside: avoid; }
}
"""


def render_html(report: Mapping[str, Any]) -> str:
    """The run report as one HTML5 document that needs nothing outside itself."""
    base_url = _text(report["settings"].get("base_url"))
    sections = (
        _header(report),
        _settings(report),
        _findings("breaks", "Breaks", report["breaks"], "No breaks: every rule that ran held.", drift=False),
        _findings("drift", "Drift: where this server differs from the mock's assumptions", report["drift"],
                  "No drift: on every decision the suite checked, this server behaves as the mock assumes.",
                  drift=True),
        _decisions(report.get("decisions", [])),
        _skipped(report["skipped"]),
        _coverage(report["coverage"]),
        _timings(report["timings"]),
    )
    return "\n".join((
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Contract report: {base_url}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        *sections,
        "<footer>Written by balances-mock's contract suite (contract_tests). "
        "Every value above is what the run recorded, shown as text.</footer>",
        "</main>",
        "</body>",
        "</html>",
        "",
    ))


def write_html(report: Mapping[str, Any], path: Path) -> None:
    """Writes the page to ``path`` in one step: a reader sees the old file or the new, never half."""
    document = render_html(report).encode("utf-8")
    path = Path(path)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(document)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the page from a CI artifact server
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def verdict_reason(report: Mapping[str, Any]) -> str:
    """The verdict's one-line reason: what failed the run, or why it passed."""
    breaks, drift = len(report["breaks"]), len(report["drift"])
    strict_drift = bool(drift and report.get("strict"))
    parts = [_plural(breaks, "break", "breaks")] if breaks else [] if strict_drift else ["no breaks"]
    if strict_drift:
        parts.append(f"strict: {drift} drift fail the run")
    elif drift:
        parts.append(f"{drift} drift")
    if report["verdict"] != "pass" and not breaks and not strict_drift:
        parts.append("the run failed for another reason: see the test output")
    return "; ".join(parts)


def holes(coverage: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The documented items no rule observed."""
    return [item for item in coverage["items"] if not item["rules"]]


# Sections, in the order a reader needs them.


def _header(report: Mapping[str, Any]) -> str:
    passed = report["verdict"] == "pass"
    counts = report.get("counts") or {}
    summary = ", ".join(f"{_text(counts[key])} {label}" for key, label in (
        ("passed", "passed"), ("failed", "failed"), ("drift", "drift"), ("skipped", "skipped"))
        if key in counts)
    rules = f"{_text(counts['rules'])} rules: " if "rules" in counts else ""
    return "\n".join((
        "<header>",
        f"<h1>Contract report: {_text(report['settings'].get('base_url'))}</h1>",
        f'<div class="verdict {"pass" if passed else "fail"}" role="status">'
        f"<strong>{'PASS' if passed else 'FAIL'}</strong> <span>{_text(verdict_reason(report))}</span></div>",
        f'<p class="counts">{rules}{summary}</p>' if summary else "",
        "</header>",
    ))


def _settings(report: Mapping[str, Any]) -> str:
    settings = report["settings"]
    budget = settings.get("max_requests")
    sent = report.get("requests_sent")
    rows = (
        ("Base URL", _code(settings.get("base_url"))),
        ("Seed", _text(settings.get("seed"))),
        ("Examples", f"{_text(settings.get('examples'))} per operation and mode"),
        ("Request budget", _text(budget)),
        ("Window", f"{_text(settings.get('window'))} newest history entries"),
        ("Spec", _code(settings.get("spec"))),
        ("Strict", "yes: drift fails the run" if report.get("strict") else "no: drift is reported, not failed"),
        ("Requests sent", _text(sent) + (f" of {_text(budget)}" if budget is not None and sent is not None else "")),
        ("Started at", _text(report.get("started_at"))),
        ("Duration", _seconds(report.get("duration_s"))),
    )
    body = "\n".join(f"<tr><th scope=\"row\">{label}</th><td>{value}</td></tr>" for label, value in rows)
    return f'<section id="settings">\n<h2>Settings</h2>\n<table class="settings">\n<tbody>\n{body}\n</tbody>\n' \
           "</table>\n</section>"


def _findings(anchor: str, title: str, findings: Sequence[Mapping[str, Any]], empty: str, *, drift: bool) -> str:
    lines = [f'<section id="{anchor}">', f"<h2>{title} ({len(findings)})</h2>"]
    if not findings:
        lines.append(f'<p class="empty">{empty}</p>')
    for finding in findings:
        fields = [("Basis", _text(finding.get("basis")))]
        if drift:
            fields.append(("Decision", _code(finding.get("decision"))))
        fields += [
            ("Test", _code(finding.get("test"))),
            ("Expected", _pre(finding.get("expected"))),
            ("Got", _pre(finding.get("got"))),
            ("Reproduce", _pre(finding.get("reproduce"), "reproduce")),
        ]
        lines += [
            f'<article class="finding{" drift" if drift else ""}">',
            f"<h3>{_text(finding.get('rule'))}</h3>",
            '<dl class="fields">',
            *(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in fields),
            "</dl>",
            "</article>",
        ]
    lines.append("</section>")
    return "\n".join(lines)


def _decisions(decisions: Sequence[Mapping[str, Any]]) -> str:
    """Each decision of the spec, its verdict and check, and the documented promises its check
    still holds inside the decided answer (and the documented items they hold)."""
    title = f"Decisions of the spec ({len(decisions)})"
    if not decisions:
        return _section("decisions", title, '<p class="empty">The spec lists no decision.</p>')
    rows = []
    for row in decisions:
        promises = "<br>".join(
            f"{'BROKEN: ' if p.get('broken') else ''}{_text(p.get('rule'))} [{_text(p.get('basis'))}]"
            + (f" ({_text(', '.join(p.get('items') or []))})" if p.get("items") else "")
            for p in row.get("promises", [])) or _text(None)
        rows.append((_code(row.get("id")), _text(row.get("verdict")), _text(row.get("decision")),
                     _code(row.get("check")), promises))
    return _section("decisions", title, _table(("Decision", "Verdict", "What the spec decided", "Check",
                                                "Promises its check still holds"), rows))


def _skipped(skipped: Sequence[Mapping[str, Any]]) -> str:
    if not skipped:
        return _section("skipped", f"Skipped rules ({len(skipped)})", '<p class="empty">No rule was skipped.</p>')
    rows = [(_text(s.get("rule")), _code(s.get("test")), _text(s.get("reason"))) for s in skipped]
    return _section("skipped", f"Skipped rules ({len(skipped)})", _table(("Rule", "Test", "Reason"), rows))


def _coverage(coverage: Mapping[str, Any]) -> str:
    items = coverage["items"]
    missing = holes(coverage)
    checked = len(items) - len(missing)
    lines = [
        f'<p class="summary" id="coverage-summary">{checked} of {len(items)} documented items checked'
        f"{'; ' + _plural(len(missing), 'hole', 'holes') + ', marked NOT CHECKED below' if missing else ''}.</p>",
    ]
    if not items:
        lines.append('<p class="empty">The run recorded no coverage.</p>')
    for (operation, method, path), statuses in _grouped(items).items():
        lines += [
            f"<h3>{_text(operation)} <span class=\"mono\">{_text(method)} {_text(path)}</span></h3>",
            '<table class="coverage">',
            '<thead><tr><th scope="col">Item</th><th scope="col">Basis</th>'
            '<th scope="col">Rules that observed it</th></tr></thead>',
            "<tbody>",
        ]
        for status, group in statuses.items():
            lines.append(f'<tr class="status"><th colspan="3" scope="rowgroup">Status {_text(status)}</th></tr>')
            for item in group:
                hole = not item["rules"]
                row = '<tr class="hole">' if hole else "<tr>"
                lines.append(
                    f"{row}<td>{_code(item.get('part'))}</td>"
                    f"<td>{_text(item.get('basis'))}</td><td>{_observers(item['rules'])}</td></tr>")
        lines += ["</tbody>", "</table>"]
    return _section("coverage", "Coverage", "\n".join(lines))


def _timings(timings: Sequence[Mapping[str, Any]]) -> str:
    slowest = sorted(timings, key=lambda t: -float(t.get("seconds") or 0))[:SLOWEST]
    title = f"Timings: the {min(len(timings), SLOWEST)} slowest tests"
    if not slowest:
        return _section("timings", "Timings", '<p class="empty">The run recorded no timings.</p>')
    rows = "\n".join(f"<tr><td>{_code(t.get('test'))}</td><td class=\"num\">{_number(t.get('seconds'))}</td></tr>"
                     for t in slowest)
    table = ('<table>\n<thead><tr><th scope="col">Test</th><th scope="col" class="num">Seconds</th></tr></thead>\n'
             f"<tbody>\n{rows}\n</tbody>\n</table>")
    return _section("timings", title, table)


# Pieces.


def _text(value: Any) -> str:
    """Any report value as escaped text; a missing one as a dash."""
    return "\u2014" if value is None or value == "" else escape(str(value), quote=True)


def _code(value: Any) -> str:
    return f"<code>{_text(value)}</code>"


def _pre(value: Any, css: str = "") -> str:
    opening = f'<pre class="{css}">' if css else "<pre>"
    return f"{opening}<code>{_text(value)}</code></pre>"


def _seconds(value: Any) -> str:
    return f"{_number(value, 1)} s" if value is not None else _text(value)


def _number(value: Any, places: int = 2) -> str:
    try:
        return f"{float(value):.{places}f}"
    except (TypeError, ValueError):
        return _text(value)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}">\n<h2>{title}</h2>\n{body}\n</section>'


def _table(headings: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    head = "".join(f'<th scope="col">{h}</th>' for h in headings)
    body = "\n".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _grouped(items: Sequence[Mapping[str, Any]]) -> dict[tuple[Any, Any, Any], dict[Any, list[Mapping[str, Any]]]]:
    """Items by operation, then by status, each in the order the report first names it."""
    groups: dict[tuple[Any, Any, Any], dict[Any, list[Mapping[str, Any]]]] = {}
    for item in items:
        operation = (item.get("operation"), item.get("method"), item.get("path"))
        groups.setdefault(operation, {}).setdefault(item.get("status"), []).append(item)
    return groups


def _observers(rules: Sequence[Mapping[str, Any]]) -> str:
    if not rules:
        return '<span class="tag hole">NOT CHECKED</span> no rule observed this item'
    entries = []
    for rule in rules:
        failed = int(rule.get("failed") or 0)
        flag = ' <span class="tag failed">FAILED</span>' if failed else ""
        entries.append(f"<li>{_code(rule.get('rule'))} \u00b7 {_text(rule.get('passed'))} passed, "
                       f"{_text(rule.get('failed'))} failed{flag}</li>")
    return '<ul class="rules">' + "".join(entries) + "</ul>"
