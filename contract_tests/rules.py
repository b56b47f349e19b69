"""Every rule the suite checks, and what it rests on: the documentation (or an RFC it relies
on), or a decision the spec took where the documentation is silent. One catalogue: the
contract suite and ``balances-mock proxy`` both judge by it.

A server that breaks a rule resting on the documentation can break a correct client: that
is a **break**, and it fails the run. A server that breaks a rule resting on a decision only
differs from the mock's assumptions: that is **drift**, reported apart, and it fails the run
only under ``--strict``. The decisions are the spec's ``x-decisions``; a rule naming one the
spec does not list stops the run before any test (``check_decisions``).

A decided answer still shows documented things: a page past the end is decided, its ``total``
is the documentation's. The promises a decision's check holds inside it are rules of their own
(``within``), so a failure is filed under what it breaks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

BREAK, DRIFT = "break", "drift"


@dataclass(frozen=True)
class Rule:
    """One rule: the sentence a report shows, and its basis ("docs", "RFC 6749 §5.2", ...) or
    the id of the spec's decision it rests on. ``part``: the documented item it judges
    (``header WWW-Authenticate``), where the spec says that RFC requires the item
    (``x-required-by``): the item, broken, is reported under this rule, not the generic one.
    ``within``: for a promise, the decisions whose checks hold it inside a decided answer;
    ``holds``: the documented items (``Item.key``) it holds there."""

    text: str
    basis: str = "docs"
    decision: str | None = None
    part: str | None = None
    within: tuple[str, ...] = ()
    holds: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return DRIFT if self.decision else BREAK

    @property
    def source(self) -> str:
        return f"decision: {self.decision}" if self.decision else self.basis


def decided(text: str, decision: str) -> Rule:
    return Rule(text, "decision", decision)


@dataclass(frozen=True)
class Decision:
    """One of the spec's ``x-decisions``: its id, what it decides, and the check (a test of the
    suite, ``test_file.py::test_name``) that holds an implementation to it."""

    id: str
    text: str
    check: str | None


def decisions(spec: Mapping[str, Any]) -> list[Decision]:
    """The spec's decisions, in its order."""
    listed = spec.get("x-decisions") or {}
    return [Decision(key, str(value.get("decision", "")) if isinstance(value, Mapping) else str(value),
                     value.get("check") if isinstance(value, Mapping) else None) for key, value in listed.items()]


def promises_within(decision: str) -> list[Rule]:
    """The documentation's promises a decision's check still holds inside the decided answer."""
    return [rule for rule in all_rules() if decision in rule.within]


# -- every response --------------------------------------------------------------------------
CONFORMS = Rule("responses are as the spec documents them (status, headers, body)", "spec")
ERRORS_ARE_JSON = Rule("errors are JSON")
ERRORS_USE_THE_ENVELOPE = Rule("errors use the envelope")
TOKEN_ERRORS = Rule("token errors follow RFC 6749 section 5.2", "RFC 6749 §5.2")
NO_SERVER_ERROR = Rule("a client's request is never answered with a server error (5xx)", "RFC 9110 §15.6")

# -- pagination ------------------------------------------------------------------------------
VALID_HISTORY_REQUEST = Rule("a valid history request is answered with 200")
VALID_BALANCES_REQUEST = Rule("a read-and-write token reads the balances (200)")
ECHOES_PAGING = Rule("pagination echoes limit and offset", within=("paging-defaults",),
                     holds=("getBalanceHistory 200 body limit", "getBalanceHistory 200 body offset"))
AT_MOST_LIMIT = Rule("a page holds at most `limit` entries")
FULL_BUT_AT_THE_END = Rule("a page is full except at the end",
                           within=("paging-defaults", "unknown-filter-matches-nothing", "offset-past-the-end"),
                           holds=("getBalanceHistory 200 body total",))
EVERY_ENTRY_ONCE = Rule("paging gives every entry exactly once, in order")
TOTAL_CONSTANT = Rule("`total` is the same on every page")
WALK_REACHES_TOTAL = Rule("walking the pages collects `total` entries")
DEFAULT_PAGE = decided("the default page is limit 20, offset 0", "paging-defaults")
PAST_THE_END = decided("an offset past the end is answered 200 with an empty page", "offset-past-the-end")
TOTAL_PAST_THE_END = Rule("past the end, a page's `total` is still the total of matching records",
                          within=("offset-past-the-end",), holds=("getBalanceHistory 200 body total",))

# -- ordering and filters --------------------------------------------------------------------
NEWEST_FIRST = Rule("history is newest first")
STABLE_ORDER = Rule("the order is stable between calls")
FILTER_EXACT = Rule("a filter matches exactly", within=("unknown-filter-matches-nothing", "filters-case-sensitive"),
                    holds=("getBalanceHistory 200 body history[].currency",
                           "getBalanceHistory 200 body history[].type"))
TOTALS_ADD_UP = Rule("the per-currency totals add up to the unfiltered total")
UNKNOWN_FILTER = decided("an unknown filter value is answered 200 with an empty page",
                         "unknown-filter-matches-nothing")
FILTERS_CASE_SENSITIVE = decided("filters match case-sensitively", "filters-case-sensitive")

# -- the ledger ------------------------------------------------------------------------------
BALANCE_IS_NEWEST = Rule("a balance equals the newest balance_after of its currency")
BALANCE_CHAIN = Rule("balance_after moves by exactly `amount` in the direction of `type`")
NEVER_NEGATIVE = Rule("balances are never negative")
STATISTICS_COUNT = Rule("statistics count the history's deposits and withdrawals")

# -- input -----------------------------------------------------------------------------------
BAD_PARAMETER_REFUSED = decided("a malformed or out-of-range parameter is refused with 400",
                                "invalid-parameters-refused")
LIMIT_RANGE = decided("`limit` above 100 is refused with 400", "limit-range")
EMPTY_FILTER_REFUSED = decided("an empty filter value is refused with 400", "empty-filter-refused")
INVALID_REQUEST_CODE = Rule("a refused parameter is `invalid_request`",
                            within=("invalid-parameters-refused", "limit-range", "empty-filter-refused"),
                            holds=("getBalanceHistory 400 body error.code",))

# -- paths and methods -----------------------------------------------------------------------
UNKNOWN_PATH = Rule("an unknown path is 404", "RFC 9110 §15.5.5", within=("unknown-path-envelope",))
UNKNOWN_PATH_ENVELOPE = decided("an unknown path is answered in the API's JSON envelope", "unknown-path-envelope")
TRAILING_SLASH = decided("a path without its trailing slash is redirected with 301 to the path with it",
                         "trailing-slash")
REDIRECT_LEADS_THERE = Rule("a redirect's Location serves what was asked for", "RFC 9110 §15.4.2",
                            within=("trailing-slash",))
WRONG_METHOD = Rule("a method the path does not have is 405", "RFC 9110 §15.5.6")
ALLOW_HEADER = Rule("a 405 names the allowed methods in Allow", "RFC 9110 §15.5.6", part="header Allow")
ALLOW_IS_TRUE = Rule("every method an Allow header lists is served (none is 405)", "RFC 9110 §10.2.1",
                     within=("head-like-get", "options-metadata"),
                     holds=("getAccountBalances 405 header Allow", "getBalanceHistory 405 header Allow",
                            "obtainToken 405 header Allow"))
HEAD_LIKE_GET = decided("HEAD is answered like GET, and Allow lists it", "head-like-get")
HEAD_HAS_NO_BODY = Rule("a HEAD answer has no body, and the headers GET has", "RFC 9110 §9.3.2",
                        within=("head-like-get",))
OPTIONS_METADATA = decided("OPTIONS answers 200 with DRF's metadata, and Allow lists it", "options-metadata")

# -- authentication and scopes ---------------------------------------------------------------
NO_TOKEN = Rule("a request without a token is 401")
MALFORMED_TOKEN = Rule("a malformed token is 401")
BROKEN_SIGNATURE = Rule("a token with a broken signature is 401")
EDITED_CLAIMS = Rule("a token whose claims were edited is 401")
BEARER_CHALLENGE = Rule("a 401 carries a Bearer challenge in WWW-Authenticate", "RFC 6750 §3",
                        part="header WWW-Authenticate", within=("bearer-realm",),
                        holds=("getAccountBalances 401 header WWW-Authenticate",
                               "getBalanceHistory 401 header WWW-Authenticate"))
BEARER_REALM = decided('the Bearer challenge names the realm "api"', "bearer-realm")
BALANCES_NEED_WRITE = Rule("balances need read AND write: a read-only token is 403")
HISTORY_NEEDS_READ = Rule("the history needs read: a write-only token is 403")
HISTORY_READ_ONLY = Rule("the history needs only read")
WRONG_SECRET = Rule("a wrong client secret is refused as invalid_client", "RFC 6749 §5.2")
BASIC_CHALLENGE = Rule("a 401 for a wrong Basic secret carries WWW-Authenticate", "RFC 6749 §5.2",
                       part="header WWW-Authenticate")
UNSUPPORTED_GRANT = Rule("an unsupported grant type is 400 unsupported_grant_type", "RFC 6749 §5.2")
TOKEN_ISSUED = Rule("valid client credentials get a Bearer token", "RFC 6749 §4.4")
TOKEN_SCOPE_IS_TRUE = Rule("a token answer's `scope` is what the token can do", "RFC 6749 §5.1",
                           within=("unknown-scope-refused",), holds=("obtainToken 200 body scope",))
TOKEN_LIFE = Rule("`expires_in` is the token's life", "RFC 6749 §5.1", holds=("obtainToken 200 body expires_in",))
UNKNOWN_SCOPE = decided("a token request for a scope the server does not know is 400 invalid_scope",
                        "unknown-scope-refused")
RETRY_AFTER_HONOURABLE = Rule("a Retry-After is a delay a retry can honour (seconds or an HTTP date)",
                              "RFC 9110 §10.2.3")
FORCED_STATUS = Rule("a documented status, when the server produces it, is as documented", "spec")

# -- schemathesis' checks, by the failure they raise -------------------------------------------
ACCEPTED_INVALID_INPUT = decided("schema-invalid input is refused", "invalid-parameters-refused")
REJECTED_VALID_INPUT = decided("schema-valid input is accepted", "valid-input-accepted")
UNDOCUMENTED_REFUSAL = decided("a refusal uses a status the spec documents for the operation",
                               "undocumented-errors")
UNDOCUMENTED_STATUS = Rule("every status is one the spec documents for the operation", "spec")
ALLOW_LISTS_MORE = Rule("Allow lists the documented methods", "spec")
SCHEMATHESIS = Rule("schemathesis check", "spec")

# -- what a client sends (the proxy judges requests too) --------------------------------------
KNOWN_PATH = Rule("a request goes to one of the API's paths", "docs")
KNOWN_METHOD = Rule("a request uses a method its path has", "RFC 9110 §15.5.6")
BEARER_REQUEST = Rule("a resource request carries a Bearer token", "RFC 6750 §2.1")
TOKEN_REQUEST = Rule("a token request is a client-credentials request with client authentication", "RFC 6749 §4.4")
PARAMETERS = Rule("parameters are as the documentation allows", "docs")
REFUSED_NOT_ANSWERED = Rule("a request the contract refuses is not answered 2xx", "docs")


def schemathesis_rule(failure: object) -> Rule:
    """The rule a schemathesis failure breaks. Accepting input the spec calls invalid, refusing
    input it calls valid, or refusing with a status of its own are the server's way of handling
    a case the documentation does not settle: drift. Anything about what a response holds is a
    break, and so is a failure the suite does not know (the safe side)."""
    name = type(failure).__name__
    exception = getattr(failure, "exception", None)
    if isinstance(exception, AssertionError) and isinstance(getattr(exception, "rule", None), Rule):
        return exception.rule  # one of our own checks, registered with schemathesis
    if name == "AcceptedNegativeData":
        return ACCEPTED_INVALID_INPUT
    if name == "RejectedPositiveData":
        return REJECTED_VALID_INPUT
    if name == "UndefinedStatusCode":
        status = getattr(failure, "status_code", 0)
        return UNDOCUMENTED_REFUSAL if 400 <= status < 500 and status not in (401, 403) else UNDOCUMENTED_STATUS
    if name == "UnsupportedMethodResponse":
        if getattr(failure, "failure_reason", "") == "missing_allow_header":
            return ALLOW_HEADER
        return WRONG_METHOD if getattr(failure, "status_code", 500) < 500 else NO_SERVER_ERROR
    if name == "AllowHeaderMismatch":
        return ALLOW_LISTS_MORE if not getattr(failure, "missing_methods", None) else ALLOW_HEADER
    if name in ("JsonSchemaError", "MissingHeaders", "MalformedJson", "MissingContentType", "UndefinedContentType",
                "MalformedMediaType", "ContentDeserializationError"):
        return CONFORMS
    if name in ("ServerError", "ContentTypeServerError"):
        return NO_SERVER_ERROR
    if name == "IgnoredAuth":
        return NO_TOKEN
    return Rule(f"schemathesis: {getattr(failure, 'title', name)}", "spec")


def judged_by(part: str, basis: str) -> Rule:
    """The rule a documented item that is not as documented breaks: the rule of the suite that
    names the item and rests on the RFC the spec cites for it, else the spec's generic rule."""
    return next((rule for rule in all_rules() if rule.part == part and rule.basis == basis), CONFORMS)


def all_rules() -> list[Rule]:
    return [value for value in globals().values() if isinstance(value, Rule)]


def check_decisions(decisions: Mapping[str, Any] | None, rules: Iterable[Rule] | None = None) -> list[str]:
    """Decisions the rules rest on that the spec does not list (an empty list when all are)."""
    listed = set(decisions or {})
    return sorted({rule.decision for rule in (rules or all_rules()) if rule.decision and rule.decision not in listed})


def unchecked_decisions(spec: Mapping[str, Any], tests: Iterable[str], rules: Iterable[Rule] | None = None
                        ) -> list[str]:
    """Decisions of the spec nothing holds an implementation to: no ``check``, a check that is
    none of ``tests`` (``test_file.py::test_name``), or no rule resting on the decision."""
    resting = {rule.decision for rule in (rules or all_rules()) if rule.decision}
    known = set(tests)
    return [d.id for d in decisions(spec) if not d.check or d.check not in known or d.id not in resting]
