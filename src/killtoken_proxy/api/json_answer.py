"""A door's successful answer as JSON: encoded with orjson, not JSONResponse's `json.dumps`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Response

from killtoken_proxy import json_codec


def json_answer(body: Any, headers: Mapping[str, str]) -> Response:
    return Response(json_codec.dumps(body), media_type="application/json", headers=dict(headers))
