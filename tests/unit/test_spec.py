"""The contract itself: valid OpenAPI 3.1, examples that obey it, and the compatibility rule."""

from __future__ import annotations

import copy

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from mock_server.twin.auth import CLIENT_CREDENTIALS

from ..support import SPEC_PATH


def validator(spec: dict, ref: str) -> OAS31Validator:
    """A validator for the schema at ``ref``, resolving references inside the spec."""
    return OAS31Validator({"$ref": ref, "components": spec["components"]})


def errors(spec: dict, ref: str, instance) -> list[str]:
    return [e.message for e in validator(spec, ref).iter_errors(instance)]


def resolve(spec: dict, node: dict) -> dict:
    while "$ref" in node:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def media_examples(spec: dict):
    """Every (where, schema, example value) under a media type of the spec."""
    def from_content(where, content):
        for media_type, media in content.items():
            schema = media["schema"]
            for name, example in media.get("examples", {}).items():
                yield f"{where} {media_type} example {name}", schema, example["value"]

    for path, item in spec["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody")
            if body:
                yield from from_content(f"{method.upper()} {path} request", body["content"])
            for status, response in operation["responses"].items():
                response = resolve(spec, response)
                yield from from_content(f"{method.upper()} {path} {status}", response.get("content", {}))
    for name, response in spec["components"]["responses"].items():
        yield from from_content(f"components/responses/{name}", response.get("content", {}))


def test_spec_is_valid_openapi_3_1():
    document, url = read_from_filename(str(SPEC_PATH))
    assert document["openapi"].startswith("3.1")
    validate(document, base_uri=url)


def test_every_example_validates_against_its_schema(spec):
    examples = list(media_examples(spec))
    assert len(examples) >= 12  # both documented bodies, the token flow and every error response
    for where, schema, value in examples:
        problems = [e.message for e in OAS31Validator({**schema, "components": spec["components"]})
                    .iter_errors(value)]
        assert not problems, f"{where}: {problems}"


def test_the_documentation_examples_are_in_the_spec(spec):
    history = spec["paths"]["/user/balances/history/"]["get"]["responses"]["200"]
    balances = spec["paths"]["/user/balances/"]["get"]["responses"]["200"]
    documented = history["content"]["application/json"]["examples"]["documented"]["value"]
    assert documented["total"] == 35 and documented["history"][0]["balance_after"] == "5500.000000"
    assert balances["content"]["application/json"]["examples"]["documented"]["value"]["account"]["ETH"] == "5.123456"
    unauthorized = spec["components"]["responses"]["AuthenticationFailed"]["content"]["application/json"]
    message = unauthorized["examples"]["documented"]["value"]["error"]["message"]
    assert message == "Invalid or missing authentication token"


def test_operations_and_security(spec):
    assert set(spec["paths"]) == {"/o/token/", "/user/balances/", "/user/balances/history/"}
    flow = spec["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/o/token/" and set(flow["scopes"]) == {"read", "write"}
    assert spec["paths"]["/user/balances/"]["get"]["security"] == [{"oauth2": ["read", "write"]}]
    assert spec["paths"]["/user/balances/history/"]["get"]["security"] == [{"oauth2": ["read"]}]
    # The token endpoint inherits the top-level default: HTTP Basic, or credentials in the body.
    assert spec["security"] == [{"clientBasic": []}, {}] and "security" not in spec["paths"]["/o/token/"]["post"]


def test_history_parameters(spec):
    params = {p["name"]: p for p in spec["paths"]["/user/balances/history/"]["get"]["parameters"]}
    assert params["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    assert params["offset"]["schema"] == {"type": "integer", "minimum": 0, "default": 0}
    assert params["currency"]["schema"]["type"] == params["type"]["schema"]["type"] == "string"


def test_documented_error_responses_carry_their_headers(spec):
    responses = spec["components"]["responses"]
    assert "Retry-After" in responses["TooManyRequests"]["headers"]
    assert "Allow" in responses["MethodNotAllowed"]["headers"]
    assert "WWW-Authenticate" in responses["AuthenticationFailed"]["headers"]
    codes = set()
    for response in responses.values():
        for example in response["content"]["application/json"]["examples"].values():
            codes.add(example["value"]["error"]["code"])
    assert {"invalid_request", "authentication_failed", "insufficient_permissions", "method_not_allowed",
            "rate_limit_exceeded", "server_error", "service_unavailable"} <= codes


ENTRY = {"timestamp": "2025-01-15T09:30:00Z", "currency": "USDTERC20", "type": "deposit",
         "amount": "500.000000", "balance_after": "5500.000000"}
PAGE = {"history": [ENTRY], "total": 35, "limit": 10, "offset": 0}
BALANCES = {"account": {"USDTERC20": "5000.000000", "ETH": "5.123456"},
            "sub_accounts": {"USDTERC20": "1500.000000"},
            "statistics": {"total_deposits": 1234, "total_withdrawals": 456}}
ERROR = {"error": {"code": "authentication_failed", "message": "Invalid token", "details": {}}}


def changed(document: dict, path: tuple, value=None, delete: bool = False) -> dict:
    copied = copy.deepcopy(document)
    target = copied
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return copied


COMPATIBLE = [
    ("HistoryPage", changed(PAGE, ("next",), "https://api/next")),
    ("HistoryPage", changed(PAGE, ("history", 0, "fee"), "0.100000")),
    ("HistoryPage", changed(PAGE, ("history", 0, "currency"), "USDTSOL")),
    ("HistoryPage", changed(PAGE, ("history", 0, "type"), "to_sub")),
    ("HistoryPage", changed(PAGE, ("history", 0, "timestamp"), "2025-01-15T09:30:00.123Z")),
    ("HistoryPage", changed(PAGE, ("history",), [])),
    ("Balances", changed(BALANCES, ("account", "NEWCOIN"), "0.000000")),
    ("Balances", changed(BALANCES, ("statistics", "total_payments"), 3)),
    ("Balances", changed(BALANCES, ("sub_accounts",), {})),
    ("ErrorEnvelope", changed(ERROR, ("error", "request_id"), "abc")),
    ("ErrorEnvelope", changed(ERROR, ("error", "details"), {"limit": ["too large"]})),
]

BREAKING = [
    ("HistoryPage", changed(PAGE, ("total",), delete=True)),
    ("HistoryPage", changed(PAGE, ("total",), "35")),
    ("HistoryPage", changed(PAGE, ("history", 0, "balance_after"), delete=True)),
    ("HistoryPage", changed(PAGE, ("history", 0, "amount"), 500.0)),
    ("HistoryPage", changed(PAGE, ("history", 0, "amount"), "500.00")),
    ("HistoryPage", changed(PAGE, ("history", 0, "amount"), "-500.000000")),
    ("HistoryPage", changed(PAGE, ("history", 0, "amount"), "5e2")),
    ("HistoryPage", changed(PAGE, ("history", 0, "timestamp"), "2025-01-15 09:30:00")),
    ("HistoryPage", changed(PAGE, ("history", 0, "timestamp"), 1736933400)),
    ("HistoryPage", {"count": 35, "next": None, "previous": None, "results": [ENTRY]}),
    ("Balances", changed(BALANCES, ("statistics", "total_deposits"), "1234")),
    ("Balances", changed(BALANCES, ("account", "ETH"), 5.123456)),
    ("Balances", changed(BALANCES, ("sub_accounts",), delete=True)),
    ("Balances", {"balances": BALANCES["account"], "sub_accounts": {}, "statistics": BALANCES["statistics"]}),
    ("ErrorEnvelope", {"error": "authentication_failed", "message": "Invalid token"}),
    ("ErrorEnvelope", changed(ERROR, ("error", "details"), delete=True)),
    ("ErrorEnvelope", changed(ERROR, ("error", "details"), "none")),
]


@pytest.mark.parametrize(("schema", "document"), COMPATIBLE, ids=[f"{s}-{i}" for i, (s, _) in enumerate(COMPATIBLE)])
def test_backward_compatible_changes_are_accepted(spec, schema, document):
    assert errors(spec, f"#/components/schemas/{schema}", document) == []


@pytest.mark.parametrize(("schema", "document"), BREAKING, ids=[f"{s}-{i}" for i, (s, _) in enumerate(BREAKING)])
def test_breaking_changes_are_rejected(spec, schema, document):
    assert errors(spec, f"#/components/schemas/{schema}", document) != []


def test_currency_and_type_are_open_sets(spec):
    """A closed enum would make every new currency a contract failure. The one enum is what a
    client sends, not what it reads: grant_type, whose only value is the API's only grant."""
    def enums(node, where=""):
        if isinstance(node, dict):
            if "enum" in node:
                yield where
            for key, value in node.items():
                yield from enums(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from enums(value, f"{where}/{index}")

    assert list(enums(spec["components"]["schemas"])) == ["/TokenRequest/properties/grant_type"]
    assert spec["components"]["schemas"]["TokenRequest"]["properties"]["grant_type"]["enum"] == [CLIENT_CREDENTIALS]
