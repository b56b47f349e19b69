"""The architecture ARCHITECTURE.md draws, held by tools: import-linter's contracts (in
pyproject.toml) and no import cycle anywhere, ``TYPE_CHECKING`` imports included."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import grimp
import pytest
from importlinter.application.use_cases import lint_imports
from importlinter.configuration import configure

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("mock_server", "contract_tests")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def layers_contract() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return next(contract for contract in config["contracts"] if contract["type"] == "layers")


def as_layers(contract: dict) -> list[grimp.Layer]:
    """import-linter's layer strings (``a | b`` independent siblings, ``a : b`` not) as grimp's."""
    layers = []
    for line in contract["layers"]:
        independent = ":" not in line
        layers.append(grimp.Layer(*(name.strip() for name in line.replace(":", "|").split("|")),
                                  independent=independent))
    return layers


def test_every_import_linter_contract_is_kept(capsys):
    configure()
    kept = lint_imports(config_filename=str(ROOT / "pyproject.toml"), cache_dir=None, no_logo=True)
    assert kept, "an import breaks the architecture (the broken contract by name):\n" + capsys.readouterr().out


def test_no_module_imports_itself_through_others(graph):
    cycles = strongly_connected(graph)
    assert not cycles, "import cycles (each a set of modules that import each other):\n" + "\n".join(
        " <-> ".join(sorted(cycle)) for cycle in cycles)


def test_the_layers_contract_refuses_an_import_back_up(graph):
    """The contract is not vacuous: the pipeline importing the journal (the loop this layout
    broke) is exactly what it reports."""
    contract = layers_contract()
    containers = set(contract["containers"])
    assert not graph.find_illegal_dependencies_for_layers(layers=as_layers(contract), containers=containers)
    graph.add_import(importer="mock_server.twin.pipeline", imported="mock_server.journal.journal")
    try:
        illegal = graph.find_illegal_dependencies_for_layers(layers=as_layers(contract), containers=containers)
    finally:
        graph.remove_import(importer="mock_server.twin.pipeline", imported="mock_server.journal.journal")
    assert {(d.importer, d.imported) for d in illegal} == {("mock_server.twin", "mock_server.journal")}


def test_a_module_loop_is_found(graph):
    """The cycle check finds a loop when there is one (so its silence above means something)."""
    graph.add_import(importer="mock_server.ledger.ledger", imported="mock_server.ledger.render")
    try:
        cycles = strongly_connected(graph)
    finally:
        graph.remove_import(importer="mock_server.ledger.ledger", imported="mock_server.ledger.render")
    assert {"mock_server.ledger.ledger", "mock_server.ledger.render"} in [set(cycle) for cycle in cycles]


def strongly_connected(graph: grimp.ImportGraph) -> list[set[str]]:
    """The sets of two or more modules that import each other, directly or not (Tarjan's
    algorithm, iterative: the graph is small but recursion would hide the loop in a traceback)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[set[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_every_path_and_name_architecture_md_gives_exists():
    """ARCHITECTURE.md is a map a newcomer searches with: each path it names is in the tree,
    each bare file name is in a package, and each code name is defined where the code is."""
    text = (ROOT / "ARCHITECTURE.md").read_text()
    names = set(re.findall(r"`([^`\n]+)`", text))
    sources = "\n".join(path.read_text() for folder in PACKAGES for path in (ROOT / folder).rglob("*.py"))
    missing = []
    api = "\n".join(path.read_text() for path in (ROOT / "spec").glob("*.yaml")) + sources
    for name in sorted(names):
        if name.isupper() or (ROOT / name).is_dir():  # an HTTP method; a top-level package
            continue
        if name.startswith("/"):  # a path of the API or of the sandbox
            if name not in api:
                missing.append(name)
        elif "/" in name and " " not in name:
            if not (ROOT / name.rstrip("/")).exists():
                missing.append(name)
        elif re.fullmatch(r"\w+\.(py|md|yaml|yml|toml)", name):
            if not any(ROOT.glob(f"**/{name}")):
                missing.append(name)
        elif re.fullmatch(r"[A-Za-z_]\w*(\.\w+)?(\(\w*\))?", name):
            for part in re.sub(r"\(.*\)", "", name).split("."):
                if not re.search(rf"^\s*(def|class) {part}\b|^{part}\b\s*[:=]", sources, re.MULTILINE):
                    missing.append(name)
    assert not missing, f"ARCHITECTURE.md names what the tree does not have: {missing}"
