"""Idempotency keys: a command sent again with the same key does nothing twice.

Any boundary that runs commands a sender may repeat (the API's `Idempotency-Key` header, a drill
runner, an import, an ingestion feed) claims the key, runs the command and stores its outcome with
`run_once`; a repeat gets the stored outcome back.

The key is claimed (inserted) at the start of the command's transaction and its response stored in
the same transaction, so the key and the change commit or vanish together. A repeat that arrives
while the first is still running waits on the key's row (PostGIS) or on the write lock (SQLite), then
finds the first response and gets it back unchanged. A failed command stores nothing: its key can
be tried again. Keys are kept `idempotency_keep_hours` (a day by default), long enough for any
retry, then forgotten by a background job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import JSON, Integer, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from commandpost.clock import Clock
from commandpost.db import Base
from commandpost.errors import InvalidInput
from commandpost.web import entity_response, feature_response

HEADER = "Idempotency-Key"


class IdempotencyKey(Base):
    """The first response to a command sent with an idempotency key, replayed for every repeat."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    scope: Mapped[str] = mapped_column(String(200), comment="method and path the key was first used on")
    fingerprint: Mapped[str] = mapped_column(String(64), comment="sha256 of the request body")
    status_code: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[Any] = mapped_column(JSON, nullable=True)
    location: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]


def fingerprint(body: Any) -> str:
    """sha256 of the request body's canonical JSON."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _check(row: IdempotencyKey, *, scope: str, fingerprint: str) -> IdempotencyKey:
    if row.scope != scope or row.fingerprint != fingerprint:
        raise InvalidInput(
            f"this {HEADER} was already used for a different request ({row.scope}); use a new key",
            field=HEADER,
        )
    return row


def claim(session: Session, *, key: str, scope: str, fingerprint: str, clock: Clock) -> IdempotencyKey | None:
    """Reserve `key` for this request, or return the stored outcome of the request that used it first."""
    if not key or len(key) > 200 or not key.isprintable():
        raise InvalidInput(f"{HEADER} must be 1–200 printable characters", field=HEADER)
    row = session.get(IdempotencyKey, key)
    if row is not None:
        return _check(row, scope=scope, fingerprint=fingerprint)
    try:
        with session.begin_nested():
            session.add(IdempotencyKey(key=key, scope=scope, fingerprint=fingerprint, created_at=clock.now()))
    except IntegrityError:
        # The same key committed by a concurrent request between our look and our insert.
        row = session.get(IdempotencyKey, key, populate_existing=True)
        if row is None:  # pragma: no cover - it was there a moment ago (and is far from expiry)
            raise
        return _check(row, scope=scope, fingerprint=fingerprint)
    return None


def remember(session: Session, *, key: str, status_code: int, body: Any, location: str | None = None) -> None:
    """Store the response to replay for every repeat of this key."""
    row = session.get(IdempotencyKey, key)
    if row is None:  # pragma: no cover - claim() inserted it in this transaction
        raise RuntimeError(f"idempotency key {key!r} was not claimed")
    row.status_code = status_code
    row.body = body
    row.location = location
    session.flush()


def forget(session: Session, *, before: datetime) -> int:
    """Forget the keys claimed before `before`; how many. The caller commits."""
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def forget_expired(sessions: sessionmaker[Session], *, clock: Clock, keep: timedelta) -> int:
    """Forget the keys older than `keep`, committed; how many."""
    with sessions() as session:
        forgotten = forget(session, before=clock.now() - keep)
        session.commit()
        return forgotten


# What a command returns: status code, JSON content, Location.
Outcome = tuple[int, dict[str, Any], str | None]


def run_once(
    session: Session,
    *,
    key: str,
    scope: str,
    body: Any,
    clock: Clock,
    command: Callable[[], Outcome],
) -> tuple[Outcome, bool]:
    """Run `command` unless `key` already ran it; its outcome, and whether it is a replay. No commit."""
    stored = claim(session, key=key, scope=scope, fingerprint=fingerprint(body), clock=clock)
    if stored is not None:
        return (stored.status_code or 200, stored.body or {}, stored.location), True
    status, content, location = command()
    remember(session, key=key, status_code=status, body=content, location=location)
    return (status, content, location), False


# --- over HTTP: the Idempotency-Key header -----------------------------------------------

IdempotencyKeyDep = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="any unique string (a UUID); a repeat with the same key gets the first response "
        "and changes nothing",
        examples=["6f1c2a9e-3b7d-4c1e-9a55-0c2f5e8d7b41"],
    ),
]


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
    (status, content, location), replayed = run_once(
        db, key=key, scope=f"{request.method} {request.url.path}", body=body, clock=clock, command=command
    )
    if replayed:
        db.rollback()  # nothing to keep: end the transaction and its lock on the key
    else:
        db.commit()
    return _response(status, content, location, replayed=replayed)
