"""What is a secret and how it is hidden (contract_tests/redaction.py), and that every writer
(the journal, the access log, the proxy's lines, record's report, curl reproductions) uses it."""

from __future__ import annotations

import time

import pytest

from contract_tests import redaction


def test_credentials_keep_their_scheme_only():
    headers = redaction.headers({"authorization": "Bearer eyJ.abc.def", "proxy-authorization": "Basic dXNlcjpwYXNz",
                              "cookie": "a=1; b=2", "x-api-token": "t", "x-secret-key": "s", "accept": "*/*"})
    assert headers == {"authorization": "Bearer [REDACTED]", "proxy-authorization": "Basic [REDACTED]",
                       "cookie": "[REDACTED]", "x-api-token": "[REDACTED]", "x-secret-key": "[REDACTED]",
                       "accept": "*/*"}
    assert redaction.headers({"authorization": "opaque-credential"}) == {"authorization": "[REDACTED]"}


@pytest.mark.parametrize(("text", "expected"), [
    ("grant_type=client_credentials&client_id=demo&client_secret=s3", "grant_type=client_credentials&client_id=demo"
                                                                       "&client_secret=[REDACTED]"),
    ("client%5Fsecret=s3&access_token=abc&Password=x", "client%5Fsecret=[REDACTED]&access_token=[REDACTED]"
                                                       "&Password=[REDACTED]"),
    ("limit=5&offset=10", "limit=5&offset=10"),
    ("", ""),
    ("just some text", "just some text"),
    ("tokenless=1", "tokenless=[REDACTED]"),  # named like a token: better redacted than leaked
])
def test_form_fields_named_like_secrets_are_redacted_and_the_rest_kept_as_sent(text, expected):
    assert redaction.form(text) == expected


def test_json_keys_named_like_secrets_are_redacted_at_any_depth():
    sent = b'{"user": {"password": "p", "tokens": [1]}, "items": [{"client_secret": "s", "n": 1}], "ok": true}'
    assert redaction.body(sent) == ('{"user":{"password":"[REDACTED]","tokens":"[REDACTED]"},'
                                 '"items":[{"client_secret":"[REDACTED]","n":1}],"ok":true}')
    assert redaction.body(b'[ {"a": 1} ]') == '[ {"a": 1} ]'  # nothing secret: kept as sent
    assert redaction.body(b"{not json&password=x") == "{not json&password=[REDACTED]"  # read as a form then
    assert redaction.body(b"\xff\xfe=1") == "\ufffd\ufffd=1"
    assert redaction.body(None) is None and redaction.body(b"") is None


@pytest.mark.parametrize(("line", "expected"), [
    ("curl -H 'Authorization: Bearer eyJ.abc.def' https://x/", "curl -H 'Authorization: Bearer [REDACTED]' https://x/"),
    ("basic  dXNlcjpwYXNz and BEARER a.b", "basic  [REDACTED] and BEARER [REDACTED]"),
    ("--data 'grant_type=client_credentials&client_secret=s3&x=1'",
     "--data 'grant_type=client_credentials&client_secret=[REDACTED]&x=1'"),
    ("foo=client_secret=abc&my.api-key=k Password=p",
     "foo=client_secret=[REDACTED]&my.api-key=[REDACTED] Password=[REDACTED]"),
    ("x_access_token_y=1 tokens= tokenless=a\"b", "x_access_token_y=[REDACTED] tokens= tokenless=[REDACTED]\"b"),
    ("limit=5&offset=10 just text, no = secret", "limit=5&offset=10 just text, no = secret"),
])
def test_credentials_in_free_text_are_hidden(line, expected):
    assert redaction.text(line) == expected


@pytest.mark.parametrize("run", ["M" * 200_000, "token" * 40_000, "a=" * 100_000, "Bearer " * 30_000],
                         ids=["letters", "keywords", "fields", "schemes"])
def test_free_text_is_redacted_in_linear_time(run):
    """A log line holds a client's body (a proxy's violation line, its curl): 200 KB of letters took
    hours in a regular expression that backtracked (found by fuzzing the proxy's judge)."""
    started = time.perf_counter()
    redaction.text(f"curl --data {run}=secret")
    assert time.perf_counter() - started < 2
