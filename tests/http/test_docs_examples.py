"""The documentation's Python examples that need no server: run as a user copies them."""

from __future__ import annotations

from ..support.docs import python_block


def test_the_embedding_example_runs():
    block = python_block("docs/integrators/mock.md", "embedding.py")
    names: dict = {}
    exec(compile(block.text, block.where, "exec"), names)
    assert names["page"]["total"] == 1000 and names["page"]["history"][0]["timestamp"] == "2025-01-15T09:30:00Z"
