"""Render a gateway error in the dialect of the door it came through, always with the spec's code."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from killtoken_proxy.api.dialects import dialect_of
from killtoken_proxy.errors import KillTokenError

log = logging.getLogger("killtoken")

_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "insufficient_quota",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    501: "not_implemented_error",
}
# Anthropic's error types by status (its SDK picks the exception class by status; the type is for people).
_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    408: "timeout_error",
    409: "conflict_error",
    413: "request_too_large",
    422: "invalid_request_error",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}
# Anthropic's own "overloaded" status, which its SDK raises as `OverloadedError` (the OpenAI door says 503).
ANTHROPIC_OVERLOADED = 529


def status_of(path: str, error: KillTokenError) -> int:
    if error.code == "upstream_overloaded" and dialect_of(path) == "anthropic":
        return ANTHROPIC_OVERLOADED
    return error.status


def _anthropic_body(error: KillTokenError, status: int) -> dict[str, Any]:
    """Anthropic's envelope; the spec's code is `error.details.error_code`, which the Anthropic SDK exposes
    as `APIStatusError.error_code` (an unknown code reads as the bare `type`), and also top-level `code`."""
    body: dict[str, Any] = {
        "type": "error",
        "error": {
            "type": _ANTHROPIC_TYPES.get(status, "api_error"),
            "message": error.message,
            "details": {"error_code": error.code},
        },
        "code": error.code,
    }
    if "x-killtoken-request-id" in error.headers:
        body["request_id"] = error.headers["x-killtoken-request-id"]
    return body


def error_body(path: str, error: KillTokenError) -> dict[str, Any]:
    dialect = dialect_of(path)
    if dialect == "anthropic":
        return _anthropic_body(error, status_of(path, error))
    if dialect == "openai":
        return {
            "error": {
                "message": error.message,
                "type": _OPENAI_TYPES.get(error.status, "api_error"),
                "param": error.param,
                "code": error.code,
            }
        }
    return {"error": error.code, "message": error.message}


# The header each SDK surfaces as the request id (`error.request_id`, `completion._request_id`).
_SDK_REQUEST_ID_HEADER = {"openai": "x-request-id", "anthropic": "request-id"}


def render(request: Request, error: KillTokenError) -> JSONResponse:
    return render_for_path(request.url.path, error)


def render_for_path(path: str, error: KillTokenError) -> JSONResponse:
    headers = dict(error.headers)
    sdk_header = _SDK_REQUEST_ID_HEADER.get(dialect_of(path))
    if "x-killtoken-request-id" in headers and sdk_header is not None:
        headers.setdefault(sdk_header, headers["x-killtoken-request-id"])
    return JSONResponse(error_body(path, error), status_code=status_of(path, error), headers=headers)


def install(app: FastAPI) -> None:
    async def on_gateway_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, KillTokenError)
        return render(request, exc)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
        message = f"No route {request.method} {request.url.path}." if exc.status_code in (404, 405) else str(exc.detail)
        return render(request, KillTokenError(message, code=code, status=exc.status_code))

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        message = f"Invalid `{where}`: {first.get('msg', 'bad value')}." if where else "Invalid request."
        return render(request, KillTokenError(message, code="invalid_request", status=400, param=where or None))

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Only a bug lands here; the traceback goes to the log, never to the client.
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return render(request, KillTokenError("Internal error in KillToken.", code="internal_error", status=500))

    app.add_exception_handler(KillTokenError, on_gateway_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
