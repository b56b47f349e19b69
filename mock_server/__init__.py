"""balances-mock: an offline twin of the Cryptofuse account-balances API."""

from .app import create_app
from .settings import Client, Settings

__all__ = ["Client", "Settings", "create_app"]
