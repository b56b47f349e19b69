"""contract_tests tests any implementation from the outside, so it must not lean on the mock."""

from __future__ import annotations

import ast

from ..support import ROOT


def test_contract_tests_import_nothing_from_mock_server():
    for source in (ROOT / "contract_tests").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.split(".")[0] == "mock_server" for n in names), source
