"""The documented items of a spec and what one answer shows of them, on a small spec of its own
(two methods on one path, headers required by an RFC or not, a map, a path with a ``~``), so
each rule of the reading is seen apart from the balances spec's particular shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contract_tests.conformance import Contract, _escape, _short

JSON = {"Content-Type": "application/json"}
THING = {"type": "object", "required": ["id"],
         "properties": {"id": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}}}
SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "things", "version": "1"},
    "paths": {
        "/things/": {
            "get": {"operationId": "listThings", "responses": {
                "200": {"description": "the things", "headers": {
                    "X-Count": {"required": True, "schema": {"type": "integer", "minimum": 0}},
                    "X-Note": {"schema": {"type": "string", "pattern": "^note"}},
                    "Retry-After": {"schema": {"type": "integer"}}},
                    "content": {"application/json": {"schema": {
                        "type": "object", "required": ["things", "counts"],
                        "properties": {"things": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}},
                                       "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                                       "owner": {"type": ["object", "null"],
                                                 "properties": {"name": {"type": "string"}}},
                                       "groups": {"type": "object", "additionalProperties": {
                                           "type": "object", "properties": {"size": {"type": "integer"}}}}}}}}},
                "401": {"$ref": "#/components/responses/Unauthorized"}}},
            "post": {"responses": {
                "200": {"description": "added", "headers": {"X-Id": {"required": True, "schema": {"type": "string"}}}},
                "405": {"description": "not here", "headers": {"Allow": {
                    "required": True, "x-required-by": "RFC 9110 §15.5.6", "schema": {"type": "string"}}}}}},
        },
        "/a~b/c/": {"get": {"operationId": "tilde", "responses": {"200": {"description": "a map", "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": {"type": "string"}}}}}}}},
    },
    "components": {
        "schemas": {"Thing": THING},
        "headers": {"Challenge": {"required": True, "x-required-by": "RFC 6750 §3",
                                  "schema": {"type": "string", "pattern": "^Bearer( |$)"}}},
        "responses": {"Unauthorized": {"description": "no", "headers": {
            "WWW-Authenticate": {"$ref": "#/components/headers/Challenge"}}}},
    },
}
GOOD = {"things": [{"id": 1, "tags": ["a"]}], "counts": {"red": 2}}


@pytest.fixture
def contract() -> Contract:
    """Built by each test: reading the spec is what many of them check."""
    return Contract(SPEC)


def shown(contract: Contract, method: str, path: str, status: int, headers: dict[str, str], body: Any = b""
          ) -> dict[str, str | None]:
    """What the answer shows, by item part."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return {item.part: problem for item, problem in contract.observe(method, path, status, headers, data).items()}


def listing(**headers: str) -> dict[str, str]:
    return {"X-Count": "1", **JSON, **headers}


def test_items_are_read_from_every_operation_with_their_basis(contract):
    keys = {(item.key, item.method, item.path, item.basis) for item in contract.items}
    assert ("listThings 200 header X-Count", "GET", "/things/", "spec") in keys
    assert ("listThings 200 body things[].tags[]", "GET", "/things/", "spec") in keys
    assert ("listThings 200 body counts.*", "GET", "/things/", "spec") in keys
    assert ("listThings 401 header WWW-Authenticate", "GET", "/things/", "RFC 6750 §3") in keys
    assert ("POST /things/ 405 header Allow", "POST", "/things/", "RFC 9110 §15.5.6") in keys
    assert ("tilde 200 body *", "GET", "/a~b/c/", "spec") in keys
    assert not any(key.startswith("POST /things/ 200 header Content-Type") for key, *_ in keys)  # no content


def test_each_method_of_a_path_has_its_own_answers(contract):
    assert contract.operation("post", "/things/") == ("POST /things/", "/things/")
    assert contract.operation("GET", "/things/") == ("listThings", "/things/")
    assert contract.operation("GET", "/nowhere/") is None and contract.operation("PUT", "/things/") is None
    assert [header.name for header in contract.documented("POST", "/things/", 200).headers] == ["X-Id"]
    assert contract.documented("get", "/things/", "200").operation == "listThings"
    assert contract.documented("PUT", "/things/", 405).operation == "POST /things/"  # the path's 405
    assert contract.documented("GET", "/things/", 405) is None  # GET is documented, without a 405
    assert contract.documented("PUT", "/nowhere/", 200) is None


def test_a_conforming_answer_shows_each_item_it_holds_as_documented(contract):
    seen = shown(contract, "GET", "/things/", 200, listing(**{"Content-Type": "application/json; charset=utf-8; x=1"}),
                 GOOD)
    assert seen == {"header X-Count": None, "header Content-Type": None, "body things[].id": None,
                    "body things[].tags[]": None, "body counts.*": None}


def test_headers_required_missing_optional_absent_and_values_their_schema_refuses(contract):
    seen = shown(contract, "GET", "/things/", 200, {**JSON, "X-Note": "hello", "Retry-After": "soon"}, GOOD)
    assert seen["header X-Count"] == "missing"
    assert seen["header X-Note"] == "'hello' does not match '^note'"
    assert seen["header Retry-After"] == "'soon' is not an integer"
    seen = shown(contract, "GET", "/things/", 200, listing(**{"X-Count": " -1 ", "Retry-After": "5"}), GOOD)
    assert seen["header X-Count"] == "-1 is less than the minimum of 0"
    assert seen["header Retry-After"] is None and "header X-Note" not in seen


def test_a_missing_required_header_after_an_absent_optional_one_is_still_seen(contract):
    seen = shown(contract, "GET", "/things/", 401, {})
    problem = {item.basis: problem for item, problem in contract.observe("GET", "/things/", 401, {}, b"").items()}
    assert seen == {"header WWW-Authenticate": "missing"} and problem == {"RFC 6750 §3": "missing"}
    wrong = contract.observe("GET", "/things/", 401, {"www-authenticate": "Basic realm=x"}, b"")
    assert {(item.part, item.basis): problem for item, problem in wrong.items()} == {
        ("header WWW-Authenticate", "RFC 6750 §3"): "'Basic realm=x' does not match '^Bearer( |$)'"}


def test_an_answer_without_its_documented_content_type_or_json(contract):
    seen = shown(contract, "GET", "/things/", 200, {"X-Count": "1"}, GOOD)
    assert seen["header Content-Type"] == "(none), not application/json"
    assert seen["body things[].id"] == seen["body groups.*.size"] == "no JSON body"
    seen = shown(contract, "GET", "/things/", 200, listing(), b"{not json")
    assert seen["header Content-Type"] is None
    assert {part: problem for part, problem in seen.items() if part.startswith("body")} == {
        f"body {leaf}": "the body is not JSON"
        for leaf in ("things[].id", "things[].tags[]", "counts.*", "owner.name", "groups.*.size")}


def test_each_problem_is_blamed_on_the_items_at_or_under_where_it_is(contract):
    body = {"things": [{"id": "one", "tags": ["a", 2]}], "counts": {"red": "two"}}
    seen = shown(contract, "GET", "/things/", 200, listing(), body)
    assert seen["body things[].id"] == "'one' is not of type 'integer'"
    assert seen["body things[].tags[]"] == "2 is not of type 'string'"
    assert seen["body counts.*"] == "'two' is not of type 'integer'"
    seen = shown(contract, "GET", "/things/", 200, listing(), {"things": {"id": 1}, "counts": {}})
    assert seen["body things[].id"] == seen["body things[].tags[]"] == "{'id': 1} is not of type 'array'"
    assert "body counts.*" not in seen  # an empty map shows no value
    seen = shown(contract, "GET", "/things/", 200, listing(), {"counts": {"red": 1}})
    assert seen["body things[].id"] == seen["body things[].tags[]"] == "missing"
    seen = shown(contract, "GET", "/things/", 200, listing(), {"things": [{"tags": []}], "counts": {}})
    assert seen == {"header X-Count": None, "header Content-Type": None, "body things[].id": "missing"}


def test_a_field_is_shown_only_where_the_answer_holds_a_value_for_it(contract):
    """A null object holds no field; a map of objects holds a field only where one of them does."""
    body = {**GOOD, "owner": None, "groups": {"a": {}}}
    seen = shown(contract, "GET", "/things/", 200, listing(), body)
    assert "body owner.name" not in seen and "body groups.*.size" not in seen
    body.update(owner={"name": "x"}, groups={"a": {"size": 1}})
    seen = shown(contract, "GET", "/things/", 200, listing(), body)
    assert seen["body owner.name"] is None and seen["body groups.*.size"] is None


def test_a_map_at_the_top_and_a_path_with_a_tilde(contract):
    assert shown(contract, "GET", "/a~b/c/", 200, JSON, {"x": "y"}) == {"header Content-Type": None, "body *": None}
    assert shown(contract, "GET", "/a~b/c/", 200, JSON, {"x": 1}) == {"header Content-Type": None,
                                                                      "body *": "1 is not of type 'string'"}
    assert shown(contract, "GET", "/a~b/c/", 200, JSON, {}) == {"header Content-Type": None}
    assert _escape("/a~b/c/") == "~1a~0b~1c~1"


def test_an_answer_with_no_documented_content_shows_its_headers_only(contract):
    assert shown(contract, "POST", "/things/", 200, {"X-Id": "7", **JSON}, GOOD) == {"header X-Id": None}
    assert shown(contract, "DELETE", "/things/", 405, {}) == {"header Allow": "missing"}


def test_long_messages_are_cut_to_160_characters():
    assert _short("x" * 160) == "x" * 160
    assert _short("x" * 161) == "x" * 159 + "…"
    assert _short("x" * 20, limit=10) == "x" * 9 + "…"


def test_a_lone_surrogate_in_a_string_is_judged_by_the_schema_like_any_other_text(contract):
    """JSON may escape a lone surrogate (``"\\ud800"``); a Python string holds it, a Rust one cannot,
    so the quick validator steps aside and the answer is still judged, not a crash."""
    good = {"things": [{"id": 1, "tags": ["\ud800"]}], "counts": {"\udfa3": 2}}
    assert set(shown(contract, "GET", "/things/", 200, listing(), good).values()) == {None}
    bad = {"things": [{"id": "\ud800"}], "counts": {}}
    assert shown(contract, "GET", "/things/", 200, listing(), bad)["body things[].id"] == \
        "'\\ud800' is not of type 'integer'"
    assert contract.problems("GET", "/things/", 200, listing(), lambda: bad)
