"""The suite's pytest keeps its rewritten copies of installed plugins in the virtualenv under
``PYTHONDONTWRITEBYTECODE``, and writes no bytecode into the checkout (``tests/plugin_bytecode.py``)."""

from __future__ import annotations

import sys
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

import pytest

from tests.plugin_bytecode import keep_installed_rewrites


class AssertionRewritingHook:
    """Stands in for pytest's hook of that name: records whether bytecode could be written."""

    def __init__(self, fails: bool = False) -> None:
        self.seen: list[tuple[str, bool]] = []
        self.fails = fails

    def exec_module(self, module: ModuleType) -> None:
        self.seen.append((module.__name__, sys.dont_write_bytecode))
        if self.fails:
            raise ImportError(module.__name__)


def module_at(path: Path) -> ModuleType:
    module = ModuleType(path.stem)
    module.__spec__ = ModuleSpec(path.stem, None, origin=str(path))
    return module


def test_a_module_in_the_venv_may_be_written_and_one_in_the_checkout_may_not(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    venv, hook = tmp_path / "venv", AssertionRewritingHook()
    assert keep_installed_rewrites([object(), hook], venv)

    hook.exec_module(module_at(venv / "lib" / "site-packages" / "plugin.py"))
    hook.exec_module(module_at(tmp_path / "tests" / "test_x.py"))

    assert hook.seen == [("plugin", False), ("test_x", True)]
    assert sys.dont_write_bytecode is True  # the user's setting, back after each import


def test_the_setting_comes_back_when_an_import_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    hook = AssertionRewritingHook(fails=True)
    keep_installed_rewrites([hook], tmp_path)
    with pytest.raises(ImportError):
        hook.exec_module(module_at(tmp_path / "allure.py"))
    assert hook.seen == [("allure", False)] and sys.dont_write_bytecode is True


def test_nothing_is_wrapped_twice_nor_where_bytecode_is_written_anyway(tmp_path, monkeypatch):
    hook = AssertionRewritingHook()
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert not keep_installed_rewrites([hook], tmp_path)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert keep_installed_rewrites([hook], tmp_path)
    assert not keep_installed_rewrites([hook], tmp_path)  # an in-process pytest.main registers it again
    assert not keep_installed_rewrites([object()], tmp_path)  # --assert=plain: no hook at all


def test_this_session_loaded_it_before_the_installed_plugins(pytestconfig):
    """``-p tests.plugin_bytecode`` in pyproject.toml: the hook of this very process is wrapped
    wherever bytecode may not be written, so the plugins it imported were kept."""
    assert pytestconfig.pluginmanager.has_plugin("tests.plugin_bytecode")
    hook = next(finder for finder in sys.meta_path if type(finder).__name__ == "AssertionRewritingHook")
    assert getattr(hook, "_writes_installed_rewrites", False) is bool(sys.flags.dont_write_bytecode)
