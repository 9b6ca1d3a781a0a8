"""Gathering exactly the fields a provider's credential needs: secrets hidden, config from flags or prompts.

Secrets come from `--from-file` (a Vertex service-account JSON), `--from-env`, standard input (one line per
secret field, in order) or a hidden prompt. Nothing read here is ever printed.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from killtoken_cli.output import CliError

EXIT_USAGE = 2
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
# Service-account key file field -> where it goes in a google_vertex credential.
_SERVICE_ACCOUNT_SECRETS = {
    "client_email": "clientEmail",
    "private_key": "privateKey",
    "private_key_id": "privateKeyId",
}
_PROMPTS = {"apiKey": "API key"}


@dataclass
class Flags:
    from_env: list[str] = field(default_factory=list)
    from_file: Path | None = None
    base_url: str | None = None
    region: str | None = None
    config: list[str] = field(default_factory=list)


def _usage_error(message: str) -> CliError:
    return CliError(message, EXIT_USAGE)


def parse_config(pairs: list[str]) -> dict[str, str]:
    config = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise _usage_error(f"--config expects key=value, got {pair!r}.")
        config[key.strip()] = value.strip()
    return config


def _env_sources(values: list[str], secret_fields: list[str]) -> dict[str, str]:
    """`--from-env VAR` (single-secret providers) or `--from-env field=VAR` -> {field: VAR}."""
    sources = {}
    for value in values:
        name, sep, var = value.partition("=")
        if sep:
            if name not in secret_fields:
                raise _usage_error(
                    f"--from-env: no secret field {name!r}; this provider has {', '.join(secret_fields)}."
                )
            sources[name] = var
        elif len(secret_fields) == 1:
            sources[secret_fields[0]] = value
        else:
            raise _usage_error(f"--from-env needs field=VAR here, one of: {', '.join(secret_fields)}.")
    return sources


def _service_account(path: Path, shape: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    if "clientEmail" not in shape["secretFields"]:
        raise _usage_error("--from-file reads a Google service-account key; it is for google_vertex only.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _usage_error(f"--from-file: cannot read {path} as JSON ({type(exc).__name__}).") from None
    if not isinstance(data, dict) or data.get("type", "service_account") != "service_account":
        raise _usage_error(f"--from-file: {path} is not a service-account key file.")
    secrets = {ours: str(data[theirs]) for theirs, ours in _SERVICE_ACCOUNT_SECRETS.items() if data.get(theirs)}
    config = {"projectId": str(data["project_id"])} if data.get("project_id") else {}
    if data.get("token_uri") and data["token_uri"] != DEFAULT_TOKEN_URI:
        config["tokenUri"] = str(data["token_uri"])
    return secrets, config


def _read_env(var: str) -> str:
    value = os.environ.get(var, "")
    if not value.strip():
        raise _usage_error(f"Environment variable {var} is empty or not set.")
    return value.strip()


def _ask_secret(provider: str, name: str, optional: bool) -> str | None:
    import typer

    if not sys.stdin.isatty():
        line = sys.stdin.readline().strip()
        if not line and not optional:
            raise _usage_error(f"No {name} on standard input (one line per secret field).")
        return line or None
    label = f"{provider} {_PROMPTS.get(name, name)}" + (" (optional, Enter to skip)" if optional else "")
    value = str(typer.prompt(label, hide_input=True, default="" if optional else None, show_default=False)).strip()
    if not value and not optional:
        raise _usage_error(f"The {name} is empty.")
    return value or None


def collect(
    provider: str, shape: dict[str, Any], flags: Flags, *, ask_config: bool = True
) -> tuple[dict[str, str], dict[str, str]]:
    """(secrets, config) for `kt credentials add`; the gateway validates the result and names what is missing."""
    config = parse_config(flags.config)
    secrets: dict[str, str] = {}
    if flags.from_file is not None:
        secrets, file_config = _service_account(flags.from_file, shape)
        config = {**file_config, **config}
    if flags.base_url:
        config["baseUrl"] = flags.base_url
    if flags.region:
        fields = shape["requiredConfig"] + shape["optionalConfig"]
        target = next((f for f in ("region", "location") if f in fields), None)
        if target is None:
            raise _usage_error(f"--region does not apply to {provider}.")
        config[target] = flags.region
    required, optional = list(shape["secretFields"]), list(shape["optionalSecretFields"])
    sources = _env_sources(flags.from_env, required + optional)
    for name in required + optional:
        if name in secrets:
            continue
        value = _read_env(sources[name]) if name in sources else _ask_secret(provider, name, name in optional)
        if value is not None:
            # A PEM pasted on one line (or kept in an env var) often carries literal \n.
            secrets[name] = value.replace("\\n", "\n") if name == "privateKey" else value
    if ask_config and sys.stdin.isatty():
        import typer

        stand_ins = shape.get("configStandIns", {})
        for name in shape["requiredConfig"]:
            if not config.get(name) and not config.get(stand_ins.get(name, "")):
                config[name] = str(typer.prompt(f"{provider} {name}")).strip()
    return secrets, config
