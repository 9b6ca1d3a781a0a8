"""Hand-written auth verified against the official libraries: SigV4 vs botocore, the service-account JWT vs
google-auth, and the Vertex token cache (refreshed once under concurrency, never per request)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from google.auth import jwt as google_jwt
from google.oauth2 import service_account

from killtoken_proxy.errors import UpstreamError
from killtoken_proxy.providers import google_oauth, sigv4
from killtoken_proxy.providers.base import Credential
from tests.conftest import LiveGateway
from tests.fakes.vertex_server import FakeVertex
from tests.provider_cases import SA_EMAIL, SA_PRIVATE_PEM, SA_PUBLIC_PEM

SHEET_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SHEET_BODY = b'{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":64}}'
SHEET_URL = "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
FIXED = datetime(2025, 1, 15, 12, 0, 0, tzinfo=UTC)


def ours(url: str, body: bytes, token: str | None, region: str = "us-east-1") -> dict[str, str]:
    return sigv4.sign(
        method="POST",
        url=url,
        headers={"Content-Type": "application/json"},
        body=body,
        access_key_id="AKIDEXAMPLE",
        secret_access_key=SHEET_SECRET,
        session_token=token,
        region=region,
        service="bedrock",
        now=FIXED,
    )


def botocores(monkeypatch: pytest.MonkeyPatch, url: str, body: bytes, token: str | None, region: str) -> str:
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: FIXED.replace(tzinfo=None))
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials("AKIDEXAMPLE", SHEET_SECRET, token), "bedrock", region).add_auth(request)
    return str(request.headers["Authorization"])


@pytest.mark.parametrize("token", [None, "SESSIONTOKEN"], ids=["long-term-keys", "session-token"])
@pytest.mark.parametrize(
    ("url", "region"),
    [
        (SHEET_URL, "us-east-1"),
        (
            "https://bedrock-runtime.eu-central-1.amazonaws.com/model/"
            "arn%3Aaws%3Abedrock%3Aeu-central-1%3A123456789012%3Ainference-profile%2Feu.anthropic.claude-v1%3A0/converse",
            "eu-central-1",
        ),
        ("http://127.0.0.1:8123/model/us.amazon.nova-lite-v1%3A0/converse", "us-west-2"),
    ],
    ids=["sheet-model", "arn", "custom-port"],
)
def test_sigv4_equals_botocore(monkeypatch: pytest.MonkeyPatch, url: str, region: str, token: str | None):
    body = json.dumps({"messages": [{"role": "user", "content": [{"text": "Grüße"}]}]}).encode()
    assert ours(url, body, token, region)["Authorization"] == botocores(monkeypatch, url, body, token, region)


def test_sigv4_reproduces_the_reference_sheet_vector():
    plain, with_token = ours(SHEET_URL, SHEET_BODY, None), ours(SHEET_URL, SHEET_BODY, "SESSIONTOKEN")
    assert plain["Authorization"].endswith(
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=0f0f3d0d565d71dde21ff5be1cf950fc4d53806ecdadd7f11fac7e73bc9a4af0"
    )
    assert with_token["X-Amz-Security-Token"] == "SESSIONTOKEN"
    assert with_token["Authorization"].endswith(
        "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
        "Signature=e82c340d91838f2907f6df5921e36f6190416681da30901a4a861a344af1504b"
    )
    assert plain["X-Amz-Date"] == "20250115T120000Z"


def _sa_credential(token_uri: str, credential_id: str = "cred_vertex") -> Credential:
    return Credential(
        id=credential_id,
        provider="google_vertex",
        secrets={"clientEmail": SA_EMAIL, "privateKey": SA_PRIVATE_PEM, "privateKeyId": "kid-0001"},
        config={"projectId": "acme-ai", "location": "us-east5", "tokenUri": token_uri},
    )


def test_jwt_assertion_verifies_with_the_public_key_and_matches_google_auth_claims():
    token_uri = "https://oauth2.googleapis.com/token"
    now = int(datetime.now(UTC).timestamp())
    jwt = google_oauth.assertion(
        client_email=SA_EMAIL,
        private_key=google_oauth.load_private_key(SA_PRIVATE_PEM),
        key_id="kid-0001",
        token_uri=token_uri,
        now=now,
    )
    claims = google_jwt.decode(jwt, certs=SA_PUBLIC_PEM, audience=token_uri)  # raises unless the signature verifies
    header = json.loads(google_jwt._helpers.padded_urlsafe_b64decode(jwt.split(".")[0]))
    assert header == {"alg": "RS256", "typ": "JWT", "kid": "kid-0001"}
    info = {
        "type": "service_account",
        "client_email": SA_EMAIL,
        "private_key": SA_PRIVATE_PEM,
        "private_key_id": "kid-0001",
        "token_uri": token_uri,
    }
    reference = service_account.Credentials.from_service_account_info(info, scopes=[google_oauth.SCOPE])
    expected = google_jwt.decode(
        reference._make_authorization_grant_assertion(), certs=SA_PUBLIC_PEM, audience=token_uri
    )
    assert set(claims) == set(expected) == {"iss", "scope", "aud", "iat", "exp"}
    assert {k: claims[k] for k in ("iss", "scope", "aud")} == {k: expected[k] for k in ("iss", "scope", "aud")}
    assert claims["exp"] - claims["iat"] == expected["exp"] - expected["iat"] == 3600
    with pytest.raises(ValueError):
        google_jwt.decode(jwt[:-4] + "AAAA", certs=SA_PUBLIC_PEM, audience=token_uri)


@pytest.fixture
def vertex_fake() -> Any:
    fake = FakeVertex(SA_EMAIL, SA_PUBLIC_PEM, "acme-ai", "us-east5").start()
    yield fake
    fake.stop()


def test_expired_token_is_refreshed_exactly_once_under_concurrency(vertex_fake: FakeVertex):
    clock = [1_000_000.0]
    cache = google_oauth.TokenCache(clock=lambda: clock[0])
    credential = _sa_credential(vertex_fake.token_uri)
    vertex_fake.exchange_delay = 0.2  # every caller arrives while the one refresh is in flight

    async def run() -> tuple[str, list[str], list[str]]:
        async with httpx.AsyncClient() as http:
            first = await cache.token(credential, http)
            cached = await asyncio.gather(*(cache.token(credential, http) for _ in range(20)))
            clock[0] += 3600 - google_oauth.REFRESH_MARGIN + 1  # inside the refresh margin: treat as expired
            refreshed = await asyncio.gather(*(cache.token(credential, http) for _ in range(50)))
            return first, list(cached), list(refreshed)

    first, cached, refreshed = asyncio.run(run())
    assert vertex_fake.token_exchanges == 2
    assert set(cached) == {first} and set(refreshed) == {"ya29.fake-2"} and first == "ya29.fake-1"


def test_a_replaced_key_is_not_served_the_old_token_and_a_refusal_is_401(vertex_fake: FakeVertex):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wrong_pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    good = _sa_credential(vertex_fake.token_uri)
    replaced = Credential(good.id, good.provider, {**good.secrets, "privateKey": wrong_pem}, good.config)
    cache = google_oauth.TokenCache()

    async def run() -> str:
        async with httpx.AsyncClient() as http:
            token = await cache.token(good, http)
            await cache.token(replaced, http)  # same credential id, another key: must not reuse `token`
            return token

    with pytest.raises(UpstreamError) as error:
        asyncio.run(run())
    assert vertex_fake.token_exchanges == 1  # the good key's exchange; the replaced key was refused
    assert error.value.status == 401 and error.value.code == "provider_auth_failed"
    assert "invalid_grant" in error.value.message and "PRIVATE KEY" not in error.value.message


def vertex_credential_body(fake: FakeVertex) -> dict[str, Any]:
    return {
        "provider": "google_vertex",
        "secrets": {"clientEmail": SA_EMAIL, "privateKey": SA_PRIVATE_PEM},
        "config": {
            "projectId": "acme-ai",
            "location": "us-east5",
            "tokenUri": fake.token_uri,
            "baseUrl": fake.base_url,
        },
    }


def test_many_concurrent_vertex_chats_share_one_token(gateway: LiveGateway, vertex_fake: FakeVertex):
    with gateway.client() as http:
        stored = http.post("/v1/provider-credentials", json=vertex_credential_body(vertex_fake))
    assert stored.status_code == 201, stored.text
    vertex_fake.exchange_delay = 0.2

    async def run() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {gateway.key}"}
        async with httpx.AsyncClient(base_url=gateway.url, headers=headers, timeout=30) as http:
            body = {
                "provider": "google_vertex",
                "model": "gemini-2.5-flash",
                "messages": [{"role": "user", "content": "Hi"}],
            }
            return list(await asyncio.gather(*(http.post("/v1/chat", json=body) for _ in range(25))))

    responses = asyncio.run(run())
    assert [r.status_code for r in responses] == [200] * 25
    assert vertex_fake.token_exchanges == 1
    assert len([r for r in vertex_fake.received if r.path != "/token"]) == 25


def test_a_failed_token_exchange_gives_the_plan_unit_back(
    gateway: LiveGateway, vertex_fake: FakeVertex, monkeypatch: pytest.MonkeyPatch
):
    async def token_endpoint_down(
        self: google_oauth.TokenCache, credential: Credential, http: httpx.AsyncClient
    ) -> str:
        raise UpstreamError("google_vertex: the OAuth token endpoint failed (HTTP 503).")

    with gateway.client() as http:
        stored = http.post("/v1/provider-credentials", json=vertex_credential_body(vertex_fake))
        assert stored.status_code == 201, stored.text
        monkeypatch.setattr(google_oauth.TokenCache, "token", token_endpoint_down)
        body = {
            "provider": "google_vertex",
            "model": "gemini-2.5-flash",
            "messages": [{"role": "user", "content": "Hi"}],
        }
        failed = http.post("/v1/chat", json=body)
    assert failed.status_code == 502 and failed.json()["error"] == "upstream_error"
    # The chat request never left: like a refused connection, it does not count (README, "What counts").
    assert failed.headers["x-killtoken-plan-used"] == "0"
    assert [r.path for r in vertex_fake.received] == []
