"""Contract tests for any implementation of the Cryptofuse balances API.

It sees an implementation only through HTTP and the spec, exactly as it sees the real API,
and imports nothing from ``mock_server``.
"""
