"""Deliberately broken (and deliberately compatible) versions of the mock, to prove that the
contract suite fails exactly when the contract breaks.

Each variant is a small rewrite of requests or responses in front of the real mock, served
under ``/v/<name>/``. ``python -m tests.support.variants`` serves them all from one process.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
import jwt
from werkzeug.wrappers import Request, Response

from mock_server import Settings, create_app
from mock_server.server import ServerOptions, serve

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
    """A rewrite of the mock. ``must_fail``: the contract tests meant to catch it (substrings of
    their ids); ``may_fail``: tests that also fail as a direct consequence of the same break."""

    name: str
    must_fail: tuple[str, ...] = ()
    may_fail: tuple[str, ...] = ()
    request: Callable[[Request], None] = lambda request: None
    response: Callable[[Request, Response], None] = lambda request, response: None


def _json(rewrite: Callable[[Request, Any], Any], only: Callable[[Request, Response], bool]
          ) -> Callable[[Request, Response], None]:
    """A response hook that rewrites the JSON body of the responses ``only`` selects."""

    def hook(request: Request, response: Response) -> None:
        if only(request, response):
            body = json.loads(response.get_data())
            response.set_data(json.dumps(rewrite(request, body)).encode())

    return hook


def _history_ok(request: Request, response: Response) -> bool:
    return request.path == HISTORY and response.status_code == 200


def _balances_ok(request: Request, response: Response) -> bool:
    return request.path == BALANCES and response.status_code == 200


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


BROKEN = [
    Variant("schema-missing-field", must_fail=("test_schema",),
            response=_json(lambda r, b: {k: v for k, v in b.items() if k != "sub_accounts"}, _balances_ok)),
    Variant("types-count-as-string", must_fail=("test_schema",), may_fail=("test_statistics_count",),
            response=_json(lambda r, b: {**b, "statistics": {k: str(v) for k, v in b["statistics"].items()}},
                           _balances_ok)),
    Variant("amount-format", must_fail=("test_schema",),
            response=_json(_map_entries(lambda e: e.update(amount=e["amount"] + "00")), _history_ok)),
    Variant("pagination-skips-entries", must_fail=("test_paging_gives_every_entry_once",),
            may_fail=("test_pages_echo_limit", "test_schema", "test_balance_after_moves",
                      "test_combined_filters"),
            request=_shift_offset, response=_json(_unshift_offset, _history_ok)),
    Variant("ordering-oldest-first", must_fail=("test_history_is_newest_first",),
            may_fail=("test_paging_gives_every_entry_once", "test_balance_after_moves",
                      "test_each_balance_is_the_newest", "test_combined_filters", "test_schema"),
            response=_json(lambda r, b: {**b, "history": b["history"][::-1]}, _history_ok)),
    Variant("filter-leaks-other-currency", must_fail=("test_currency_filter_matches",),
            may_fail=("test_schema", "test_combined_filters", "test_balance_after_moves"),
            response=_json(_mislabel_last, _history_ok)),
    Variant("ledger-balance-disagrees", must_fail=("test_each_balance_is_the_newest",),
            response=_json(_bump_first_balance, _balances_ok)),
    Variant("ledger-statistics-off", must_fail=("test_statistics_count",),
            response=_json(lambda r, b: {**b, "statistics": {**b["statistics"],
                                                             "total_deposits": b["statistics"]["total_deposits"] + 1}},
                           _balances_ok)),
    Variant("auth-missing-token-accepted", must_fail=("test_no_token_is_401",), may_fail=("test_schema",),
            request=_accept_missing_token),
    Variant("auth-bad-signature-accepted", must_fail=("test_broken_signature_is_401", "test_malformed_token_is_401"),
            may_fail=("test_edited_claims", "test_schema"), request=_accept_any_signature),
    Variant("scopes-ignored", must_fail=("test_read_only_token_on_balances_is_403",), request=_ignore_scopes),
    Variant("token-wrong-secret-accepted", must_fail=("test_wrong_client_secret",), request=_accept_wrong_secret),
    Variant("error-envelope-flat", must_fail=("test_no_token_is_401", "test_malformed_token_is_401"),
            may_fail=("test_schema", "test_broken_signature", "test_edited_claims"),
            response=_json(_flat_envelope, lambda r, resp: resp.status_code == 401 and r.path != "/o/token/")),
    Variant("content-type-html-404", must_fail=("test_unknown_path_is_404",), response=_html_404),
    Variant("status-500-on-bad-parameters", must_fail=("test_bad_parameters_are_400",), may_fail=("test_schema",),
            response=_bad_parameters_crash),
]

COMPATIBLE = [
    Variant("extra-fields", response=_json(_extra_fields, _any_json)),
    Variant("new-currency-zero-balance", response=_json(_new_currency, _balances_ok)),
    Variant("fractional-seconds", response=_json(_map_entries(_fractional_seconds), _history_ok)),
    Variant("extra-headers", response=_extra_headers),
    Variant("rate-limited-429", response=_rate_limited()),
]



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

VARIANTS = {v.name: v for v in [*BROKEN, *COMPATIBLE, ALL_COMPATIBLE]}


def variants_app(mock: Any) -> Callable:
    """One WSGI app: ``/v/<name>/<path>`` is ``<path>`` of the mock, rewritten by variant ``name``."""

    def app(environ: dict, start_response: Callable) -> Any:
        parts = environ.get("PATH_INFO", "").split("/", 3)
        variant = VARIANTS.get(parts[2]) if len(parts) == 4 and parts[1] == "v" else None
        if variant is None:
            return Response("no such variant", 404)(environ, start_response)
        environ = {**environ, "PATH_INFO": "/" + parts[3], "SCRIPT_NAME": f"/v/{variant.name}"}
        request = Request(environ)
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
    serve(variants_app(mock), ServerOptions(port=port, workers=2, access_log=False),
          lambda url: click.echo(f"variants at {url}", err=False))


if __name__ == "__main__":
    main()
