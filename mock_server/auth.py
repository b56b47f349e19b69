"""OAuth 2.0 as the real API does it: client-credentials tokens and scope checks.

Tokens are HS256 JWTs carrying the client and its scopes, so every worker and every
replica that shares the signing secret verifies them without shared state. Client secrets
are compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote_plus

import jwt
from flask import Response
from werkzeug.datastructures import Authorization

from .errors import ApiError, TokenError
from .serializer import json_response
from .settings import Client
from .validation import BODY, RequestInvalid, SpecValidator

if TYPE_CHECKING:
    from .pipeline import RequestState

ISSUER = "balances-mock"
REALM = "balances-mock"
ALGORITHM = "HS256"
CLIENT_CREDENTIALS = "client_credentials"


@dataclass(frozen=True)
class Grant:
    """What a verified bearer token allows."""

    client_id: str
    scopes: frozenset[str]


class TokenService:
    """Issues and verifies tokens for a fixed set of clients."""

    def __init__(self, clients: Iterable[Client], secret: str, ttl: int,
                 clock: Callable[[], float] = time.time) -> None:
        self._clients = {c.client_id: c for c in clients}
        self._secret = secret
        self._ttl = ttl
        self._clock = clock
        # Checking a signature costs more than the rest of a request; a token's bytes never
        # change, so each distinct token is checked once per worker. Times are checked always.
        self._signed_claims = lru_cache(maxsize=4096)(self._check_signature)

    # -- the token endpoint ------------------------------------------------------------

    def token_response(self, form: Mapping[str, Any], basic: Authorization | None,
                       duplicated: Iterable[str]) -> dict[str, Any]:
        """The body for ``POST /o/token/``; TokenError in the order oauthlib checks."""
        if form.get("grant_type") != CLIENT_CREDENTIALS:
            raise TokenError("unsupported_grant_type",
                             f"Only the {CLIENT_CREDENTIALS} grant is supported.")
        repeated = sorted(set(duplicated) & {"grant_type", "scope", "client_id", "client_secret"})
        if repeated:
            raise TokenError("invalid_request", f"Parameter given more than once: {', '.join(repeated)}.")
        client = self._authenticate(form, basic)
        scopes = self._grantable_scopes(client, form.get("scope"))
        now = int(self._clock())
        claims = {"iss": ISSUER, "sub": client.client_id, "scope": " ".join(sorted(scopes)),
                  "iat": now, "nbf": now, "exp": now + self._ttl, "jti": secrets.token_hex(8)}
        return {
            "access_token": jwt.encode(claims, self._secret, algorithm=ALGORITHM),
            "expires_in": self._ttl,
            "token_type": "Bearer",
            "scope": claims["scope"],
        }

    def _authenticate(self, form: Mapping[str, Any], basic: Authorization | None) -> Client:
        in_body = "client_id" in form or "client_secret" in form
        if basic is not None and in_body:
            raise TokenError("invalid_request",
                             "Send client credentials with HTTP Basic or in the body, not both.")
        if basic is not None:
            if basic.type != "basic" or basic.username is None or basic.password is None:
                raise _invalid_client("The Authorization header is not valid HTTP Basic.")
            # RFC 6749 2.3.1: the id and secret are form-encoded before base64.
            client_id, secret = unquote_plus(basic.username), unquote_plus(basic.password)
        elif in_body:
            client_id, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        else:
            raise _invalid_client("Client credentials are missing.")
        client = self._clients.get(client_id)
        # Compare even for an unknown client, so timing does not reveal which ids exist.
        expected = client.client_secret if client else secrets.token_hex(16)
        if not hmac.compare_digest(secret.encode(), expected.encode()) or client is None:
            raise _invalid_client("Client authentication failed.")
        return client

    @staticmethod
    def _grantable_scopes(client: Client, requested: str | None) -> frozenset[str]:
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
        subject, scope, not_before, expires = self._signed_claims(token.strip())
        now = self._clock()
        if now >= expires:
            raise _authentication_failed("The token has expired.")
        if now < not_before:
            raise _authentication_failed("The token is not valid yet.")
        if subject not in self._clients:
            raise _authentication_failed("The token was not issued to a known client.")
        return Grant(subject, frozenset(scope.split()))

    def _check_signature(self, token: str) -> tuple[str, str, float, float]:
        """(sub, scope, nbf, exp) of a token signed here; 401 ApiError otherwise."""
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
        return claims["sub"], claims["scope"], float(claims["nbf"]), float(claims["exp"])


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
        body = request.get_data(cache=False)
        try:
            form = validator.form(path, "post", request.content_type or "", body)
        except RequestInvalid as invalid:
            raise TokenError("invalid_request", "; ".join(invalid.details[BODY])) from None
        names = [name for name, _ in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)]
        duplicated = {name for name in names if names.count(name) > 1}
        answer = tokens.token_response(form, request.authorization, duplicated)
        return json_response(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    return obtain_token
