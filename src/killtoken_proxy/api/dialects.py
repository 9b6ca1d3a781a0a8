"""Which API dialect a path speaks, so that errors come back in the shape that path's clients parse.

The OpenAI SDK is pointed at `.../v1/openai` (the contract), but users also try `.../v1/openai/v1`,
`.../v1` or the bare host as `base_url`; every one of those reaches the OpenAI door. The Anthropic SDK's
paths reach the Anthropic door the same way.
"""

from __future__ import annotations

from typing import Literal

Dialect = Literal["openai", "anthropic", "native"]

# Where the OpenAI SDK's relative paths land, by the `base_url` the user set.
OPENAI_BASES = ("/v1/openai", "/v1/openai/v1", "/v1", "")
# OpenAI API resources KillToken does not proxy (answered 501 in OpenAI's shape under every base).
OPENAI_UNSUPPORTED = (
    "responses",
    "completions",
    "embeddings",
    "images",
    "audio",
    "files",
    "uploads",
    "batches",
    "moderations",
    "fine_tuning",
    "vector_stores",
    "assistants",
    "threads",
    "conversations",
    "realtime",
    "evals",
    "containers",
    "videos",
    "graders",
    "chatkit",
)
_OPENAI_FIRST_SEGMENTS = frozenset({*OPENAI_UNSUPPORTED, "models"})


# Where the Anthropic SDK's `POST /v1/messages` lands: base_url `.../v1/anthropic` (the SDK adds `/v1`), the
# contract's own `/v1/anthropic/messages`, and the bare host (`ANTHROPIC_BASE_URL=http://127.0.0.1:8787`).
ANTHROPIC_MESSAGES_PATHS = ("/v1/anthropic/v1/messages", "/v1/anthropic/messages", "/v1/messages")


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(f"{root}/")


def dialect_of(path: str) -> Dialect:
    if _under(path, "/v1/openai"):
        return "openai"
    if _under(path, "/v1/anthropic") or _under(path, "/v1/messages"):
        return "anthropic"
    rest = path.removeprefix("/v1").strip("/")
    # `/v1/chat` is the native door; `/v1/chat/completions` is the OpenAI SDK with base_url `.../v1`.
    if rest == "chat/completions" or rest.startswith("chat/completions/"):
        return "openai"
    return "openai" if rest.split("/", 1)[0] in _OPENAI_FIRST_SEGMENTS else "native"
