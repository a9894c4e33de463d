"""Liveness and readiness, for the load balancer and the duty officer's status light."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from commandpost import db
from commandpost.context import context_of
from commandpost.errors import Unavailable
from commandpost.schemas import Readiness, Status
from commandpost.web import SettingsDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up", response_model=Status)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database (and Redis, when configured) can be reached",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "something it needs cannot be reached"}},
)
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


class About(BaseModel):
    simulated_feed: bool = Field(
        description="simulated gateways feed this server (the demo): what the map shows is not real"
    )


@router.get("/api/v1/about", summary="What this server is running with, for the dashboard's top bar")
def about(settings: SettingsDep) -> About:
    return About(simulated_feed=settings.simulated_feed)
