"""balances-mock: an offline twin of the Cryptofuse account-balances API.

The packages, from the top down (each may import only those below it; ARCHITECTURE.md maps
them): ``commands`` and ``testing``; ``app`` (the factory); ``console``, ``proxy``,
``record``, ``sandbox`` and ``serving``; ``journal``; ``twin``; ``state``; ``ledger``; and
the foundation modules ``settings``, ``spec``, ``errors`` and ``serializer``.

``create_app``, ``Settings`` and ``Client`` are imported on first use, not with the package:
the pytest plugin (``mock_server.testing.pytest_plugin``) loads in every test session of a project
that installs balances-mock, and must not pull in Flask and the spec validator to do so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_server.app import create_app
    from mock_server.settings import Client, Settings

__all__ = ["Client", "Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from mock_server.app import create_app
        return create_app
    if name in ("Client", "Settings"):
        from mock_server import settings
        return getattr(settings, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
