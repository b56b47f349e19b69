"""Query validation judged one parameter at a time (``twin/validation.py``): the verdict, values
and reasons alike, is the one openapi-core gives the whole query, for any query a client sends;
and a parameter's verdict, once reached, is not reached again."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.spec import API_SPEC, SANDBOX_SPEC, load_spec, spec_path
from mock_server.twin.decoding import query_pairs
from mock_server.twin.validation import RequestInvalid, SpecValidator

VALUES = st.sampled_from(["1", "20", "100", "101", "0", "-1", "abc", "", " 5", "1.5", "1e3", "99999999999999999999",
                          "ETH", "eth", "deposit", "withdrawal", "DEPOSIT", "é", "true", "/user/balances/", "GET"])
NAMES = st.sampled_from(["limit", "offset", "currency", "type", "path", "method", "status", "valid", "since",
                         "unknown"])
QUERIES = st.lists(st.tuples(NAMES, VALUES), max_size=5)
OPERATIONS = [(API_SPEC, "/user/balances/history/", "get"), (API_SPEC, "/user/balances/", "get"),
              (SANDBOX_SPEC, "/__sandbox/requests", "get")]


def validator(name: str) -> SpecValidator:
    return SpecValidator(load_spec(name), base_uri=spec_path(name).as_uri())


VALIDATORS = {name: validator(name) for name in (API_SPEC, SANDBOX_SPEC)}


def verdict(check, path: str, method: str, query: bytes) -> tuple[dict, dict]:
    try:
        return dict(check(path, method, query)), {}
    except RequestInvalid as invalid:
        return {}, invalid.details


def whole(spec: str, path: str, method: str, query: bytes) -> tuple[dict, dict]:
    """openapi-core's verdict on the whole query, as the validator gave it before it judged
    parameters apart, in ``verdict``'s form."""
    params, problems = VALIDATORS[spec]._judged(VALIDATORS[spec]._parameters, path, method,
                                                dict(query_pairs(query)).items())
    return ({}, dict(problems)) if problems else (dict(params), {})


@settings(max_examples=150, deadline=None)
@given(operation=st.sampled_from(OPERATIONS), pairs=QUERIES)
def test_a_query_judged_parameter_by_parameter_gets_openapi_core_s_verdict_on_the_whole(operation, pairs):
    spec, path, method = operation
    query = urlencode(pairs).encode("ascii")
    fresh = validator(spec)  # nothing memoised: every parameter judged now
    assert verdict(fresh.query, path, method, query) == whole(spec, path, method, query)


def test_the_reasons_are_named_by_parameter_in_the_order_the_spec_declares_them():
    fresh = validator(API_SPEC)
    with pytest.raises(RequestInvalid) as invalid:
        fresh.query("/user/balances/history/", "get", b"offset=-1&limit=abc")
    assert list(invalid.value.details) == ["limit", "offset"]
    assert dict(fresh.query("/user/balances/history/", "get", b"offset=5")) == {"limit": 20, "offset": 5}


def test_paging_judges_only_the_parameter_that_changed():
    fresh = validator(API_SPEC)
    for offset in range(10):
        fresh.query("/user/balances/history/", "get", f"limit=7&offset={offset}".encode())
    judged = fresh._parameter_verdict.cache_info()
    assert judged.misses == 4 + 9  # limit, offset, currency and type once; then each new offset
    assert judged.hits == 9 * 3


def test_an_operation_the_spec_lacks_is_judged_whole():
    fresh = validator(API_SPEC)
    assert fresh._parameters_alone("/nothing/", "get") is None
    assert verdict(fresh.query, "/nothing/", "get", b"limit=1") == whole(API_SPEC, "/nothing/", "get", b"limit=1")
