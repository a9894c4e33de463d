"""Appending to and reading the event log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, cast, func, select, text
from sqlalchemy.orm import Session

from commandpost.clock import Clock
from commandpost.events.models import Event

# The events a session appended, handed to the relay when that session commits.
RECORDED = "commandpost.events.recorded"


def record(
    session: Session,
    *,
    type: str,
    entity_type: str,
    entity_id: int | None,
    payload: dict[str, Any],
    clock: Clock,
    actor: str | None = None,
    exercise_id: int | None = None,
) -> Event:
    """Append one event to the log in the caller's transaction; it is published only once committed."""
    event = Event(
        at=clock.now(),
        type=type,
        entity_type=entity_type,
        entity_id=entity_id,
        payload=payload,
        actor=actor,
        exercise_id=exercise_id,
    )
    session.add(event)
    session.info.setdefault(RECORDED, []).append(event)
    return event


def for_entity(session: Session, *, entity_type: str, entity_id: int) -> list[Event]:
    """An entity's events, oldest first: the raw material of its timeline."""
    stmt = (
        select(Event).where(Event.entity_type == entity_type, Event.entity_id == entity_id).order_by(Event.id)
    )
    return list(session.scalars(stmt))


def latest_id(session: Session) -> int:
    """The newest committed event id this session can see (0 for an empty log)."""
    return session.scalar(select(func.max(Event.id))) or 0


def between(session: Session, *, after: int, upto: int | None = None, limit: int = 1000) -> list[Event]:
    """Events with `after` < id ≤ `upto`, oldest first, at most `limit` of them."""
    stmt = select(Event).where(Event.id > after).order_by(Event.id).limit(limit)
    if upto is not None:
        stmt = stmt.where(Event.id <= upto)
    return list(session.scalars(stmt))


def ids_after(session: Session, *, after: int, limit: int) -> list[int]:
    """The ids of the events after `after` this session can see, in order."""
    return list(session.scalars(select(Event.id).where(Event.id > after).order_by(Event.id).limit(limit)))


def out_of_retention(
    session: Session, *, since: int, now: datetime, keep_events: int, keep_for: timedelta
) -> bool:
    """Whether a client at `since` can no longer be brought up to date from the log.

    True when `since` is more than `keep_events` behind the newest event, when the first event it
    missed is older than `keep_for`, or when the id was never issued (a log that was reset).
    """
    if since < 0:
        return True
    newest = latest_id(session)
    if since > newest or newest - since > keep_events:
        return True
    missed_first = session.scalar(select(Event.at).where(Event.id > since).order_by(Event.id).limit(1))
    return missed_first is not None and missed_first < now - keep_for


@dataclass(frozen=True)
class PgSnapshot:
    """What `pg_current_snapshot()` said: transactions below `xmin` are done, `xip` were in progress."""

    xmin: int
    xmax: int
    xip: tuple[int, ...]

    @classmethod
    def parse(cls, value: str) -> PgSnapshot:
        xmin, xmax, xip = value.split(":")
        return cls(int(xmin), int(xmax), tuple(int(x) for x in xip.split(",") if x))


def between_with_snapshot(
    session: Session, *, after: int, limit: int
) -> tuple[list[Event], PgSnapshot | None]:
    """Events after `after` (PostgreSQL), and the transactions in progress as the same statement saw them."""
    snapshot_text = cast(func.pg_current_snapshot(), Text)
    stmt = select(Event, snapshot_text).where(Event.id > after).order_by(Event.id).limit(limit)
    rows = session.execute(stmt).all()
    if not rows:
        return [], None
    return [row[0] for row in rows], PgSnapshot.parse(str(rows[0][1]))


def pg_any_in_progress(session: Session, xids: tuple[int, ...]) -> bool:
    """Whether any of these PostgreSQL transactions is still running."""
    if not xids:
        return False
    stmt = text(
        "SELECT count(*) FROM unnest(CAST(:xids AS text[])) AS x(id) "
        "WHERE pg_xact_status(CAST(x.id AS xid8)) = 'in progress'"
    )
    return bool(session.scalar(stmt, {"xids": [str(x) for x in xids]}))
