"""How a request's bytes become values (mock_server/twin/decoding.py): strict where the spec
decides, as Django where the real API's stack shows its behaviour, never an exception other
than ``Undecodable``."""

from __future__ import annotations

import pytest

from mock_server.twin.decoding import (
    MAX_DEPTH,
    MAX_FIELDS,
    Undecodable,
    form_body,
    form_pairs,
    json_document,
    query_pairs,
)


@pytest.mark.parametrize(("raw", "reason"), [
    (b"\xff\xfe", "not valid JSON"),
    (b'{"a": "\xc0\xaf"}', "not valid JSON"),  # overlong UTF-8 for "/"
    (b'{"a": "\\udcff"}', "not valid JSON"),  # a lone surrogate escape
    (b"[" * 100_000, "not valid JSON"),
    (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), f"nested more than {MAX_DEPTH} deep"),
    (b'{"a": ' + b"9" * 10_000 + b"}", "not valid JSON"),
    (b'{"a": NaN}', "not valid JSON"),
    (b'{"amount": "1", "amount": "1000"}', "repeats the key 'amount'"),
    (b'{"a": {"b": "x\\u0000y"}}', "null characters are not allowed"),
    (b'{"x\\u0000": 1}', "null characters are not allowed"),
])
def test_a_json_body_a_parser_could_misread_is_refused_with_its_reason(raw, reason):
    with pytest.raises(Undecodable, match=reason):
        json_document(raw)


def test_a_json_body_within_bounds_is_read():
    nested = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert json_document(b'{"amount": "1.5", "note": "caf\xc3\xa9"}') == {"amount": "1.5", "note": "café"}
    assert json_document(nested) is not None


def test_a_form_is_read_as_django_reads_it():
    assert form_pairs(b"grant_type=client_credentials&x=%ff") == [("grant_type", "client_credentials"),
                                                                  ("x", "\ufffd")]
    assert form_pairs(b"grant_type=client_credentials&x=\xff") == [("grant_type", "client_credentials"),
                                                                  ("x", "\xff")]
    assert form_pairs(b"a=1&a=2") == [("a", "1"), ("a", "2")]


def test_a_form_read_leniently_is_written_back_as_utf8():
    assert form_body(form_pairs(b"x=\xff&y=%ff")) == b"x=%C3%BF&y=%EF%BF%BD"


@pytest.mark.parametrize("read", [form_pairs, query_pairs])
def test_nul_and_too_many_fields_are_refused(read):
    with pytest.raises(Undecodable, match="null characters"):
        read(b"a=%00")
    with pytest.raises(Undecodable, match=f"at most {MAX_FIELDS}"):
        read(b"&".join(b"p%d=1" % n for n in range(MAX_FIELDS + 1)))
    assert len(read(b"&".join(b"p%d=1" % n for n in range(MAX_FIELDS)))) == MAX_FIELDS


def test_a_query_must_be_utf8_after_percent_decoding():
    for raw in (b"currency=%ff", b"currency=%c0%af", b"currency=\xff"):
        with pytest.raises(Undecodable, match="not valid UTF-8"):
            query_pairs(raw)
    assert query_pairs(b"currency=%E2%82%AC&type=") == [("currency", "€"), ("type", "")]
