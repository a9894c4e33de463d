"""Appending to and reading the event log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandpost.clock import Clock
from commandpost.events.models import Event


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
    return event


def for_entity(session: Session, *, entity_type: str, entity_id: int) -> list[Event]:
    """An entity's events, oldest first: the raw material of its timeline."""
    stmt = (
        select(Event).where(Event.entity_type == entity_type, Event.entity_id == entity_id).order_by(Event.id)
    )
    return list(session.scalars(stmt))
