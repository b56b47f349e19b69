"""The control API's contract, spec/sandbox.yaml: valid OpenAPI 3.1 that refers to the API's own
schemas, examples that obey it, and the app refusing to start without it."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin

import openapi_core.app
import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mock_server.ledger.scenarios import SCENARIOS, length_refused
from mock_server.spec import API_SPEC, SANDBOX_SPEC, documented_responses, load_spec
from mock_server.twin import validation
from mock_server.twin.validation import SpecValidator

from ..support import SANDBOX_SPEC_PATH, SPEC_PATH, read_yaml

DOCUMENTS = {path.as_uri(): read_yaml(path) for path in (SPEC_PATH, SANDBOX_SPEC_PATH)}
REGISTRY = Registry().with_resources(
    (uri, Resource(contents=document, specification=DRAFT202012)) for uri, document in DOCUMENTS.items())
SANDBOX = SANDBOX_SPEC_PATH.as_uri()


def resolved(node: dict[str, Any], base: str) -> tuple[dict[str, Any], str]:
    """A node with its ``$ref`` followed (into openapi.yaml too), and the URI it lives at."""
    while "$ref" in node:
        target = REGISTRY.resolver(base).lookup(node["$ref"])
        node, base = target.contents, str(target.resolver._base_uri)
    return node, base


def examples() -> Iterator[tuple[str, dict[str, Any], str, Any]]:
    """(where, schema, the URI its references are relative to, example value) for every media
    example of an operation."""
    for path, item in DOCUMENTS[SANDBOX]["paths"].items():
        for method, operation in item.items():
            places = [("requestBody", operation.get("requestBody"))]
            places += [(f"responses/{status}", response) for status, response in operation["responses"].items()]
            for where, node in places:
                if node is None:
                    continue
                node, base = resolved(node, SANDBOX)
                for media in node.get("content", {}).values():
                    for name, example in media.get("examples", {}).items():
                        yield f"{method.upper()} {path} {where} {name}", media["schema"], base, example["value"]


def test_the_sandbox_spec_is_valid_openapi_31():
    validate(DOCUMENTS[SANDBOX], base_uri=SANDBOX)


EXAMPLES = list(examples())


@pytest.mark.parametrize(("where", "schema", "base", "value"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_every_example_obeys_its_schema(where, schema, base, value):
    validator = OAS31Validator({"$ref": urljoin(base, schema["$ref"])}, registry=REGISTRY)
    assert not [e.message for e in validator.iter_errors(value)], where


def schema(name: str) -> dict[str, Any]:
    return DOCUMENTS[SANDBOX]["components"]["schemas"][name]


def validator(name: str) -> OAS31Validator:
    return OAS31Validator({"$ref": f"{SANDBOX}#/components/schemas/{name}"}, registry=REGISTRY)


WHOLE = ["", "0", "00", "1", "01", "10", "9" * 13, "0" + "9" * 13, "1" + "0" * 12, "1" + "0" * 13, "-1", "+1", " 1"]
FRACTION = [None, "", "0", "000000", "0000000", "000001", "5", "100000", "0000010", "1234567", "5e1"]
AMOUNTS = [whole if fraction is None else f"{whole}.{fraction}"
           for whole, fraction in itertools.product(WHOLE, FRACTION)]


def bookable(amount: str) -> bool:
    """What the sandbox books: digits, at most 6 places, above zero, below 10**13."""
    return (re.fullmatch(r"[0-9]+(\.[0-9]{1,6})?", amount) is not None
            and 0 < Decimal(amount) < 10**13)


def test_an_amount_matches_the_pattern_exactly_when_it_is_above_zero_with_at_most_6_places():
    """Zero is refused by the schema (400), so a client or a fuzzer built from it never sends
    one; an amount no balance can hold is the account's 409 (``balance_limit_exceeded``)."""
    pattern = re.compile(schema("TransactionRequest")["properties"]["amount"]["pattern"])
    assert sum(map(bookable, AMOUNTS)) >= 20
    assert [amount for amount in AMOUNTS if bool(pattern.search(amount)) != bookable(amount)] == []


def armable(documented: dict, path: str, method: str | None, status: int, retry_after: int | None) -> bool:
    """Whether the API documents a fault: ``status`` a failure of the path's operation (of
    ``method``, or of any of its methods), and with ``retry_after`` documented with the header
    wherever it is documented."""
    answers = [statuses for (where, verb), statuses in documented.items()
               if where == path and method in (None, verb.upper())]
    return (any(status in statuses for statuses in answers)
            and (retry_after is None or all("Retry-After" in statuses[status].headers
                                            for statuses in answers if status in statuses)))


def test_a_fault_obeys_the_schema_exactly_when_the_api_documents_it():
    """FaultRequest repeats what openapi.yaml documents, so that a client or a fuzzer built from
    sandbox.yaml never arms a fault the server refuses; this keeps the two documents agreeing."""
    documented = documented_responses(DOCUMENTS[SPEC_PATH.as_uri()])
    statuses = sorted({status for answers in documented.values() for status in answers if status >= 300}
                      | {300, 404, 418, 598, 599})
    paths = sorted({path for path, _ in documented}) + ["/user/balances", "/__sandbox/clock"]
    faults = validator("FaultRequest")
    wrong = []
    for path, method, status, retry_after in itertools.product(paths, (None, "GET", "POST"), statuses, (None, 1)):
        body = {"path": path, "status": status, **({"method": method} if method else {}),
                **({"retry_after": retry_after} if retry_after else {})}
        if faults.is_valid(body) != armable(documented, path, method, status, retry_after):
            wrong.append(body)
    assert sum(armable(documented, *case) for case in itertools.product(paths, (None, "GET", "POST"), statuses,
                                                                         (None, 1))) >= 30
    assert wrong == []


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_client_request_names_entries_exactly_when_its_scenario_can_have_them(scenario):
    """The spec refuses entries a named scenario cannot have (400); the server's own scenario,
    when the request names none, is the server's state (409)."""
    requests = validator("ClientRequest")
    assert requests.is_valid({"scenario": scenario, "entries": 0})
    assert requests.is_valid({"scenario": scenario, "entries": 5}) == (length_refused(scenario, 5) is None)
    assert requests.is_valid({"entries": 5})


QUERY_STRINGS = [(f"{method.upper()} {path} {parameter['name']}", parameter["schema"])
                 for path, item in DOCUMENTS[SANDBOX]["paths"].items() for method, operation in item.items()
                 for parameter in operation.get("parameters", [])
                 if parameter["in"] == "query" and parameter["schema"].get("type") == "string"]


@pytest.mark.parametrize(("where", "schema"), QUERY_STRINGS, ids=[where for where, _ in QUERY_STRINGS])
def test_no_query_string_parameter_takes_a_nul(where, schema):
    """The server refuses a NUL anywhere in a query (400, as Django does): the schema says so."""
    assert not OAS31Validator(schema).is_valid("a\x00b"), where


def test_an_app_cannot_start_on_a_broken_control_spec():
    broken = {**DOCUMENTS[SANDBOX], "paths": {"/__sandbox/clock": {"get": {"responses": "not an object"}}}}
    with pytest.raises(Exception, match="responses|not valid|is not of type"):
        SpecValidator(broken, base_uri=SANDBOX)


def test_the_shipped_specs_are_not_checked_again_at_start(monkeypatch):
    """The documents the package ships are checked by this file and test_spec.py; a server's
    start does not spend a third of its CPU checking them again. Any other document still is
    (the test above)."""
    def checked(*args, **kwargs):
        raise AssertionError("a shipped spec was checked against the OpenAPI schema at start")

    monkeypatch.setattr(openapi_core.app, "validate", checked)
    monkeypatch.setattr(validation, "_CHECKED_DOCUMENTS", set())  # as in a server that has just started
    SpecValidator(load_spec(API_SPEC), base_uri=SPEC_PATH.as_uri())
    SpecValidator(load_spec(), base_uri=SPEC_PATH.as_uri())  # the same document, as the app asks for it
    SpecValidator(load_spec(SANDBOX_SPEC), base_uri=SANDBOX)
    edited = {**load_spec(API_SPEC), "x-edited-by": f"test {uuid.uuid4()}"}  # never checked in this process
    with pytest.raises(AssertionError, match="checked against the OpenAPI schema"):
        SpecValidator(edited, base_uri=SPEC_PATH.as_uri())
