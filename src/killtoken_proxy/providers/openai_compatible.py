"""Any server that speaks OpenAI's chat-completions API at a base URL of the user's choosing.

`config.baseUrl` (or `config.endpoint`, the contract's name; stored as `baseUrl`) is that URL;
`config.authHeader` names another header for the key (sent raw, e.g. `api-key`); the default is
`Authorization: Bearer <key>`.
"""

from __future__ import annotations

from killtoken_proxy.providers.base import CredentialShape
from killtoken_proxy.providers.openai_family import OpenAIFamilyAdapter

NAME = "openai_compatible"


def create() -> OpenAIFamilyAdapter:
    return OpenAIFamilyAdapter(
        name=NAME,
        default_base_url=None,
        credential_shape=CredentialShape(
            required_config=("baseUrl",),
            optional_config=("defaultModel", "authHeader"),
            stand_ins={"baseUrl": "endpoint"},
        ),
    )
