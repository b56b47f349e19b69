"""``--port``: one port, 0 for any, or a range replicas sharing a host's network each take one of."""

from __future__ import annotations

import re

import pytest

from mock_server.serving.ports import Ports


@pytest.mark.parametrize(("text", "ports"), [
    ("8000", Ports(8000, 8000)),
    ("0", Ports(0, 0)),
    ("8101-8108", Ports(8101, 8108)),
    (" 9000-9000 ", Ports(9000, 9000)),
])
def test_a_port_or_a_range_reads_as_written_and_prints_back(text, ports):
    assert Ports.parse(text) == ports
    assert Ports.parse(str(ports)) == ports


@pytest.mark.parametrize(("text", "says"), [
    ("http", "is not a port (0 to 65535) nor a range of ports such as 8101-8110"),
    ("80-", "is not a port"),
    ("70000", "ports run from 0 to 65535"),
    ("8108-8101", "a range runs from a first port to a last one no lower"),
    ("0-10", "a range runs from a first port"),
    ("1000-3000", "at most 1000 ports"),
])
def test_anything_else_is_refused_saying_what_a_port_is(text, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        Ports.parse(text)
