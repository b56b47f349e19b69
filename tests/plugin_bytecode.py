"""pytest keeps its rewritten copies of the installed plugins in the virtualenv, even where
``PYTHONDONTWRITEBYTECODE`` is set; the checkout still gets no bytecode.

pytest rewrites the asserts of every module of every installed package that declares a pytest
plugin (schemathesis, hypothesis, Faker, anyio, xdist, platformdirs: over 300 modules) and
keeps the result beside the module, as bytecode of its own, unless bytecode may not be written.
It reads a kept copy either way. With ``PYTHONDONTWRITEBYTECODE=1`` nothing was ever kept, so
every pytest process of the suite (each xdist worker, each session of the pytest plugin's tests,
each ``balances-mock contract``) parsed and rewrote all of them again: about 2 s of CPU a
process, some 25 s of the suite's.

This plugin is loaded with ``-p`` (``pyproject.toml``), so it is registered before pytest imports
the installed plugins. It lets pytest's import hook write for a module inside this interpreter's
prefix (the virtualenv, where pip wrote the bytecode of every installed module already) and
leaves the user's setting in force for everything else: the project's own modules and tests get
no ``__pycache__``.
"""

from __future__ import annotations

import sys
from collections.abc import MutableSequence
from pathlib import Path
from types import ModuleType
from typing import Any

_WRAPPED = "_writes_installed_rewrites"


def inside(prefix: Path, module: ModuleType) -> bool:
    """Whether ``module`` was loaded from a file under ``prefix``."""
    origin = module.__spec__.origin if module.__spec__ else None
    return origin is not None and Path(origin).resolve().is_relative_to(prefix.resolve())


def keep_installed_rewrites(meta_path: MutableSequence[Any], prefix: Path) -> bool:
    """Wrap the newest assert-rewriting import hook on ``meta_path`` so that it may write its
    bytecode for modules under ``prefix`` while ``sys.dont_write_bytecode`` is set. False where
    there is nothing to do: no such hook (``--assert=plain``), bytecode written anyway, or the hook
    wrapped already (an in-process ``pytest.main`` registers this plugin again)."""
    hook = next((finder for finder in meta_path if type(finder).__name__ == "AssertionRewritingHook"), None)
    if hook is None or not sys.dont_write_bytecode or getattr(hook, _WRAPPED, False):
        return False
    rewrite = hook.exec_module

    def exec_module(module: ModuleType) -> None:
        asked = sys.dont_write_bytecode
        sys.dont_write_bytecode = asked and not inside(prefix, module)
        try:
            rewrite(module)
        finally:
            sys.dont_write_bytecode = asked

    hook.exec_module = exec_module
    setattr(hook, _WRAPPED, True)
    return True


def pytest_plugin_registered(plugin: object) -> None:
    """Called first for this module itself, before pytest loads the installed plugins."""
    if plugin is sys.modules[__name__]:
        keep_installed_rewrites(sys.meta_path, Path(sys.prefix))
