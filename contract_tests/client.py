"""How the suite talks to an implementation: only through HTTP, politely.

One ``ContractClient`` per run sends every request of the suite (schemathesis' included): it
counts them against a budget, honours ``Retry-After`` on 429 instead of failing, and gets
tokens through the real client-credentials flow, refreshing them before they expire. Every
response it receives is shown to its ``observer``, which checks the documented items the
response holds (``conformance``) and credits them to the running rule (``run_report``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from . import redaction
from .checks import ContractViolation, conforms, retry_after_is_honourable
from .paths import TOKEN_PATH

REFRESH_MARGIN = 60
"""Seconds before expiry at which a token is replaced."""
MAX_RETRY_AFTER = 120
"""The longest a single 429 may make the suite wait."""
MAX_429_RETRIES = 5


class BudgetExhausted(Exception):
    """The run has sent as many requests as it was allowed to."""


class TokenUnavailable(RuntimeError):
    """The token endpoint issued no token: the rules that need one cannot run (the token
    endpoint's own tests say why)."""


@dataclass(frozen=True)
class Credentials:
    """A client id and secret, or a ready bearer token."""

    client_id: str | None = None
    client_secret: str | None = None
    token: str | None = None

    @property
    def usable(self) -> bool:
        return bool(self.token or (self.client_id and self.client_secret))


Observer = Callable[[requests.Response], Sequence[tuple[Any, str]]]
"""Looks at a response; returns what in it is not as documented (``(item, problem)`` pairs)."""


class ContractClient:
    """A ``requests.Session`` with a request budget, 429 back-off and an observer of responses."""

    def __init__(self, base_url: str, max_requests: int, timeout: float = 30,
                 sleep: Callable[[float], None] = time.sleep, observer: Observer | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_requests = max_requests
        self.sent = 0
        self.timeout = timeout
        self.observer = observer
        self._sleep = sleep
        self._lock = threading.Lock()
        self.session = _BudgetedSession(self)

    def url(self, path: str) -> str:
        return urljoin(self.base_url + "/", path.lstrip("/"))

    def request(self, method: str, path: str, retry_429: bool = True, judged: bool = True,
                **kwargs: Any) -> requests.Response:
        """Send a request of a rule. A response that breaks the spec where it documents
        something (a header, a field) fails the rule here, before the rule reads it; a
        ``Retry-After`` a retry cannot honour fails it too. ``judged=False``: a fixture's
        request, only observed (its items credited to the coverage matrix): what it reads is
        judged by the rule about it, not by every rule that needs it."""
        response = self.session.request(method, self.url(path), retry_429=retry_429, **kwargs)
        if judged:
            conforms(response, getattr(response, "contract_problems", ()))
            if response.status_code in (429, 503):
                retry_after_is_honourable(response)
        return response

    def get(self, path: str, token: str | None = None, params: Mapping[str, Any] | None = None,
            headers: Mapping[str, str] | None = None, judged: bool = True) -> requests.Response:
        sent_headers = dict(headers or {})
        if token is not None:
            sent_headers["Authorization"] = f"Bearer {token}"
        return self.request("GET", path, judged=judged, params=params, headers=sent_headers)

    def count(self) -> None:
        with self._lock:
            if self.sent >= self.max_requests:
                raise BudgetExhausted(
                    f"the request budget of {self.max_requests} is spent; raise it with --max-requests "
                    "(or BALANCES_MAX_REQUESTS) if the implementation can take more")
            self.sent += 1


class _BudgetedSession(requests.Session):
    def __init__(self, owner: ContractClient) -> None:
        super().__init__()
        self._owner = owner
        self.headers["User-Agent"] = "balances-contract-tests"
        self._environment: dict[tuple[Any, ...], dict[str, Any]] = {}

    def merge_environment_settings(self, url: str, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> dict[str, Any]:
        """requests' own settings from the environment (proxies, ``no_proxy``, CA bundles), read
        once per origin and arguments instead of at every request: requests walks every
        environment variable for them each time, about 7% of a contract run's CPU as a client.
        A run talks to one origin, and its environment does not change under it."""
        scheme, netloc = urlsplit(url)[:2]
        key = (scheme, netloc, tuple(sorted((proxies or {}).items())), stream, verify, cert)
        if key not in self._environment:
            self._environment[key] = super().merge_environment_settings(url, proxies, stream, verify, cert)
        settings = self._environment[key]
        return {**settings, "proxies": dict(settings["proxies"])}

    def request(self, method: str, url: str, *args: Any, retry_429: bool = True,  # type: ignore[override]
                **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._owner.timeout)
        kwargs.setdefault("allow_redirects", False)
        for _ in range(MAX_429_RETRIES + 1):
            self._owner.count()
            response = super().request(method, url, *args, **kwargs)
            if self._owner.observer is not None:
                response.contract_problems = self._owner.observer(response)  # type: ignore[attr-defined]
            if response.status_code != 429 or not retry_429 or not _honourable(response):
                return response  # a Retry-After no retry can honour: the rule that sent it is told
            self._owner._sleep(_retry_after(response))
        return response


def _honourable(response: requests.Response) -> bool:
    try:
        retry_after_is_honourable(response)
    except ContractViolation:
        return False
    return True


def _retry_after(response: requests.Response) -> float:
    try:
        return min(max(float(response.headers.get("Retry-After", "1")), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return 1.0


class TokenSource:
    """Bearer tokens for one credential, from ``/o/token/``, renewed before they expire."""

    def __init__(self, client: ContractClient, credentials: Credentials,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._credentials = credentials
        self._clock = clock
        self._token: str | None = credentials.token
        self._expires_at = float("inf") if credentials.token else 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - REFRESH_MARGIN:
                self._token, lifetime = self._fetch()
                self._expires_at = self._clock() + lifetime
            return self._token

    def _fetch(self) -> tuple[str, float]:
        """Any token the endpoint issues: how its answer keeps the contract (headers, fields) is
        judged by the token endpoint's own rules, so one broken item there fails them alone."""
        response = self._client.request(
            "POST", TOKEN_PATH, judged=False, data={"grant_type": "client_credentials"},
            auth=(self._credentials.client_id or "", self._credentials.client_secret or ""))
        try:
            body = response.json()
            token = body["access_token"]
            if not isinstance(token, str) or not token:
                raise TypeError("no access_token")
            try:
                lifetime = float(body.get("expires_in", 3600))
            except (TypeError, ValueError):
                lifetime = 3600.0  # a broken expires_in is the token rules' business
            return token, lifetime
        except (ValueError, KeyError, TypeError, AttributeError):
            raise TokenUnavailable(
                f"Could not obtain a token for client {self._credentials.client_id!r}: POST {TOKEN_PATH} "
                f"answered {response.status_code} {(redaction.body(response.text) or '')[:300]!r}. Check the "
                "credentials (--client-id/--client-secret or BALANCES_CLIENT_ID/BALANCES_CLIENT_SECRET).") from None
