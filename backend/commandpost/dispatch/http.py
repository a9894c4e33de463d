"""HTTP glue the dispatch and routing routes share: the road router of the app, and commands that
honour an `Idempotency-Key` header."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from commandpost.clock import Clock
from commandpost.dispatch import idempotency
from commandpost.routing.service import Router
from commandpost.web import ContextDep, entity_response, feature_response


def _router(context: ContextDep) -> Router:
    """This process's road router."""
    return context.router


RouterDep = Annotated[Router, Depends(_router)]

IdempotencyKeyDep = Annotated[
    str | None,
    Header(
        alias=idempotency.HEADER,
        description="any unique string (a UUID); a repeat with the same key gets the first response "
        "and changes nothing",
        examples=["6f1c2a9e-3b7d-4c1e-9a55-0c2f5e8d7b41"],
    ),
]

# What a command returns: status code, JSON content, Location.
Outcome = tuple[int, dict[str, Any], str | None]


def _response(status: int, content: dict[str, Any], location: str | None, *, replayed: bool) -> JSONResponse:
    versioned = content.get("type") == "Feature" and "version" in (content.get("properties") or {})
    response = (
        feature_response(content, status_code=status, location=location)
        if versioned
        else entity_response(content, status_code=status, location=location)
    )
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def run_idempotent(
    request: Request,
    db: Session,
    clock: Clock,
    key: str | None,
    body: Any,
    command: Callable[[], Outcome],
) -> JSONResponse:
    """Run `command` and commit; with a key, run it at most once and replay its first response."""
    if key is None:
        status, content, location = command()
        db.commit()
        return _response(status, content, location, replayed=False)
    stored = idempotency.claim(
        db,
        key=key,
        scope=f"{request.method} {request.url.path}",
        fingerprint=idempotency.fingerprint(body),
        clock=clock,
    )
    if stored is not None:
        db.rollback()
        return _response(stored.status_code or 200, stored.body or {}, stored.location, replayed=True)
    status, content, location = command()
    idempotency.remember(db, key=key, status_code=status, body=content, location=location)
    db.commit()
    return _response(status, content, location, replayed=False)
