"""Liveness and readiness, for the load balancer and the duty officer's status light."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from commandpost import db
from commandpost.context import context_of
from commandpost.errors import Unavailable

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database (and Redis, when configured) can be reached")
def readyz(request: Request) -> JSONResponse:
    context = context_of(request.app)
    checks: dict[str, str] = {}
    try:
        db.check_reachable(context.engine)
        checks["database"] = "ok"
    except Unavailable as exc:
        checks["database"] = exc.detail
    redis_url = context.settings.redis_url
    if redis_url:
        from commandpost.redis_check import ping

        try:
            ping(redis_url)
            checks["redis"] = "ok"
        except Unavailable as exc:
            checks["redis"] = exc.detail
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
    )
