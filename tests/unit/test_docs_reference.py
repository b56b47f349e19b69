"""The site's reference (``docs/hooks/reference.py``) and its links (``docs/hooks/site.py``):
rendered from the code and the specs, complete against them, and failing loudly where a page
links to nothing."""

from __future__ import annotations

import re
from types import ModuleType, SimpleNamespace

import pytest
import yaml
from mkdocs.exceptions import PluginError

from ..support import ROOT, read_yaml
from ..support.docs import hook


@pytest.fixture(scope="module")
def reference() -> ModuleType:
    return hook("reference")


@pytest.fixture(scope="module")
def site() -> ModuleType:
    return hook("site")


def code_strings(pattern: str) -> set[str]:
    """Every match of ``pattern`` in the product's Python source."""
    return {match for folder in ("mock_server", "contract_tests") for path in (ROOT / folder).rglob("*.py")
            for match in re.findall(pattern, path.read_text(encoding="utf-8"))}


def test_every_variable_the_code_reads_is_on_the_environment_page(reference):
    page = reference.render_environment() + (ROOT / "docs" / "reference" / "environment.md").read_text()
    variables = code_strings(r"\"(BALANCES_[A-Z_]+)\"") | {
        name for path in (ROOT / "tests").rglob("*.py") for name in re.findall(r"\"(BALANCES_[A-Z_]+)\"",
                                                                             path.read_text(encoding="utf-8"))}
    assert len(variables) >= 20
    assert [name for name in sorted(variables) if f"`{name}`" not in page] == []


def test_every_error_code_the_server_answers_is_on_the_errors_page(reference):
    page = reference.render_error_codes() + (ROOT / "docs" / "reference" / "errors.md").read_text()
    answered = (code_strings(r"ApiError\(\s*\d+,\s*\"([a-z_]+)\"") | code_strings(r"TokenError\(\s*\"([a-z_]+)\"")
                | code_strings(r"_unreachable\(\s*\d+,\s*\"([a-z_]+)\"") | code_strings(r"\"(server_error)\"")
                | code_strings(r"\"(service_unavailable)\""))
    assert {"invalid_request", "insufficient_funds", "invalid_client", "upstream_timeout"} <= answered
    assert [code for code in sorted(answered) if f"`{code}`" not in page] == []


def test_the_error_codes_keep_the_envelope_and_the_token_errors_apart(reference):
    codes = reference.error_codes()
    assert ("envelope", "invalid_request") in codes and ("token", "invalid_request") in codes
    assert codes["envelope", "rate_limit_exceeded"]["statuses"] == {"429"}
    assert "POST /__sandbox/transactions" in codes["envelope", "insufficient_funds"]["operations"]


def test_every_decision_of_the_spec_is_on_the_decisions_page(reference):
    page = reference.render_decisions()
    spec = read_yaml(ROOT / "spec" / "openapi.yaml")
    assert [decision for decision in spec["x-decisions"] if f"`{decision}`" not in page] == []
    assert "**Amounts**" in page and "Idempotency-Key" in page
    assert "`limit` of `GET /user/balances/history/`" in page


def test_every_scenario_is_in_the_scenarios_table(reference):
    from mock_server.ledger.scenarios import SCENARIOS

    table = reference.render_scenarios()
    assert [name for name in SCENARIOS if f"| `{name}` |" not in table] == []
    assert "| `paging` |" in table and "3,000" in table


def test_an_operation_shows_its_parameters_scopes_and_answers(reference):
    page = reference.render_operations("openapi.yaml")
    history = page.split("## `GET /user/balances/history/`", 1)[1]
    assert "a bearer token with `read`" in history
    assert "| `limit` | query | integer, min `1`, max `100`, default `20` | no |" in history
    assert '"code": "invalid_request"' in history


def page(src_uri: str, abs_src_path: str) -> SimpleNamespace:
    return SimpleNamespace(file=SimpleNamespace(src_uri=src_uri, abs_src_path=abs_src_path))


class Files:
    def __init__(self, *uris: str) -> None:
        self.uris = set(uris)

    def get_file_from_path(self, uri: str) -> object | None:
        return object() if uri in self.uris else None


def test_repository_links_become_links_between_pages(site):
    files = Files("index.md", "integrators/sandbox.md", "reference/api.md", "architecture.md", "console.png")
    readme = "[sandbox](docs/integrators/sandbox.md#rules) [spec](spec/openapi.yaml) ![x](docs/console.png)"
    assert site.on_page_markdown(readme, page("index.md", str(ROOT / "README.md")), None, files) == (
        "[sandbox](integrators/sandbox.md#rules) [spec](reference/api.md) ![x](console.png)")
    sandbox = "[map](../../ARCHITECTURE.md) [web](https://x.test/a.md) [here](#rules)\n```\n[kept](nowhere.md)\n```\n"
    assert site.on_page_markdown(sandbox, page("integrators/sandbox.md", str(ROOT / "docs/integrators/sandbox.md")),
                                 None, files) == sandbox.replace("../../ARCHITECTURE.md", "../architecture.md")


def test_a_link_to_a_file_the_site_does_not_hold_fails_the_build(site):
    with pytest.raises(PluginError, match="contract_tests/rules.py"):
        site.on_page_markdown("[rules](contract_tests/rules.py)", page("index.md", str(ROOT / "README.md")), None,
                              Files("index.md"))
    with pytest.raises(PluginError, match="no generator named 'nothing'"):
        site.on_page_markdown("::: generated nothing\n", page("x.md", str(ROOT / "docs/x.md")), None, Files())


def test_a_strict_build_fails_on_a_broken_link_an_anchor_or_a_page_missing_from_the_navigation():
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    assert config["validation"]["nav"]["omitted_files"] == "warn"
    assert {config["validation"]["links"][key] for key in ("not_found", "anchors", "unrecognized_links")} == {"warn"}
    assert config["theme"]["font"] == "false" and "repo_url" not in config
