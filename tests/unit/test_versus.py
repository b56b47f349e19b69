"""benchmarks/versus.py runs another revision of the mock from a worktree of its own, and
leaves neither the worktree nor a change in this checkout behind."""

from __future__ import annotations

import subprocess

from benchmarks.versus import checked_out

from ..support import ROOT


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def test_a_revision_is_checked_out_apart_and_removed_afterwards():
    revision = git("rev-parse", "HEAD")
    before = git("status", "--porcelain")
    with checked_out("HEAD") as tree:
        assert tree != ROOT and (tree / "mock_server" / "__init__.py").is_file()
        assert subprocess.run(["git", "rev-parse", "HEAD"], cwd=tree, capture_output=True, text=True,
                              check=True).stdout.strip() == revision
    assert not tree.exists()
    assert str(tree) not in git("worktree", "list")
    assert git("status", "--porcelain") == before


def test_no_revision_is_this_checkout():
    with checked_out(None) as tree:
        assert tree == ROOT
