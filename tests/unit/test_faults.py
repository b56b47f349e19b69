"""The Prefer header and --latency, parsed on their own."""

from __future__ import annotations

import pytest

from mock_server.errors import ApiError
from mock_server.twin.faults import MAX_DELAY_MS, Preference, parse_latency, parse_prefer


def test_prefer_parsing():
    assert parse_prefer(["code=429; foo=bar", 'delay="20"']) == Preference(429, 20)
    assert parse_prefer([f"delay={MAX_DELAY_MS * 10}"]).delay_ms == MAX_DELAY_MS
    assert parse_prefer([]) == Preference()
    with pytest.raises(ApiError):
        parse_prefer(["respond-async"])


def test_latency_parsing():
    assert parse_latency("10:20") == (10, 20) and parse_latency("5") == (5, 5)
    for bad in ("20:10", "a:b", "-1:5", f"0:{MAX_DELAY_MS + 1}"):
        with pytest.raises(ValueError):
            parse_latency(bad)
