"""Deliberately broken (and deliberately compatible) versions of the mock, to prove that the
contract suite fails exactly when the contract breaks.

Each variant is a small rewrite of requests or responses in front of the real mock, served
under ``/v/<name>/``. ``python -m tests.support.variants`` serves them all from one process.
"""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import click
import jwt
from werkzeug.wrappers import Request, Response

from contract_tests import rules
from contract_tests.conformance import Contract, DocumentedHeader, DocumentedResponse
from contract_tests.rules import Rule
from mock_server import Settings, create_app
from mock_server.serving.server import ServerOptions, serve

from . import ROOT, read_yaml

SECRET = "variants-secret-that-is-long-enough-for-hs256"
HISTORY = "/user/balances/history/"
BALANCES = "/user/balances/"


def _token(scope: str = "read write") -> str:
    now = int(time.time())
    return jwt.encode({"iss": "balances-mock", "sub": "demo", "scope": scope, "iat": now, "nbf": now,
                       "exp": now + 600}, SECRET, algorithm="HS256")


def _scopes(authorization: str) -> set[str] | None:
    try:
        claims = jwt.decode(authorization.split(" ", 1)[1], SECRET, algorithms=["HS256"], issuer="balances-mock")
    except (jwt.InvalidTokenError, IndexError):
        return None
    return set(claims["scope"].split())


@dataclass(frozen=True)
class Variant:
    """A rewrite of the mock. ``breaks``: the rules meant to catch it, reported as breaks;
    ``may_break``: rules that also break as a direct consequence of the same change; ``drifts``:
    for a lenient variant, the decisions it departs from, reported as drift; ``schema``: only
    the property-based test can catch it, so its runs include it; ``caught_by``: the tests
    (``test_x.py::test_y[z]``) that must fail on it, for a variant that proves one test's rule
    where other tests would notice it too."""

    name: str
    breaks: tuple[Rule, ...] = ()
    may_break: tuple[Rule, ...] = ()
    drifts: tuple[Rule, ...] = ()
    may_drift: tuple[Rule, ...] = ()
    """Decisions a broken variant also departs from, by the same change (reported as drift)."""
    alone: bool = False
    """The tests ``caught_by`` names are the only ones that fail: one broken item, one failure."""
    schema: bool = False
    caught_by: tuple[str, ...] = ()
    request: Callable[[Request], None] = lambda request: None
    response: Callable[[Request, Response], None] = lambda request, response: None


def _json(rewrite: Callable[[Request, Any], Any], only: Callable[[Request, Response], bool]
          ) -> Callable[[Request, Response], None]:
    """A response hook that rewrites the JSON body of the responses ``only`` selects."""

    def hook(request: Request, response: Response) -> None:
        if only(request, response) and request.method != "HEAD":  # a HEAD answer has no body to rewrite
            body = json.loads(response.get_data())
            response.set_data(json.dumps(rewrite(request, body)).encode())

    return hook


def _history_ok(request: Request, response: Response) -> bool:
    return request.path == HISTORY and response.status_code == 200 and request.method == "GET"


def _balances_ok(request: Request, response: Response) -> bool:
    return request.path == BALANCES and response.status_code == 200 and request.method == "GET"


def _shift_offset(request: Request) -> None:
    args = request.args.to_dict()
    if "offset" in args and args["offset"].isdigit() and int(args["offset"]) > 0:
        args["offset"] = str(int(args["offset"]) + 1)  # silently skips one entry per page
        request.environ["QUERY_STRING"] = "&".join(f"{k}={v}" for k, v in args.items())


def _unshift_offset(request: Request, body: Any) -> Any:
    if "offset" in request.args and request.args["offset"].isdigit():
        body["offset"] = int(request.args["offset"])
    return body


def _map_entries(change: Callable[[dict], None]) -> Callable[[Request, Any], Any]:
    def rewrite(request: Request, body: Any) -> Any:
        for entry in body["history"]:
            change(entry)
        return body

    return rewrite


def _mislabel_last(request: Request, body: Any) -> Any:
    if request.args.get("currency") and body["history"]:
        body["history"][-1]["currency"] = "MISLABELLED"
    return body


def _bump_first_balance(request: Request, body: Any) -> Any:
    first = next(iter(body["account"]))
    units, fraction = body["account"][first].split(".")
    body["account"][first] = f"{int(units) + 1}.{fraction}"
    return body


def _accept_missing_token(request: Request) -> None:
    if not request.headers.get("Authorization"):
        request.environ["HTTP_AUTHORIZATION"] = f"Bearer {_token()}"


def _accept_any_signature(request: Request) -> None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer ") and _scopes(header) is None:
        request.environ["HTTP_AUTHORIZATION"] = f"Bearer {_token()}"


def _ignore_scopes(request: Request) -> None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer ") and _scopes(header) == {"read"}:
        request.environ["HTTP_AUTHORIZATION"] = f"Bearer {_token()}"


def _accept_wrong_secret(request: Request) -> None:
    if request.path == "/o/token/" and request.authorization and request.authorization.username == "demo":
        request.environ["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(b"demo:demo-secret").decode()


def _flat_envelope(request: Request, body: Any) -> Any:
    return {"error": body["error"]["code"], "message": body["error"]["message"]}


def _html_404(request: Request, response: Response) -> None:
    if response.status_code == 404:
        response.set_data(b"<h1>Not Found</h1>")
        response.headers["Content-Type"] = "text/html; charset=utf-8"


def _bad_parameters_crash(request: Request, response: Response) -> None:
    if response.status_code == 400 and request.path == HISTORY:
        response.status_code = 500
        response.set_data(json.dumps({"error": {"code": "server_error", "message": "boom", "details": {}}}).encode())


def _extra_fields(request: Request, body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body["error"]["request_id"] = "req-123"
    elif isinstance(body, dict) and "history" in body:
        body["next"] = None
        for entry in body["history"]:
            entry["fee"] = "0.000000"
            entry["id"] = entry["timestamp"]
    elif isinstance(body, dict) and "account" in body:
        body["statistics"]["total_payments"] = 0
        body["updated_at"] = "2025-01-15T09:30:00Z"
    return body


def _any_json(request: Request, response: Response) -> bool:
    return response.mimetype == "application/json" and request.path != "/o/token/"


def _two_entries_per_page(request: Request, body: Any) -> Any:
    """Prism's dynamic mock of the spec, roughly: a couple of entries whatever the limit and total."""
    body["history"] = body["history"][:2]
    return body


OTHER_TYPES = {"deposit": "payment", "withdrawal": "refund"}


def _other_type_names(key: str, value: str) -> str | None:
    if key != "type" or not value:
        return value
    known = {theirs: ours for ours, theirs in OTHER_TYPES.items()}
    return known.get(value, "no-such-type")


def _rename_types(request: Request, body: Any) -> Any:
    if "history" in body:
        for entry in body["history"]:
            entry["type"] = OTHER_TYPES.get(entry["type"], entry["type"])
    if "statistics" in body:  # no deposit or withdrawal in this account's words
        body["statistics"] = {"total_deposits": 0, "total_withdrawals": 0}
    return body


def _new_currency(request: Request, body: Any) -> Any:
    body["account"]["USDTSOL"] = "0.000000"
    return body


def _fractional_seconds(entry: dict) -> None:
    entry["timestamp"] = entry["timestamp"].replace("Z", ".000Z")


def _rate_limited() -> Callable[[Request, Response], None]:
    """Every third answer is a 429 with Retry-After: 0, as a busy real API might give."""
    seen = [0]

    def hook(request: Request, response: Response) -> None:
        seen[0] += 1
        if seen[0] % 3 == 0:
            response.status_code = 429
            response.headers["Retry-After"] = "0"
            response.set_data(json.dumps({"error": {"code": "rate_limit_exceeded", "message": "slow down",
                                                    "details": {}}}).encode())

    return hook


def _extra_headers(request: Request, response: Response) -> None:
    response.headers["X-Request-Id"] = "req-123"
    response.headers["X-RateLimit-Remaining"] = "99"
    response.headers["Vary"] = "Authorization"


def _filtered(keys: set[str], total: Callable[[Any], int]) -> Callable[[Request, Any], Any]:
    """A page rewrite for history requests whose filters are exactly ``keys``: no entry, and
    ``total(body)`` as the total (the page stays consistent with itself, so only a comparison
    with the unfiltered history shows what is missing)."""

    def rewrite(request: Request, body: Any) -> Any:
        if {key for key in ("currency", "type") if request.args.get(key)} == keys:
            body["history"], body["total"] = [], total(body)
        return body

    return rewrite


def _pages_of_one_empty(request: Request, body: Any) -> Any:
    if request.args.get("limit") == "1":
        body["history"] = []  # `total` kept: a page of 1 that should hold one entry holds none
    return body


def _no_bearer_challenge(request: Request, response: Response) -> None:
    if response.status_code == 401 and request.path != "/o/token/":
        response.headers.pop("WWW-Authenticate", None)


def _total_zero_past_the_end(request: Request, body: Any) -> Any:
    if not body["history"] and body["offset"] > 0:
        body["total"] = 0  # an empty page past the end that no longer tells the total
    return body


RESOURCES = (BALANCES, HISTORY)


def _refuse_head(keep_allow: bool) -> Callable[[Request, Response], None]:
    """HEAD refused with 405, as the twin did before issue 28; ``keep_allow``: every Allow still
    lists HEAD (a claim the 405 refutes), else HEAD leaves every Allow (a decision only)."""

    def hook(request: Request, response: Response) -> None:
        if request.method == "HEAD" and request.path in RESOURCES and response.status_code == 200:
            response.status_code = 405
            response.headers["Allow"] = "GET, HEAD, OPTIONS"
        if not keep_allow and "Allow" in response.headers:
            response.headers["Allow"] = ", ".join(m for m in response.headers["Allow"].split(", ") if m != "HEAD")

    return hook


def _refuse_options(request: Request, response: Response) -> None:
    """OPTIONS refused with 405 in the envelope, and left out of every Allow."""
    if request.method == "OPTIONS" and response.status_code == 200:
        response.status_code = 405
        refusal = {"error": {"code": "method_not_allowed", "message": "no", "details": {}}}
        response.set_data(json.dumps(refusal).encode())
        response.headers["Content-Type"] = "application/json"
    if "Allow" in response.headers:
        response.headers["Allow"] = ", ".join(m for m in response.headers["Allow"].split(", ") if m != "OPTIONS")


BODY_KEY = "variants.body"
"""Where ``variants_app`` keeps the request's body, for the hooks that read it after the mock did."""


def _form(request: Request) -> dict[str, str]:
    return dict(parse_qsl(request.environ.get(BODY_KEY, b"").decode("latin-1"), keep_blank_values=True))


def _overstate_scope(request: Request, response: Response) -> None:
    if request.path == "/o/token/" and response.status_code == 200 and _form(request).get("scope") == "read":
        body = json.loads(response.get_data())
        body["scope"] = "read write"  # the token opens the history only
        response.set_data(json.dumps(body).encode())


def _token_without_pragma(request: Request, response: Response) -> None:
    if request.path == "/o/token/" and response.status_code == 200:
        response.headers.pop("Pragma", None)


def _drop_unknown_scopes(request: Request) -> None:
    """A token request's unknown scopes dropped before the mock sees them (served with the known ones)."""
    if request.path != "/o/token/" or request.method != "POST":
        return
    form = _form(request)
    if "scope" in form:
        form["scope"] = " ".join(s for s in form["scope"].split() if s in ("read", "write")) or "read"
        data = urlencode(form).encode()
        request.environ["wsgi.input"], request.environ[BODY_KEY] = io.BytesIO(data), data
        request.environ["CONTENT_LENGTH"] = str(len(data))


def _default_limit_10(request: Request) -> None:
    if request.path == HISTORY and "limit" not in request.args:
        query = request.query_string.decode()
        request.environ["QUERY_STRING"] = (query + "&" if query else "") + "limit=10"


def _ignore_case(key: str, value: str) -> str | None:
    return value.upper() if key == "currency" else value.lower() if key == "type" else value


def _refuse_unknown_type(request: Request, response: Response) -> None:
    if (request.path == HISTORY and response.status_code == 200 and "type" in request.args
            and request.args["type"] not in ("deposit", "withdrawal")):
        response.status_code = 400
        response.set_data(json.dumps({"error": {"code": "invalid_request", "message": "unknown type",
                                                "details": {"type": ["unknown"]}}}).encode())


def _404_past_the_end(request: Request, response: Response) -> None:
    if request.path == HISTORY and response.status_code == 200 and request.method == "GET":
        body = json.loads(response.get_data())
        if body["offset"] > body["total"]:
            response.status_code = 404
            response.set_data(json.dumps({"error": {"code": "not_found", "message": "past the end",
                                                    "details": {}}}).encode())


def _404_without_slash(request: Request, response: Response) -> None:
    if response.status_code == 301:
        response.status_code = 404
        response.headers.pop("Location", None)
        response.headers["Content-Type"] = "application/json"
        response.set_data(json.dumps({"error": {"code": "not_found", "message": f"No such path: {request.path}.",
                                                "details": {"path": request.path}}}).encode())


def _realm(request: Request, response: Response) -> None:
    challenge = response.headers.get("WWW-Authenticate")
    if challenge:
        response.headers["WWW-Authenticate"] = challenge.replace('realm="api"', 'realm="balances-mock"')


def _422_for_bad_parameters(request: Request, response: Response) -> None:
    if request.path == HISTORY and response.status_code == 400:
        response.status_code = 422


def _no_allow(request: Request, response: Response) -> None:
    if response.status_code == 405:
        response.headers.pop("Allow", None)


BROKEN = [
    Variant("schema-missing-field", breaks=(rules.CONFORMS,), schema=True,
            response=_json(lambda r, b: {k: v for k, v in b.items() if k != "sub_accounts"}, _balances_ok)),
    Variant("types-count-as-string", breaks=(rules.CONFORMS,), may_break=(rules.STATISTICS_COUNT,), schema=True,
            response=_json(lambda r, b: {**b, "statistics": {k: str(v) for k, v in b["statistics"].items()}},
                           _balances_ok)),
    Variant("amount-format", breaks=(rules.CONFORMS,), schema=True,
            response=_json(_map_entries(lambda e: e.update(amount=e["amount"] + "00")), _history_ok)),
    Variant("pagination-skips-entries", breaks=(rules.EVERY_ENTRY_ONCE,),
            may_break=(rules.FULL_BUT_AT_THE_END, rules.WALK_REACHES_TOTAL, rules.BALANCE_CHAIN, rules.ECHOES_PAGING),
            request=_shift_offset, response=_json(_unshift_offset, _history_ok)),
    Variant("ordering-oldest-first", breaks=(rules.NEWEST_FIRST,),
            may_break=(rules.EVERY_ENTRY_ONCE, rules.BALANCE_CHAIN, rules.BALANCE_IS_NEWEST,
                       rules.FILTER_EXACT),  # the walk's window is no longer the newest entries
            response=_json(lambda r, b: {**b, "history": b["history"][::-1]}, _history_ok)),
    Variant("filter-leaks-other-currency", breaks=(rules.FILTER_EXACT,), may_break=(rules.BALANCE_CHAIN,),
            response=_json(_mislabel_last, _history_ok)),
    Variant("ledger-balance-disagrees", breaks=(rules.BALANCE_IS_NEWEST,),
            response=_json(_bump_first_balance, _balances_ok)),
    Variant("ledger-statistics-off", breaks=(rules.STATISTICS_COUNT,),
            response=_json(lambda r, b: {**b, "statistics": {**b["statistics"],
                                                             "total_deposits": b["statistics"]["total_deposits"] + 1}},
                           _balances_ok)),
    Variant("auth-missing-token-accepted", breaks=(rules.NO_TOKEN,), request=_accept_missing_token),
    Variant("auth-bad-signature-accepted", breaks=(rules.BROKEN_SIGNATURE, rules.MALFORMED_TOKEN),
            may_break=(rules.EDITED_CLAIMS,), request=_accept_any_signature),
    Variant("scopes-ignored", breaks=(rules.BALANCES_NEED_WRITE,), may_break=(rules.TOKEN_SCOPE_IS_TRUE,),
            request=_ignore_scopes),
    Variant("token-wrong-secret-accepted", breaks=(rules.WRONG_SECRET,), request=_accept_wrong_secret),
    Variant("error-envelope-flat", breaks=(rules.CONFORMS,),
            response=_json(_flat_envelope, lambda r, resp: resp.status_code == 401 and r.path != "/o/token/")),
    Variant("status-500-on-bad-parameters", breaks=(rules.NO_SERVER_ERROR,), response=_bad_parameters_crash),
    Variant("pages-short-total-kept", breaks=(rules.FULL_BUT_AT_THE_END,),
            may_break=(rules.EVERY_ENTRY_ONCE, rules.WALK_REACHES_TOTAL, rules.BALANCE_IS_NEWEST,
                       rules.TOTALS_ADD_UP, rules.BALANCE_CHAIN),
            response=_json(_two_entries_per_page, _history_ok)),
    Variant("type-filter-finds-nothing", breaks=(rules.FILTER_EXACT,),
            caught_by=("test_filters.py::test_type_filter_matches_exactly",),
            response=_json(_filtered({"type"}, lambda body: body["total"]), _history_ok)),
    Variant("combined-filters-find-nothing", breaks=(rules.FILTER_EXACT,),
            caught_by=("test_filters.py::test_combined_filters_match_exactly",),
            response=_json(_filtered({"currency", "type"}, lambda body: 0), _history_ok)),
    Variant("currency-filter-finds-nothing", breaks=(rules.FILTER_EXACT,),
            may_break=(rules.FULL_BUT_AT_THE_END, rules.BALANCE_IS_NEWEST),  # both read through the filter
            caught_by=("test_filters.py::test_currency_filter_matches_exactly_and_totals_add_up",),
            response=_json(_filtered({"currency"}, lambda body: body["total"]), _history_ok)),
    Variant("pages-of-one-empty", breaks=(rules.FULL_BUT_AT_THE_END,),
            may_break=(rules.BALANCE_IS_NEWEST,),  # it reads each currency's newest entry as a page of 1
            caught_by=("test_pagination.py::test_paging_gives_every_entry_once_in_order[1]",),
            response=_json(_pages_of_one_empty, _history_ok)),
    Variant("bearer-challenge-missing", breaks=(rules.BEARER_CHALLENGE,), response=_no_bearer_challenge),
    Variant("allow-missing", breaks=(rules.ALLOW_HEADER,), response=_no_allow),
    # issue 28: a broken variant per cause
    Variant("total-zero-past-the-end", breaks=(rules.TOTAL_PAST_THE_END,),
            may_break=(rules.TOTAL_CONSTANT, rules.WALK_REACHES_TOTAL),
            caught_by=("test_pagination.py::test_offset_past_the_end_gives_an_empty_page",),
            response=_json(_total_zero_past_the_end, _history_ok)),
    Variant("allow-lists-a-refused-method", breaks=(rules.ALLOW_IS_TRUE,),
            caught_by=("test_errors.py::test_wrong_method_is_405_with_allow[DELETE-/user/balances/history/]",),
            response=_refuse_head(keep_allow=True)),
    Variant("token-overstates-scope", breaks=(rules.TOKEN_SCOPE_IS_TRUE,),
            caught_by=("test_auth.py::test_token_scope_is_what_the_token_can_do",), response=_overstate_scope),
    Variant("token-lacks-a-header", breaks=(rules.CONFORMS,), alone=True,
            caught_by=("test_auth.py::test_client_credentials_grant_issues_a_bearer_token",),
            response=_token_without_pragma),
]

def _query(change: Callable[[str, str], str | None]) -> Callable[[Request], None]:
    """A request hook that reads each query parameter another way (None drops it), as a
    lenient server would before the mock sees the request."""

    def hook(request: Request) -> None:
        pairs = [(key, change(key, value)) for key, value in parse_qsl(request.query_string.decode(),
                                                                       keep_blank_values=True)]
        request.environ["QUERY_STRING"] = urlencode([(k, v) for k, v in pairs if v is not None])

    return hook


def _integer(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _no_match_for_empty_type(key: str, value: str) -> str | None:
    return "no-such-type" if key == "type" and value == "" else value


def _clamp_limit(key: str, value: str) -> str | None:
    number = _integer(value)
    return "100" if key == "limit" and number is not None and number > 100 else value


def _negative_offset_is_zero(key: str, value: str) -> str | None:
    number = _integer(value)
    return "0" if key == "offset" and number is not None and number < 0 else value


def _ignore_non_integer_limit(key: str, value: str) -> str | None:
    return None if key == "limit" and _integer(value) is None else value


LENIENT = [
    Variant("lenient-empty-type-matches-nothing", drifts=(rules.EMPTY_FILTER_REFUSED,),
            request=_query(_no_match_for_empty_type)),
    Variant("lenient-limit-clamped-to-100", drifts=(rules.LIMIT_RANGE,), request=_query(_clamp_limit)),
    Variant("lenient-negative-offset-read-as-0", drifts=(rules.BAD_PARAMETER_REFUSED,),
            request=_query(_negative_offset_is_zero)),
    Variant("lenient-non-integer-limit-ignored", drifts=(rules.BAD_PARAMETER_REFUSED,),
            request=_query(_ignore_non_integer_limit)),
]
"""Servers that keep every documented promise but take one of the spec's decisions another way."""

DECIDING = [
    *LENIENT,
    Variant("decides-default-limit-10", drifts=(rules.DEFAULT_PAGE,), request=_default_limit_10),
    Variant("decides-unknown-type-refused", drifts=(rules.UNKNOWN_FILTER,), response=_refuse_unknown_type),
    Variant("decides-unknown-type-refused-schema", drifts=(rules.REJECTED_VALID_INPUT,), schema=True,
            response=_refuse_unknown_type),
    Variant("decides-filters-ignore-case", drifts=(rules.FILTERS_CASE_SENSITIVE,), request=_query(_ignore_case)),
    Variant("decides-404-past-the-end", drifts=(rules.PAST_THE_END,), response=_404_past_the_end),
    Variant("decides-404-without-slash", drifts=(rules.TRAILING_SLASH,), response=_404_without_slash),
    Variant("content-type-html-404", drifts=(rules.UNKNOWN_PATH_ENVELOPE,), response=_html_404),
    Variant("decides-head-refused", drifts=(rules.HEAD_LIKE_GET,), response=_refuse_head(keep_allow=False)),
    Variant("decides-options-refused", drifts=(rules.OPTIONS_METADATA,), response=_refuse_options),
    Variant("decides-unknown-scope-dropped", drifts=(rules.UNKNOWN_SCOPE,), request=_drop_unknown_scopes),
    Variant("decides-realm-balances-mock", drifts=(rules.BEARER_REALM,), response=_realm),
    Variant("decides-422-for-bad-parameters", drifts=(rules.UNDOCUMENTED_REFUSAL,), schema=True,
            response=_422_for_bad_parameters),
]
"""A decision-only variant per decision of the spec (the lenient ones among them): each keeps
every documented promise and takes one decision another way, as a server may. The suite must
report it as drift alone, pass, and fail it under ``--strict``. ``schema``: a decision only the
property-based test checks. ``content-type-html-404`` was a broken variant until issue 28: an
unknown path's JSON envelope is a decision (Django's own 404 page is HTML)."""

COMPATIBLE = [
    Variant("extra-fields", response=_json(_extra_fields, _any_json)),
    Variant("new-currency-zero-balance", response=_json(_new_currency, _balances_ok)),
    Variant("fractional-seconds", response=_json(_map_entries(_fractional_seconds), _history_ok)),
    Variant("extra-headers", response=_extra_headers),
    Variant("rate-limited-429", response=_rate_limited()),
]



def _by_name(variants: list[Variant], name: str) -> Variant:
    return next(variant for variant in variants if variant.name == name)


def combined(name: str, variants: list[Variant]) -> Variant:
    """One variant doing what each of ``variants`` does: compatible changes that touch
    different things, proven harmless together in one run of the suite."""

    def request(request: Request) -> None:
        for variant in variants:
            variant.request(request)

    def response(request: Request, response: Response) -> None:
        for variant in variants:
            variant.response(request, response)

    return Variant(name, request=request, response=response)


ALL_COMPATIBLE = combined("all-compatible", COMPATIBLE)
ALL_LENIENT = combined("all-lenient", LENIENT)

UNKNOWN_TYPES = Variant("unknown-types-only", request=_query(_other_type_names),
                        response=_json(_rename_types, lambda r, resp: resp.status_code == 200
                                       and r.path != "/o/token/"))
"""An account whose entries all have types the contract does not know the direction of: the
balance chain rule can check nothing, and must say so."""

# -- every documented item broken, to prove the coverage matrix ------------------------------

CONTRACT = Contract(read_yaml(ROOT / "spec" / "openapi.yaml"))


def _wrong_type(value: Any) -> Any:
    """A value of another JSON type than ``value``."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, dict, list)):
        return "x"
    return {str: 12345, int: "12", float: "1.5", dict: [], list: {}}[type(value)]


def _break_leaf(document: Any, tokens: list[str]) -> None:
    """Give every value at a leaf's path (``history[].amount``, ``account.*``) a wrong type."""
    token, rest = tokens[0], tokens[1:]
    if token == "[]":
        slots = list(range(len(document))) if isinstance(document, list) else []
    elif isinstance(document, dict):
        slots = list(document) if token == "*" else [token] if token in document else []
    else:
        slots = []
    for slot in slots:
        if rest:
            _break_leaf(document[slot], rest)
        else:
            document[slot] = _wrong_type(document[slot])


def _break_header(response: Response, header: DocumentedHeader) -> None:
    """A required header goes missing; an optional one gets a value its schema refuses."""
    if header.required:
        response.headers.pop(header.name, None)
    elif header.name in response.headers:
        response.headers[header.name] = "soon" if header.schema.get("type") == "integer" else "x-invalid"


def _is_token(documented: DocumentedResponse) -> bool:
    return documented.operation == "obtainToken" and documented.status == "200"


def _items_broken(token: bool) -> Callable[[Request, Response], None]:
    """Each header and body field of documented answers broken on its own (the body stays JSON,
    so each field's failure is observed apart): the token's 200 alone, or every other answer (a
    run needs tokens to reach them)."""

    def hook(request: Request, response: Response) -> None:
        documented = CONTRACT.documented(request.method, request.path, response.status_code)
        if documented is None or _is_token(documented) != token:
            return
        for header in documented.headers:
            _break_header(response, header)
        if documented.leaves and request.method != "HEAD":
            body = json.loads(response.get_data())
            for leaf in documented.leaves:
                _break_leaf(body, [t for t in leaf.replace("[]", ".[]").split(".") if t])
            response.set_data(json.dumps(body).encode())

    return hook


def _content_type_broken(token: bool) -> Callable[[Request, Response], None]:
    """Documented answers with a Content-Type other than the spec's: the token's 200 alone, or
    every other one."""

    def hook(request: Request, response: Response) -> None:
        documented = CONTRACT.documented(request.method, request.path, response.status_code)
        if documented is not None and _is_token(documented) == token:
            response.headers["Content-Type"] = "text/plain; charset=utf-8"

    return hook


ITEMS_BROKEN = [Variant("items-broken", response=_items_broken(token=False)),
                Variant("token-items-broken", response=_items_broken(token=True)),
                Variant("content-type-broken", response=_content_type_broken(token=False)),
                Variant("token-content-type-broken", response=_content_type_broken(token=True))]
"""Between them, every header and body field of every documented answer broken on its own, and
every answer's Content-Type. Each rule fails at the first broken answer it meets, whose items it
has then observed; the token's 200 is broken apart, since every other rule needs a token."""

EARLIER_TWIN = combined("earlier-twin", [_by_name(DECIDING, name) for name in (
    "decides-404-without-slash", "decides-head-refused", "decides-options-refused", "decides-realm-balances-mock")])
"""The twin's answers before issue 28 (404 for a missing slash, HEAD and OPTIONS 405, its own realm):
drift by default, failed by --strict."""

VARIANTS = {v.name: v for v in [*BROKEN, *DECIDING, *COMPATIBLE, ALL_COMPATIBLE, ALL_LENIENT, UNKNOWN_TYPES,
                                *ITEMS_BROKEN, EARLIER_TWIN]}


def variants_app(mock: Any) -> Callable:
    """One WSGI app: ``/v/<name>/<path>`` is ``<path>`` of the mock, rewritten by variant ``name``."""

    def app(environ: dict, start_response: Callable) -> Any:
        parts = environ.get("PATH_INFO", "").split("/", 3)
        variant = VARIANTS.get(parts[2]) if len(parts) == 4 and parts[1] == "v" else None
        if variant is None:
            return Response("no such variant", 404)(environ, start_response)
        environ = {**environ, "PATH_INFO": "/" + parts[3], "SCRIPT_NAME": f"/v/{variant.name}"}
        request = Request(environ)
        body = request.get_data()
        environ["wsgi.input"], environ[BODY_KEY] = io.BytesIO(body), body
        variant.request(request)
        response = Response.from_app(mock, request.environ)
        variant.response(Request(request.environ), response)
        return response(environ, start_response)

    return app


@click.command()
@click.option("--port", default=0, type=int)
def main(port: int) -> None:
    """Serve every variant under /v/<name>/ from one server."""
    mock = create_app(Settings(token_secret=SECRET))
    serve(variants_app(mock), ServerOptions(port=port, workers=1, access_log=False),
          lambda url: click.echo(f"variants at {url}", err=False))


if __name__ == "__main__":
    main()
