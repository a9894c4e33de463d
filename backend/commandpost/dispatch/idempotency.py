"""Idempotency keys: a command sent again with the same `Idempotency-Key` does nothing twice.

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
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from commandpost.clock import Clock
from commandpost.dispatch.models import IdempotencyKey
from commandpost.errors import InvalidInput

HEADER = "Idempotency-Key"


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
    session.add(IdempotencyKey(key=key, scope=scope, fingerprint=fingerprint, created_at=clock.now()))
    try:
        session.flush()
    except IntegrityError:
        # The same key committed by a concurrent request between our look and our insert.
        session.rollback()
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
