"""A fake Bedrock Runtime Converse API that verifies each SigV4 signature with botocore's own signer."""

from __future__ import annotations

import re
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.fakes.http_fake import FakeServer, Received, Reply

BODY_FIELDS = {"messages", "system", "inferenceConfig", "toolConfig", "guardrailConfig", "additionalModelRequestFields"}
BLOCK_KINDS = {"text", "image", "document", "toolUse", "toolResult", "reasoningContent", "cachePoint"}
PATH = re.compile(r"^/model/(?P<model>[A-Za-z0-9%._~-]+)/converse$")
AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<akid>[^/]+)/(?P<scope>[^,]+), "
    r"SignedHeaders=(?P<signed>[^,]+), Signature=(?P<sig>[0-9a-f]{64})$"
)


def answer_body(
    content: list[dict[str, Any]] | None = None, *, stop_reason: str = "end_turn", usage: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A ConverseResponse as in the reference sheet §3.13."""
    return {
        "output": {"message": {"role": "assistant", "content": content or [{"text": "Paris."}]}},
        "stopReason": stop_reason,
        "usage": usage or {"inputTokens": 19, "outputTokens": 4, "totalTokens": 23},
        "metrics": {"latencyMs": 412},
    }


def error(status: int, kind: str, text: str) -> Reply:
    return Reply(
        status, {"message": text}, {"x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"}
    )


def expected_signature(received: Received, secret: str, token: str | None, region: str, signed: list[str]) -> str:
    """botocore's signature for the request as it arrived (only the headers the client said it signed)."""
    request = AWSRequest(
        method=received.method,
        url=f"http://{received.headers['host']}{received.path}",
        data=received.raw,
        headers={name: received.headers[name] for name in signed},
    )
    request.context["timestamp"] = received.headers["x-amz-date"]
    auth = SigV4Auth(Credentials("unused", secret, token), "bedrock", region)
    return str(auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request))


def problems(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return ["body is not a JSON object"]
    found = [f"unknown field {k}" for k in body if k not in BODY_FIELDS]
    for n, turn in enumerate(body.get("messages") or []):
        if turn.get("role") not in ("user", "assistant"):
            found.append(f"messages[{n}].role {turn.get('role')}")
        if n and body["messages"][n - 1].get("role") == turn.get("role"):
            found.append(f"messages[{n}] repeats role")
        for block in turn.get("content") or []:
            if len(set(block) & BLOCK_KINDS) != 1 or set(block) - BLOCK_KINDS:
                found.append(f"messages[{n}] has a block with keys {sorted(block)}")
            if "text" in block and not block["text"]:
                found.append(f"messages[{n}] has an empty text block")
    temperature = (body.get("inferenceConfig") or {}).get("temperature")
    if temperature is not None and not 0 <= temperature <= 1:
        found.append("temperature outside 0..1")
    return found


class FakeBedrock(FakeServer):
    def __init__(
        self, access_key_id: str, secret_access_key: str, region: str, session_token: str | None = None
    ) -> None:
        super().__init__()
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.session_token = session_token
        self.region = region

    def answer(self, received: Received) -> Reply:
        if PATH.match(received.path) is None:
            return self.reject(error(404, "UnknownOperationException", f"Unknown path {received.path}"), "path")
        denied = self._auth_problem(received)
        if denied:
            return self.reject(error(403, "InvalidSignatureException", denied), denied)
        found = problems(received.body)
        if found:
            return self.reject(error(400, "ValidationException", "; ".join(found)), "; ".join(found))
        reply = self.next_reply(Reply(200, answer_body()))
        reply.headers.setdefault("x-amzn-RequestId", "6b1c0f5e-aws")
        return reply

    def _auth_problem(self, received: Received) -> str | None:
        match = AUTH.match(received.headers.get("authorization", ""))
        if match is None:
            return "Authorization header is not AWS4-HMAC-SHA256"
        if match["akid"] != self.access_key_id:
            return "The security token included in the request is invalid."
        if match["scope"] != f"{received.headers.get('x-amz-date', '')[:8]}/{self.region}/bedrock/aws4_request":
            return f"Credential scope {match['scope']} is wrong"
        if received.headers.get("x-amz-security-token") != self.session_token:
            return "The security token included in the request is invalid."
        signed = match["signed"].split(";")
        if self.session_token and "x-amz-security-token" not in signed:
            return "x-amz-security-token must be signed"
        if match["sig"] != expected_signature(
            received, self.secret_access_key, self.session_token, self.region, signed
        ):
            return "The request signature we calculated does not match the signature you provided."
        return None
