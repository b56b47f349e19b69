"""TokenService on its own: a verified token is remembered per worker, but never past its
expiry or before nbf, and a changed signature is checked afresh."""

from __future__ import annotations

import jwt
import pytest

from mock_server.errors import ApiError
from mock_server.settings import DEMO_CLIENTS
from mock_server.twin.auth import TokenService

from ..support import SECRET
from ..support.tokens import signed


def issued(service: TokenService) -> str:
    """A token valid from t=1000 to t=1060."""
    return signed({"iat": 1000, "nbf": 1000, "exp": 1060})


def test_a_remembered_token_still_expires():
    now = [1000.0]
    service = TokenService(DEMO_CLIENTS, SECRET, ttl=60, clock=lambda: now[0])
    token = issued(service)
    assert service.verify(f"Bearer {token}").client_id == "demo"
    now[0] = 1059.0
    assert service.verify(f"Bearer {token}").scopes == {"read", "write"}
    now[0] = 1060.0
    with pytest.raises(ApiError) as refused:
        service.verify(f"Bearer {token}")
    assert refused.value.status == 401 and refused.value.details["reason"] == "The token has expired."


def test_a_remembered_token_is_not_valid_before_nbf():
    now = [999.0]
    service = TokenService(DEMO_CLIENTS, SECRET, ttl=60, clock=lambda: now[0])
    with pytest.raises(ApiError, match="Invalid or missing"):
        service.verify(f"Bearer {issued(service)}")
    now[0] = 1000.0
    assert service.verify(f"Bearer {issued(service)}").client_id == "demo"


def test_a_tampered_token_is_checked_on_its_own():
    service = TokenService(DEMO_CLIENTS, SECRET, ttl=60, clock=lambda: 1000.0)
    token = issued(service)
    service.verify(f"Bearer {token}")
    forged_signature = jwt.encode(jwt.decode(token, options={"verify_signature": False}),
                                  "another-secret-of-the-same-length-xxxxx", algorithm="HS256").rsplit(".", 1)[1]
    with pytest.raises(ApiError) as refused:
        service.verify(f"Bearer {token.rsplit('.', 1)[0]}.{forged_signature}")
    assert refused.value.details["reason"] == "The token's signature is not valid."
