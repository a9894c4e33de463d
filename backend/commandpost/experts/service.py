"""Rules for the expert pool: register, look up by specialty, edit under optimistic versions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandpost import resources
from commandpost.clock import Clock
from commandpost.errors import Conflict
from commandpost.experts.models import Expert
from commandpost.experts.schemas import ExpertCreate, ExpertUpdate, expert_entity
from commandpost.resources import Page

WHAT = "expert"


def list_experts(
    session: Session, *, specialty: str | None = None, limit: int, offset: int = 0
) -> Page[Expert]:
    """Experts with the given specialty (all when none), by name."""
    stmt = select(Expert).order_by(Expert.name, Expert.id)
    if specialty is not None:
        stmt = stmt.where(Expert.specialty == specialty.strip())
    return resources.page(session, stmt, limit=limit, offset=offset)


def get(session: Session, *, expert_id: int) -> Expert:
    """One expert, or NotFound."""
    return resources.fetch(session, Expert, expert_id, what=WHAT)


def _require_free_ref(session: Session, ref: str | None, *, other_than: int | None = None) -> None:
    if ref is None:
        return
    holder = session.scalar(select(Expert.id).where(Expert.ref == ref))
    if holder is not None and holder != other_than:
        raise Conflict(f"ref {ref!r} is already expert {holder}", field="ref")


def create(session: Session, *, data: ExpertCreate, clock: Clock, actor: str | None = None) -> Expert:
    """Add an expert to the pool; a `ref` may name only one expert."""
    values: dict[str, Any] = data.model_dump(mode="json")
    _require_free_ref(session, values.get("ref"))
    expert = Expert(**values, updated_at=clock.now())
    session.add(expert)
    session.flush()
    resources.record_change(
        session,
        entity_type=WHAT,
        row=expert,
        action="created",
        feature=expert_entity(expert),
        clock=clock,
        actor=actor,
    )
    return expert


def update(
    session: Session,
    *,
    expert_id: int,
    changes: ExpertUpdate,
    expected_version: int | None,
    clock: Clock,
    actor: str | None = None,
) -> Expert:
    """Edit an expert's record, refusing an edit made on a stale version."""
    expert = get(session, expert_id=expert_id)
    values = changes.model_dump(mode="json", exclude_unset=True, exclude={"version"})
    if "ref" in values:
        _require_free_ref(session, values["ref"], other_than=expert.id)
    values["updated_at"] = clock.now()
    resources.update_versioned(
        session, expert, changes=values, expected_version=expected_version, snapshot=expert_entity, what=WHAT
    )
    resources.record_change(
        session,
        entity_type=WHAT,
        row=expert,
        action="updated",
        feature=expert_entity(expert),
        clock=clock,
        actor=actor,
    )
    return expert
