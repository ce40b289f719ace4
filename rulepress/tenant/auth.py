"""The client-credentials grant and bearer-token checks.

Access tokens are HS256 JWTs signed with a key derived from the client secret, so they survive a restart
with the same state file and secret, and expire like real ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from rulepress.tenant.errors import ApiError, OAuthError


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Issuer:
    """Issues and checks the tenant's access tokens."""

    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    clock: Callable[[], float]
    lifetime: int

    @property
    def _key(self) -> bytes:
        return hashlib.sha256(b"rulepress-tenant-signing:" + self.client_secret.encode()).digest()

    def _audience_ok(self, audience: str, port: int | None) -> bool:
        our_port = port
        parts = urlsplit(audience)
        try:
            port = parts.port
        except ValueError:
            return False
        return (
            parts.scheme in ("http", "https")
            and parts.hostname in ("127.0.0.1", "localhost")
            and port == our_port
            and parts.path == "/api/v2/"
        )

    def grant(self, params: Mapping[str, Any], issuer_url: str, port: int | None) -> dict[str, Any]:
        """Answer a token request (already decoded from form or JSON) or raise OAuthError."""
        grant_type = params.get("grant_type")
        if not grant_type:
            raise OAuthError(400, "invalid_request", "Missing required parameter: grant_type")
        if grant_type != "client_credentials":
            raise OAuthError(
                403, "unauthorized_client", f"Grant type '{grant_type}' not allowed for the client."
            )
        client_id = params.get("client_id")
        secret = params.get("client_secret")
        if not isinstance(client_id, str) or not isinstance(secret, str):
            raise OAuthError(401, "access_denied", "Unauthorized")
        id_ok = hmac.compare_digest(client_id.encode(), self.client_id.encode())
        secret_ok = hmac.compare_digest(secret.encode(), self.client_secret.encode())
        if not (id_ok and secret_ok):
            raise OAuthError(401, "access_denied", "Unauthorized")
        audience = params.get("audience")
        if not isinstance(audience, str) or not audience:
            raise OAuthError(
                403,
                "access_denied",
                "No audience parameter was provided, and no default audience has been configured",
            )
        if not self._audience_ok(audience, port):
            raise OAuthError(403, "access_denied", f"Service not found: {audience}")
        granted = list(self.scopes)
        requested = params.get("scope")
        if isinstance(requested, str) and requested.strip():
            granted = [s for s in requested.split() if s in self.scopes]
        if not self.scopes:
            raise OAuthError(
                403,
                "access_denied",
                f'Client is not authorized to access "{audience}". You need to create a '
                '"client-grant" associated to this API.',
            )
        now = int(self.clock())
        claims = {
            "iss": issuer_url,
            "sub": f"{self.client_id}@clients",
            "aud": audience,
            "iat": now,
            "exp": now + self.lifetime,
            "scope": " ".join(granted),
            "gty": "client-credentials",
            "azp": self.client_id,
        }
        return {
            "access_token": self._sign(claims),
            "scope": " ".join(granted),
            "expires_in": self.lifetime,
            "token_type": "Bearer",
        }

    def _sign(self, claims: dict[str, Any]) -> str:
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rulepress"}).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{header}.{payload}".encode("ascii")
        return f"{header}.{payload}.{_b64(hmac.new(self._key, signing_input, 'sha256').digest())}"

    def check(self, authorization: str | None) -> frozenset[str]:
        """The scopes of a valid bearer token, or ApiError 401."""
        invalid = ApiError(401, "Invalid token")
        if not authorization:
            raise ApiError(401, "Missing authentication")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or token.count(".") != 2:
            raise ApiError(401, "Bad HTTP authentication header format")
        header, payload, signature = token.strip().split(".")
        expected = hmac.new(self._key, f"{header}.{payload}".encode("ascii"), "sha256").digest()
        try:
            ok = hmac.compare_digest(_unb64(signature), expected)
            claims = json.loads(_unb64(payload)) if ok else None
        except (ValueError, UnicodeError):
            raise invalid from None
        if not isinstance(claims, dict):
            raise invalid
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp <= self.clock():
            raise ApiError(401, "Expired token received for JSON Web Token validation")
        scope = claims.get("scope", "")
        return frozenset(scope.split()) if isinstance(scope, str) else frozenset()


def require_scope(granted: frozenset[str], needed: str) -> None:
    if needed not in granted:
        raise ApiError(
            403, f"Insufficient scope, expected any of: {needed}", "insufficient_scope"
        )
