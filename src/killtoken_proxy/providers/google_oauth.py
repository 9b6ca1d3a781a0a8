"""Service-account key -> OAuth2 access token (JWT bearer grant), cached until shortly before expiry.

The RS256 assertion is built by hand with `cryptography` and exchanged over the shared httpx client, so
the request path stays async. Verified in tests against `google-auth` (its verifier accepts the assertion
with the service account's public key; claims as google-auth's service_account flow sets them). One
refresh per credential at a time: concurrent callers with an expired token wait for the same exchange.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from killtoken_proxy.errors import KillTokenError, UpstreamError
from killtoken_proxy.gateway.upstream import send
from killtoken_proxy.providers.base import Credential, UpstreamRequest

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = 3600  # seconds; google-auth's default and Google's maximum
REFRESH_MARGIN = 225.0  # refresh when less than 3 min 45 s remain, like google-auth's REFRESH_THRESHOLD


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """The service account's RSA key; ValueError when it is not a PEM RSA private key."""
    try:
        key = serialization.load_pem_private_key(pem.encode("utf-8"), password=None)
    except (ValueError, TypeError):
        raise ValueError("not a PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def assertion(
    *, client_email: str, private_key: rsa.RSAPrivateKey, key_id: str | None, token_uri: str, now: int
) -> str:
    header: dict[str, Any] = {"alg": "RS256", "typ": "JWT"}
    if key_id:
        header["kid"] = key_id
    claims = {"iss": client_email, "scope": SCOPE, "aud": token_uri, "iat": now, "exp": now + ASSERTION_LIFETIME}
    signing_input = ".".join(_b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims))
    signature = private_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def token_uri_of(credential: Credential) -> str:
    return str(credential.config.get("tokenUri") or DEFAULT_TOKEN_URI)


@dataclass(frozen=True)
class AccessToken:
    value: str
    expires_at: float


def _token_error(status: int, body: Any) -> KillTokenError:
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        detail = body["error"] + (f": {body['error_description']}" if body.get("error_description") else "")
    else:
        detail = f"HTTP {status}"
    if 400 <= status < 500:
        return UpstreamError(
            f"google_vertex: the OAuth token endpoint refused the service account ({detail}). Check the key, its "
            "project and the clock, then replace it with `kt credentials add google_vertex --from-file KEY.json`.",
            code="provider_auth_failed",
            status=401,
        )
    return UpstreamError(f"google_vertex: the OAuth token endpoint failed ({detail}).")


class TokenCache:
    """Access tokens per credential, in memory only; refreshed once under concurrency."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        """`clock` decides freshness (tests move it); the assertion itself always uses the wall clock."""
        self._clock = clock
        self._tokens: dict[str, AccessToken] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @staticmethod
    def _key(credential: Credential) -> str:
        # A rotated key under the same credential id must not reuse the old key's token.
        material = (
            f"{credential.secrets['clientEmail']}\n{credential.secrets['privateKey']}\n{token_uri_of(credential)}"
        )
        return f"{credential.id}:{hashlib.sha256(material.encode()).hexdigest()}"

    def _fresh(self, key: str) -> str | None:
        token = self._tokens.get(key)
        return token.value if token is not None and token.expires_at - REFRESH_MARGIN > self._clock() else None

    async def token(self, credential: Credential, http: httpx.AsyncClient) -> str:
        key = self._key(credential)
        value = self._fresh(key)
        if value is not None:
            return value
        async with self._locks.setdefault(key, asyncio.Lock()):
            value = self._fresh(key)
            if value is None:
                token = await self._exchange(credential, http)
                self._tokens[key] = token
                value = token.value
        return value

    async def _exchange(self, credential: Credential, http: httpx.AsyncClient) -> AccessToken:
        token_uri = token_uri_of(credential)
        now = self._clock()
        jwt = assertion(
            client_email=credential.secrets["clientEmail"],
            private_key=load_private_key(credential.secrets["privateKey"]),
            key_id=credential.secrets.get("privateKeyId"),
            token_uri=token_uri,
            now=int(time.time()),  # Google checks iat/exp against the wall clock, whatever our clock says
        )
        form = urlencode({"grant_type": GRANT_TYPE, "assertion": jwt}).encode("ascii")
        request = UpstreamRequest(
            url=token_uri,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            body=form,
        )
        response = await send(http, request, "google_vertex (OAuth token endpoint)")
        body = response.body
        if response.status >= 400:
            raise _token_error(response.status, body)
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise UpstreamError("google_vertex: the OAuth token endpoint answered without an access_token.")
        try:
            lifetime = float(body.get("expires_in", 3600))  # sometimes a string
        except (TypeError, ValueError):
            lifetime = 3600.0
        return AccessToken(body["access_token"], now + lifetime)
