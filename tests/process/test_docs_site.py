"""The documentation site as ``mkdocs build --strict`` makes it from a checkout: every page of
the navigation, the reference rendered from the code, and nothing loaded from another origin."""

from __future__ import annotations

import json
import re

import click
import pytest
import yaml

from mock_server.commands.main import main

from ..support import ROOT, read_yaml

ASSET = re.compile(r"<(?:script|img|iframe|source|audio|video)\b[^>]*\bsrc=\"([^\"]+)\"|"
                   r"<link\b[^>]*\bhref=\"([^\"]+)\"|url\(\s*['\"]?([^'\")]+)")
"""What a page or stylesheet makes a browser fetch by itself (a plain link waits for a click)."""


@pytest.fixture(scope="module")
def site(docs_site):
    assert docs_site.returncode == 0, docs_site.output
    return docs_site


def nav_pages() -> list[str]:
    def walk(node) -> list[str]:
        if isinstance(node, str):
            return [node]
        if isinstance(node, list):
            return [page for item in node for page in walk(item)]
        return [page for value in node.values() for page in walk(value)]

    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    return walk(config["nav"])


def test_the_site_builds_strictly_with_every_page_of_the_navigation(site):
    pages = nav_pages()
    assert len(pages) >= 30
    missing = [page for page in pages if not (site.folder / page.replace(".md", ".html")).is_file()]
    assert not missing, missing
    assert "WARNING" not in site.output, site.output


def test_nothing_is_fetched_from_another_origin(site):
    assert ASSET.search('<link rel="stylesheet" href="https://fonts.googleapis.com/css">'), "the check sees nothing"
    fetched = []
    for path in [*site.folder.rglob("*.html"), *site.folder.rglob("*.css")]:
        for match in ASSET.finditer(path.read_text(encoding="utf-8")):
            target = next(filter(None, match.groups()))
            if re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", target, re.I) and not target.startswith("data:"):
                fetched.append(f"{path.relative_to(site.folder)}: {target}")
    assert not fetched, fetched
    index = (site.folder / "index.html").read_text(encoding="utf-8")
    assert "fonts.googleapis" not in index and "fonts.gstatic" not in index


def test_the_commands_reference_holds_every_command_and_option(site):
    page = (site.folder / "reference" / "commands.html").read_text(encoding="utf-8")
    absent = []

    def walk(command: click.Command, name: str) -> None:
        if name not in page:
            absent.append(name)
        for parameter in command.params:
            absent.extend(f"{name} {flag}" for flag in parameter.opts if flag.startswith("--") and flag not in page)
        if isinstance(command, click.Group):
            context = click.Context(command)
            for sub_name in command.list_commands(context):
                walk(command.get_command(context, sub_name), f"{name} {sub_name}")

    walk(main, "balances-mock")
    assert not absent, absent
    assert "Sentinel" not in page and "<code>127.0.0.1</code>" in page  # defaults as click knows them


def test_the_reference_renders_both_specs_operation_by_operation(site, spec):
    api = (site.folder / "reference" / "api.html").read_text(encoding="utf-8")
    sandbox = (site.folder / "reference" / "sandbox-api.html").read_text(encoding="utf-8")
    sandbox_spec = read_yaml(ROOT / "spec" / "sandbox.yaml")
    for document, page in ((spec, api), (sandbox_spec, sandbox)):
        for path, item in document["paths"].items():
            for method, operation in item.items():
                assert f"{method.upper()} {path}" in page and operation["operationId"] in page


def test_search_is_built_in_and_indexes_every_page(site):
    index = json.loads((site.folder / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {document["location"].split("#")[0] for document in index["docs"]}
    assert {page.replace(".md", ".html") for page in nav_pages()} <= locations | {"index.html"}
    assert any("idempotency" in document["text"].lower() for document in index["docs"])


def test_the_readmes_picture_is_in_the_site(site):
    assert (site.folder / "console.png").read_bytes() == (ROOT / "docs" / "console.png").read_bytes()
    assert 'src="console.png"' in (site.folder / "index.html").read_text(encoding="utf-8")
