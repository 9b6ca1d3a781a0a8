"""A fake Vertex AI plus its OAuth token endpoint.

The token endpoint verifies the JWT assertion with google-auth's verifier and the service account's public
key, checks the claims, and issues short-lived `ya29.` tokens; the model routes (Gemini `generateContent`,
Claude `rawPredict`) accept only a token it issued and check the body like the direct APIs' fakes.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any
from urllib.parse import parse_qs

from google.auth import jwt as google_jwt

from tests.fakes import anthropic_server, gemini_server
from tests.fakes.http_fake import FakeServer, Received, Reply

TOKEN_PATH = "/token"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
ROUTE = re.compile(
    r"^/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/publishers/(?P<publisher>google|anthropic)"
    r"/models/(?P<model>[^/:]+):(?P<verb>generateContent|rawPredict)$"
)


class FakeVertex(FakeServer):
    def __init__(self, client_email: str, public_key_pem: str, project: str, location: str, token_lifetime: int = 3600):
        super().__init__()
        self.client_email = client_email
        self.public_key_pem = public_key_pem
        self.project = project
        self.location = location
        self.token_lifetime = token_lifetime
        self.token_exchanges = 0
        self.exchange_delay = 0.0  # widens the refresh race in the concurrency test
        self.assertions: list[dict[str, Any]] = []  # verified claims, for the tests to inspect
        self._tokens: dict[str, float] = {}  # issued token -> expiry
        self._lock = threading.Lock()

    @property
    def token_uri(self) -> str:
        return f"{self.origin}{TOKEN_PATH}"

    def answer(self, received: Received) -> Reply:
        if received.path == TOKEN_PATH:
            return self._token(received)
        route = ROUTE.match(received.path)
        if route is None or route["project"] != self.project or route["location"] != self.location:
            return self.reject(gemini_server.error(404, "NOT_FOUND", f"Unknown path {received.path}"), "path")
        token = received.headers.get("authorization", "").removeprefix("Bearer ")
        with self._lock:
            expiry = self._tokens.get(token)
        if expiry is None or expiry < time.time():
            return gemini_server.error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        if route["publisher"] == "anthropic":
            return self._claude(route, received)
        found = gemini_server.problems(received.body)
        if found or route["verb"] != "generateContent":
            return self.reject(
                gemini_server.error(400, "INVALID_ARGUMENT", "; ".join(found)), "; ".join(found) or "verb"
            )
        return self.next_reply(Reply(200, gemini_server.answer_body()))

    def _claude(self, route: re.Match[str], received: Received) -> Reply:
        body = received.body
        found = anthropic_server.problems(
            body, allowed=(anthropic_server.BODY_FIELDS - {"model"}) | {"anthropic_version"}, needs_model=False
        )
        if not isinstance(body, dict) or body.get("anthropic_version") != "vertex-2023-10-16":
            found.append("anthropic_version must be vertex-2023-10-16")
        if found or route["verb"] != "rawPredict":
            return self.reject(anthropic_server.error(400, "invalid_request_error", "; ".join(found)), "; ".join(found))
        return self.next_reply(Reply(200, anthropic_server.message()))

    def _token(self, received: Received) -> Reply:
        form = {k: v[0] for k, v in parse_qs(received.raw.decode()).items()}
        if received.headers.get("content-type") != "application/x-www-form-urlencoded":
            return self.reject(Reply(400, {"error": "invalid_request"}), "token request is not a form")
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self.reject(Reply(400, {"error": "unsupported_grant_type"}), "grant_type")
        try:
            claims = google_jwt.decode(form.get("assertion", ""), certs=self.public_key_pem, audience=self.token_uri)
        except ValueError as exc:
            return Reply(400, {"error": "invalid_grant", "error_description": f"Invalid JWT Signature: {exc}"})
        if claims.get("iss") != self.client_email or claims.get("scope") != SCOPE:
            return self.reject(Reply(400, {"error": "invalid_scope"}), "claims")
        time.sleep(self.exchange_delay)
        with self._lock:
            self.token_exchanges += 1
            token = f"ya29.fake-{self.token_exchanges}"
            self._tokens[token] = time.time() + self.token_lifetime
        self.assertions.append(claims)
        return Reply(200, {"access_token": token, "expires_in": str(self.token_lifetime), "token_type": "Bearer"})
