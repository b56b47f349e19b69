"""Every rule the suite checks, and what it rests on: the documentation (or an RFC it relies
on), or a decision the spec took where the documentation is silent.

A server that breaks a rule resting on the documentation can break a correct client: that
is a **break**, and it fails the run. A server that breaks a rule resting on a decision only
differs from the mock's assumptions: that is **drift**, reported apart, and it fails the run
only under ``--strict``. The decisions are the spec's ``x-decisions``; a rule naming one the
spec does not list stops the run before any test (``check_decisions``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

BREAK, DRIFT = "break", "drift"


@dataclass(frozen=True)
class Rule:
    """One rule: the sentence a report shows, and its basis ("docs", "RFC 6749 §5.2", ...) or
    the id of the spec's decision it rests on. ``part``: the documented item it judges
    (``header WWW-Authenticate``), where the spec says that RFC requires the item
    (``x-required-by``): the item, broken, is reported under this rule, not the generic one."""

    text: str
    basis: str = "docs"
    decision: str | None = None
    part: str | None = None

    @property
    def kind(self) -> str:
        return DRIFT if self.decision else BREAK

    @property
    def source(self) -> str:
        return f"decision: {self.decision}" if self.decision else self.basis


def decided(text: str, decision: str) -> Rule:
    return Rule(text, "decision", decision)


# -- every response --------------------------------------------------------------------------
CONFORMS = Rule("responses are as the spec documents them (status, headers, body)", "spec")
ERRORS_ARE_JSON = Rule("errors are JSON")
ERRORS_USE_THE_ENVELOPE = Rule("errors use the envelope")
TOKEN_ERRORS = Rule("token errors follow RFC 6749 section 5.2", "RFC 6749 §5.2")
NO_SERVER_ERROR = Rule("a client's request is never answered with a server error (5xx)", "RFC 9110 §15.6")

# -- pagination ------------------------------------------------------------------------------
VALID_HISTORY_REQUEST = Rule("a valid history request is answered with 200")
VALID_BALANCES_REQUEST = Rule("a read-and-write token reads the balances (200)")
ECHOES_PAGING = Rule("pagination echoes limit and offset")
AT_MOST_LIMIT = Rule("a page holds at most `limit` entries")
FULL_BUT_AT_THE_END = Rule("a page is full except at the end")
EVERY_ENTRY_ONCE = Rule("paging gives every entry exactly once, in order")
TOTAL_CONSTANT = Rule("`total` is the same on every page")
WALK_REACHES_TOTAL = Rule("walking the pages collects `total` entries")
DEFAULT_PAGE = decided("the default page is limit 20, offset 0", "paging-defaults")
PAST_THE_END = decided("an offset past the end gives an empty page and the same total", "offset-past-the-end")

# -- ordering and filters --------------------------------------------------------------------
NEWEST_FIRST = Rule("history is newest first")
STABLE_ORDER = Rule("the order is stable between calls")
FILTER_EXACT = Rule("a filter matches exactly")
TOTALS_ADD_UP = Rule("the per-currency totals add up to the unfiltered total")
UNKNOWN_FILTER = decided("an unknown filter value matches nothing (200, empty page, total 0)",
                         "unknown-filter-matches-nothing")

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
INVALID_REQUEST_CODE = Rule("a refused parameter is `invalid_request`")

# -- paths and methods -----------------------------------------------------------------------
UNKNOWN_PATH = Rule("an unknown path is 404", "RFC 9110 §15.5.5")
TRAILING_SLASH = decided("a path without its trailing slash is 404", "trailing-slash")
WRONG_METHOD = Rule("a method the path does not have is 405", "RFC 9110 §15.5.6")
ALLOW_HEADER = Rule("a 405 names the allowed methods in Allow", "RFC 9110 §15.5.6", part="header Allow")
HEAD_AND_OPTIONS = decided("HEAD and OPTIONS are 405 like any undocumented method", "undocumented-methods")

# -- authentication and scopes ---------------------------------------------------------------
NO_TOKEN = Rule("a request without a token is 401")
MALFORMED_TOKEN = Rule("a malformed token is 401")
BROKEN_SIGNATURE = Rule("a token with a broken signature is 401")
EDITED_CLAIMS = Rule("a token whose claims were edited is 401")
BEARER_CHALLENGE = Rule("a 401 carries a Bearer challenge in WWW-Authenticate", "RFC 6750 §3",
                        part="header WWW-Authenticate")
BALANCES_NEED_WRITE = Rule("balances need read AND write: a read-only token is 403")
HISTORY_NEEDS_READ = Rule("the history needs read: a write-only token is 403")
HISTORY_READ_ONLY = Rule("the history needs only read")
WRONG_SECRET = Rule("a wrong client secret is refused as invalid_client", "RFC 6749 §5.2")
BASIC_CHALLENGE = Rule("a 401 for a wrong Basic secret carries WWW-Authenticate", "RFC 6749 §5.2",
                       part="header WWW-Authenticate")
UNSUPPORTED_GRANT = Rule("an unsupported grant type is 400 unsupported_grant_type", "RFC 6749 §5.2")
TOKEN_ISSUED = Rule("valid client credentials get a Bearer token", "RFC 6749 §4.4")
FORCED_STATUS = Rule("a documented status, when the server produces it, is as documented", "spec")

# -- schemathesis' checks, by the failure they raise -------------------------------------------
ACCEPTED_INVALID_INPUT = decided("schema-invalid input is refused", "invalid-parameters-refused")
REJECTED_VALID_INPUT = decided("schema-valid input is accepted", "valid-input-accepted")
UNDOCUMENTED_REFUSAL = decided("a refusal uses a status the spec documents for the operation",
                               "undocumented-errors")
UNDOCUMENTED_STATUS = Rule("every status is one the spec documents for the operation", "spec")
UNDOCUMENTED_METHOD = decided("an undocumented method is 405", "undocumented-methods")
ALLOW_LISTS_MORE = decided("Allow lists exactly the documented methods", "undocumented-methods")
SCHEMATHESIS = Rule("schemathesis check", "spec")


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
        return UNDOCUMENTED_METHOD if getattr(failure, "status_code", 500) < 500 else NO_SERVER_ERROR
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


def check_decisions(decisions: Mapping[str, str] | None, rules: Iterable[Rule] | None = None) -> list[str]:
    """Decisions the rules rest on that the spec does not list (an empty list when all are)."""
    listed = set(decisions or {})
    return sorted({rule.decision for rule in (rules or all_rules()) if rule.decision and rule.decision not in listed})
