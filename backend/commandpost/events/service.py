"""Appending to and reading the event log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, cast, func, select, text
from sqlalchemy.orm import Session

from commandpost import db
from commandpost.clock import Clock
from commandpost.db import pg_array, sqlite_time
from commandpost.events.models import Event
from commandpost.jsontext import dumps_text

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


@dataclass(frozen=True, slots=True)
class Recorded:
    """An event as stored, its payload left as the JSON text it is stored as (the stream message
    reuses it): what `record_many` appended and what the relay reads from the log."""

    id: int
    at: datetime
    type: str
    entity_type: str
    entity_id: int | None
    actor: str | None
    exercise_id: int | None
    payload_text: str


def record_many(
    session: Session,
    *,
    type: str,
    entity_type: str,
    entries: Sequence[tuple[int | None, dict[str, Any]]],
    clock: Clock,
    actor: str | None = None,
    exercise_id: int | None = None,
) -> list[Recorded]:
    """Append one `type` event per (entity id, payload), in order, with one INSERT for them all.

    For the hot paths (a fleet gateway's positions, a detector batch's state changes): one ORM
    object per event would cost more than the change itself. Pending ORM changes are flushed first,
    so events recorded earlier in the transaction keep the lower ids.
    """
    if not entries:
        return []
    session.flush()
    at = clock.now()
    texts = [dumps_text(payload) for _, payload in entries]
    conn = session.connection()
    # Ids first (in order), then one INSERT: the log's order is the order recorded.
    ids = db.reserve_ids(conn, table="events", count=len(entries))
    if db.is_postgres(conn):
        conn.execute(
            text(
                "INSERT INTO events (id, at, type, entity_type, entity_id, payload, actor, exercise_id) "
                "SELECT u.id, :at, :type, :entity_type, u.entity_id, p.payload, :actor, :exercise_id "
                "FROM unnest(CAST(:ids AS bigint[]), CAST(:entity_ids AS integer[])) WITH ORDINALITY "
                "AS u(id, entity_id, n) "
                "JOIN json_array_elements(CAST(:payloads AS json)) WITH ORDINALITY AS p(payload, n) USING (n)"
            ),
            {
                "at": at,
                "type": type,
                "entity_type": entity_type,
                "actor": actor,
                "exercise_id": exercise_id,
                "ids": pg_array(ids),
                "entity_ids": pg_array(entity_id for entity_id, _ in entries),
                # One JSON array: quoting a text[] element by element costs more than the insert.
                "payloads": "[" + ",".join(texts) + "]",
            },
        )
    else:
        stamp = sqlite_time(at)
        conn.exec_driver_sql(
            "INSERT INTO events (id, at, type, entity_type, entity_id, payload, actor, exercise_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (event_id, stamp, type, entity_type, entity_id, payload_text, actor, exercise_id)
                for event_id, (entity_id, _), payload_text in zip(ids, entries, texts, strict=True)
            ],
        )
    recorded = [
        Recorded(event_id, at, type, entity_type, entity_id, actor, exercise_id, payload_text)
        for event_id, (entity_id, _), payload_text in zip(ids, entries, texts, strict=True)
    ]
    session.info.setdefault(RECORDED, []).extend(recorded)
    return recorded


def for_entity(session: Session, *, entity_type: str, entity_id: int) -> list[Event]:
    """An entity's events, oldest first: the raw material of its timeline."""
    stmt = (
        select(Event).where(Event.entity_type == entity_type, Event.entity_id == entity_id).order_by(Event.id)
    )
    return list(session.scalars(stmt))


def latest_id(session: Session) -> int:
    """The newest committed event id this session can see (0 for an empty log)."""
    return session.scalar(select(func.max(Event.id))) or 0


# The log as stored, payload as text: publishing it needs no decoding and encoding again.
_AS_STORED = (
    Event.id,
    Event.at,
    Event.type,
    Event.entity_type,
    Event.entity_id,
    Event.actor,
    Event.exercise_id,
    cast(Event.payload, Text),
)


def between(session: Session, *, after: int, upto: int | None = None, limit: int = 1000) -> list[Recorded]:
    """Events with `after` < id ≤ `upto`, oldest first, at most `limit` of them."""
    stmt = select(*_AS_STORED).where(Event.id > after).order_by(Event.id).limit(limit)
    if upto is not None:
        stmt = stmt.where(Event.id <= upto)
    return [Recorded(*row) for row in session.execute(stmt)]


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
) -> tuple[list[Recorded], PgSnapshot | None]:
    """Events after `after` (PostgreSQL), and the transactions in progress as the same statement saw them."""
    snapshot_text = cast(func.pg_current_snapshot(), Text)
    stmt = select(*_AS_STORED, snapshot_text).where(Event.id > after).order_by(Event.id).limit(limit)
    rows = session.execute(stmt).all()
    if not rows:
        return [], None
    return [Recorded(*row[:-1]) for row in rows], PgSnapshot.parse(str(rows[0][-1]))


def pg_any_in_progress(session: Session, xids: tuple[int, ...]) -> bool:
    """Whether any of these PostgreSQL transactions is still running."""
    if not xids:
        return False
    stmt = text(
        "SELECT count(*) FROM unnest(CAST(:xids AS text[])) AS x(id) "
        "WHERE pg_xact_status(CAST(x.id AS xid8)) = 'in progress'"
    )
    return bool(session.scalar(stmt, {"xids": [str(x) for x in xids]}))
