"""OAuth 2.0 as the real API does it: client-credentials tokens and scope checks.

The real token endpoint is django-oauth-toolkit's (on oauthlib), so the token endpoint
checks a request in oauthlib's order and authenticates the client as the toolkit's
``OAuth2Validator.authenticate_client`` does: HTTP Basic first, the form body if that
fails. The spec's description of ``POST /o/token/`` lists what is matched, with references.

Tokens are HS256 JWTs carrying the client and its scopes, so every worker and every
replica that shares the signing secret verifies them without shared state. Client secrets
are compared in constant time and never logged. Which clients exist, configured or created
through the control API, the ``ClientRegistry`` knows.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

import jwt
from flask import Response

from mock_server.errors import ApiError, TokenError
from mock_server.serializer import json_response
from mock_server.settings import Client
from mock_server.twin.decoding import Undecodable, form_pairs
from mock_server.twin.registry import ClientRegistry, Known
from mock_server.twin.request import Grant
from mock_server.twin.validation import BODY, FORM, RequestInvalid, SpecValidator

if TYPE_CHECKING:
    from mock_server.twin.request import RequestState

ISSUER = "balances-mock"
REALM = "api"
"""The realm of every challenge: django-oauth-toolkit's DRF authentication class says ``api``
(``oauth2_provider/contrib/rest_framework/authentication.py``, ``www_authenticate_realm``)."""
ALGORITHM = "HS256"
CLIENT_CREDENTIALS = "client_credentials"
REFUSED_REPEATS = frozenset({"grant_type", "scope", "client_id", "client_secret"})
"""Parameters refused when repeated: oauthlib refuses ``grant_type`` and ``scope``; the
mock refuses the credentials too, since which of two secrets counted would be a guess."""


class TokenService:
    """Issues and verifies tokens for the clients of a registry (or of a fixed set)."""

    def __init__(self, clients: ClientRegistry | Iterable[Client], secret: str, ttl: int,
                 clock: Callable[[], float] = time.time) -> None:
        self._clients = clients if isinstance(clients, ClientRegistry) else ClientRegistry(clients)
        self._secret = secret
        self._ttl = ttl
        self._clock = clock
        # Checking a signature costs more than the rest of a request; a token's bytes never
        # change, so each distinct token is checked once per worker. Times are checked always.
        self._signed_claims = lru_cache(maxsize=4096)(self._check_signature)

    # -- the token endpoint ------------------------------------------------------------

    def token_response(self, form: Mapping[str, Any], authorization: str | None,
                       duplicated: Iterable[str]) -> dict[str, Any]:
        """The body for ``POST /o/token/``; TokenError in the order oauthlib checks
        (``ClientCredentialsGrant.validate_token_request``): grant type, repeated
        parameters, client authentication, the client id, scopes."""
        if not form.get("grant_type"):
            raise TokenError("invalid_request", "The request is missing grant_type.")
        if form["grant_type"] != CLIENT_CREDENTIALS:
            raise _unsupported_grant_type()
        repeated = sorted(set(duplicated) & REFUSED_REPEATS)
        if repeated:
            raise TokenError("invalid_request", f"Parameter given more than once: {', '.join(repeated)}.")
        client = self._authenticate(form, authorization)
        scopes = self._grantable_scopes(client, form.get("scope"))
        now = int(self._clock())
        claims = {"iss": ISSUER, "sub": client.client_id, "scope": " ".join(sorted(scopes)),
                  "iat": now, "nbf": now, "exp": now + self._ttl, "jti": secrets.token_hex(8)}
        return {
            "access_token": jwt.encode(claims, self._secret, algorithm=ALGORITHM),
            "expires_in": self._ttl,
            "token_type": "Bearer",
            "scope": claims["scope"],
            "issued_at": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    @staticmethod
    def malformed(raw_form: Mapping[str, str], reasons: Iterable[str]) -> TokenError:
        """The error for a request the spec refuses. A grant type other than ours is
        ``unsupported_grant_type`` although the spec's enum refuses it too, because oauthlib
        says so before anything else; everything else is ``invalid_request``."""
        if raw_form.get("grant_type") and raw_form["grant_type"] != CLIENT_CREDENTIALS:
            return _unsupported_grant_type()
        return TokenError("invalid_request", "; ".join(reasons))

    def _authenticate(self, form: Mapping[str, Any], authorization: str | None) -> Known:
        """django-oauth-toolkit's ``authenticate_client``: HTTP Basic, and the body's
        ``client_id`` / ``client_secret`` only if Basic is absent or fails. With Basic
        accepted, the body's secret is not read, and an empty or equal ``client_id`` beside
        it is harmless; a different one is refused, as oauthlib 4 does."""
        basic = basic_credentials(authorization)
        client = self._clients.authenticate(*basic) if basic else None
        if client is None and ("client_id" in form or "client_secret" in form):
            client = self._clients.authenticate(str(form.get("client_id") or ""), str(form.get("client_secret") or ""))
        if client is None:
            if basic or form.get("client_id"):
                raise _invalid_client("Client authentication failed.")
            raise _invalid_client(_why_no_credentials(authorization))
        body_id = form.get("client_id")
        if body_id and body_id != client.client_id:
            raise TokenError("invalid_request", f"The client_id in the body ({body_id}) is not the client "
                             f"authenticated with HTTP Basic ({client.client_id}).")
        return client

    @staticmethod
    def _grantable_scopes(client: Known, requested: str | None) -> frozenset[str]:
        """Every scope of the client, or the requested subset of them."""
        if not requested or not requested.strip():
            return client.scopes
        wanted = frozenset(requested.split())
        refused = sorted(wanted - client.scopes)
        if refused:
            raise TokenError("invalid_scope", f"Scope not granted to this client: {' '.join(refused)}.")
        return wanted

    # -- bearer tokens on resources ----------------------------------------------------

    def verify(self, authorization: str | None) -> Grant:
        """The grant of a ``Bearer`` Authorization header; 401 ApiError if there is none."""
        if not authorization:
            raise _authentication_failed("No bearer token was sent.", challenge_error=False)
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _authentication_failed("The Authorization header must be 'Bearer <token>'.")
        grant, not_before, expires = self._signed_claims(token.strip())
        now = self._clock()
        if now >= expires:
            raise _authentication_failed("The token has expired.")
        if now < not_before:
            raise _authentication_failed("The token is not valid yet.")
        if self._clients.get(grant.client_id) is None:
            raise _authentication_failed("The token was not issued to a known client.")
        return grant

    def signer_of(self, authorization: str | None) -> str | None:
        """The client a bearer token was issued to if this server signed it, whether or not it
        has expired, is valid yet or holds the scopes asked for; None for anything else. The
        request journal files a request under it: its client can read it back."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            return self._signed_claims(token.strip())[0].client_id
        except ApiError:
            return None

    def _check_signature(self, token: str) -> tuple[Grant, float, float]:
        """(the grant, nbf, exp) of a token signed here; 401 ApiError otherwise."""
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=[ALGORITHM], issuer=ISSUER,
                options={"require": ["iss", "sub", "scope", "iat", "nbf", "exp"],
                         "verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except jwt.InvalidSignatureError:
            raise _authentication_failed("The token's signature is not valid.") from None
        except jwt.MissingRequiredClaimError as error:
            raise _authentication_failed(f"The token lacks the '{error.claim}' claim.") from None
        except jwt.InvalidTokenError:
            raise _authentication_failed("The token is malformed or was not issued here.") from None
        times = claims["nbf"], claims["exp"]
        if not all(isinstance(t, int | float) and not isinstance(t, bool) for t in times) \
                or not isinstance(claims["scope"], str) or not isinstance(claims["sub"], str):
            raise _authentication_failed("The token's claims are malformed.")
        return Grant(claims["sub"], frozenset(claims["scope"].split())), float(claims["nbf"]), float(claims["exp"])


class BearerAuth:
    """Bearer tokens on the resources, as steps of the request pipeline: the token is verified
    once (identify), and refused or checked for scopes where the resource needs it."""

    def __init__(self, tokens: TokenService) -> None:
        self._tokens = tokens

    def identify(self, state: RequestState) -> None:
        """The grant of the request's bearer token, or the 401 it earns, kept for later steps."""
        try:
            state.identity = self._tokens.verify(state.request.headers.get("Authorization"))
        except ApiError as refusal:
            state.identity = refusal

    @staticmethod
    def authenticate(state: RequestState) -> None:
        """The kept 401, on a resource; the token endpoint is not behind bearer auth."""
        if state.operation is not None and isinstance(state.identity, ApiError):
            raise state.identity

    @staticmethod
    def authorize(state: RequestState) -> None:
        """403 on a resource, unless the token holds every scope its operation requires."""
        if state.operation is not None:
            authorize(state.identity, state.operation.scopes)  # type: ignore[arg-type]


def authorize(grant: Grant, required: frozenset[str]) -> None:
    """403 unless the grant holds every required scope."""
    missing = required - grant.scopes
    if missing:
        scope = " ".join(sorted(required))
        raise ApiError(
            403, "insufficient_permissions",
            f"This token lacks the scope(s): {', '.join(sorted(missing))}.",
            {"required_scopes": sorted(required), "granted_scopes": sorted(grant.scopes)},
            {"WWW-Authenticate": f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}"'},
        )


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """(client_id, client_secret) of an HTTP Basic header, read as django-oauth-toolkit's
    ``_extract_basic_auth`` and ``_authenticate_basic_auth`` read it: the scheme exactly
    ``Basic``, lenient base64, UTF-8, split at the first colon, each half form-decoded
    (RFC 6749 section 2.3.1). None for anything else, so that the body is tried next; also
    for a header with non-ASCII characters, on which the toolkit's base64 call would raise."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme != "Basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded).decode("utf-8")
    except ValueError:  # not base64 (binascii.Error), not ASCII, or not UTF-8 once decoded
        return None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        return None
    return unquote_plus(client_id), unquote_plus(secret)


def _why_no_credentials(authorization: str | None) -> str:
    """What to do when neither the header nor the body carries credentials (never echoing the header)."""
    send = "send client_id:client_secret with HTTP Basic, or client_id and client_secret in the form body"
    if not authorization:
        return f"Client credentials are missing: {send}."
    scheme = authorization.partition(" ")[0]
    if scheme == "Basic":
        return f"The Authorization header is not valid HTTP Basic (base64 of client_id:client_secret): {send}."
    if scheme.lower() == "basic":
        return f"The Authorization scheme must be written 'Basic', as django-oauth-toolkit reads it: {send}."
    return (f"Client credentials are missing: an Authorization header that is not HTTP Basic (a Bearer token, "
            f"for one) does not authenticate a client; {send}.")


def _unsupported_grant_type() -> TokenError:
    return TokenError("unsupported_grant_type", f"Only the {CLIENT_CREDENTIALS} grant is supported.")


def _invalid_client(description: str) -> TokenError:
    return TokenError("invalid_client", description, 401,
                      {"WWW-Authenticate": f'Basic realm="{REALM}"'})


def _authentication_failed(reason: str, challenge_error: bool = True) -> ApiError:
    """RFC 6750: no error attribute in the challenge when no credentials were sent."""
    challenge = f'Bearer realm="{REALM}"'
    if challenge_error:
        challenge += f', error="invalid_token", error_description="{reason}"'
    return ApiError(401, "authentication_failed", "Invalid or missing authentication token",
                    {"reason": reason}, {"WWW-Authenticate": challenge})


def token_view(tokens: TokenService, validator: SpecValidator, path: str) -> Callable[[RequestState], Response]:
    """The answer of ``POST /o/token/``: the spec checks the form, then RFC 6749 rules."""

    def obtain_token(state: RequestState) -> Response:
        request = state.request
        if request.query_string:  # oauthlib's _raise_on_bad_post_request
            raise TokenError("invalid_request", "URL query parameters are not allowed on the token endpoint; "
                             "send every parameter in the form body.")
        body = request.get_data()  # kept: the journal records it
        try:
            pairs = form_pairs(body)
        except Undecodable as undecodable:
            raise TokenError("invalid_request", f"The request body {undecodable}.") from None
        try:
            form = validator.form(path, "post", request.content_type or "", body)
        except RequestInvalid as invalid:
            raw_form = dict(pairs) if request.mimetype == FORM else {}
            raise tokens.malformed(raw_form, invalid.details[BODY]) from None
        names = [name for name, _ in pairs]
        duplicated = {name for name in names if names.count(name) > 1}
        answer = tokens.token_response(form, request.headers.get("Authorization"), duplicated)
        return json_response(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    return obtain_token
