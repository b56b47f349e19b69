"""What ``balances-mock sandbox`` works out on its own: durations, and API errors in one line."""

from __future__ import annotations

import pytest

from mock_server.commands.sandbox import describe_error, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [
    ("0", 0), ("90", 90), ("90s", 90), ("15m", 900), ("1h", 3600), ("2d", 172_800), ("1h30m", 5400),
    ("1d2h3m4s", 93_784), (" 1h ", 3600),
])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "1x", "-5", "1.5h", "30m1h", "1h1h", "1 h", "1H"])
def test_what_is_no_duration(text):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_an_error_is_its_code_message_and_what_the_details_add():
    assert describe_error({"code": "invalid_request", "message": "Invalid request body: set.",
                           "details": {"set": ["the clock only moves forward"]}}
                          ) == "invalid_request: Invalid request body: set. (set: the clock only moves forward)"
    assert describe_error({"code": "insufficient_permissions", "message": "This token lacks the scope(s): write.",
                           "details": {"required_scopes": ["read", "write"], "granted_scopes": ["read"]}}
                          ) == ("insufficient_permissions: This token lacks the scope(s): write. "
                                "(required_scopes: read, write; granted_scopes: read)")


def test_details_the_message_already_states_are_left_out():
    error = {"code": "insufficient_funds", "message": "Insufficient funds: 5.000000 ETH available, 9.000000 requested.",
             "details": {"currency": "ETH", "available": "5.000000", "requested": "9.000000"}}
    assert describe_error(error) == f"insufficient_funds: {error['message']}"
    assert describe_error({"code": "not_found", "message": "No such path.", "details": {}}) == \
        "not_found: No such path."
