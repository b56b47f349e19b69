"""The README stays true: its quick-start test command is what CI runs, and it stays a front
page whose links lead into the documentation site."""

from __future__ import annotations

import re

import yaml

from ..support import ROOT
from ..support.docs import hook

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = readme().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_quick_start_is_two_commands_and_ci_runs_the_second():
    start, test = quick_start_commands()
    assert "balances-mock serve" in start
    assert test in (ROOT / ".ci" / "run").read_text().splitlines()


def test_the_readme_is_a_front_page():
    text = readme()
    assert len(text.splitlines()) <= 160, "the README is the front page: move the detail into a page of docs/"
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings[:3] == ["Quick start", "A short tour", "Find your way"], headings


def test_every_link_of_the_readme_leads_to_a_page_of_the_site_by_a_relative_path():
    """Relative links work on any forge; in the site, the hook turns each into the page it names."""
    links = [target for target in LINK.findall(readme()) if not re.match(r"^[a-z]+:", target)]
    assert len(links) >= 20
    pages = set(_nav_pages())
    for target in links:
        path = target.split("#", 1)[0]
        assert (ROOT / path).is_file(), f"README links to {target}, which is not a file of the repository"
        in_site = hook("site").site_path(path)
        assert in_site in pages or in_site == "console.png", f"README links to {target}, which no page shows"
    sections = {page.split("/")[0] for page in pages if "/" in page}
    linked = {path.removeprefix("docs/").split("/")[0] for path in links if path.startswith("docs/")}
    assert sections - {"performance"} <= linked, f"the README leads to no page of {sections - linked}"


def _nav_pages() -> list[str]:
    def walk(node) -> list[str]:
        if isinstance(node, str):
            return [node]
        items = node if isinstance(node, list) else list(node.values())
        return [page for item in items for page in walk(item)]

    return walk(yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)["nav"])
