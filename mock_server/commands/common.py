"""What more than one command needs: the version the package reports, and the contract suite's
options, which ``record`` offers too."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from contract_tests.options import OPTIONS as CONTRACT_OPTIONS


def package_version() -> str:
    try:
        return version("balances-mock")
    except PackageNotFoundError:
        return "unknown"


def contract_option(flag: str) -> Any:
    """The contract suite's option ``flag``: its environment variable and default serve both commands."""
    return next(option for option in CONTRACT_OPTIONS if option.flag == flag)
