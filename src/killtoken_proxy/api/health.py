"""Liveness and readiness (no auth): ready means the store is open and writable and secrets can be kept."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from killtoken_proxy import __version__
from killtoken_proxy.api.dependencies import runtime_of

router = APIRouter()


@router.get("/health")
async def health() -> dict[str, Any]:
    return {"status": "ok", "version": __version__}


def _store_check(request: Request) -> tuple[bool, str]:
    runtime = runtime_of(request)
    if not runtime.lock.held:
        return False, "the store lock is not held"
    try:
        fd, name = tempfile.mkstemp(prefix=".ready-", dir=runtime.settings.paths.data)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        return False, f"the data folder is not writable: {exc.strerror}"
    return True, str(runtime.settings.paths.data)


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    store_ok, store_detail = _store_check(request)
    secrets_ok = runtime.secrets.usable
    checks = {
        "store": {"ok": store_ok, "detail": store_detail},
        "secrets": {"ok": secrets_ok, "detail": runtime.secrets.problem or runtime.secrets.description},
    }
    ok = store_ok and secrets_ok
    return JSONResponse({"status": "ready" if ok else "not_ready", "checks": checks}, status_code=200 if ok else 503)
