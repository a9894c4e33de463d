"""Rules for the duty roster: shifts that never double-book a person, and who is on duty at an instant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandpost import resources
from commandpost.clock import Clock
from commandpost.duty.models import DutyRole, DutyShift
from commandpost.duty.schemas import ShiftCreate, ShiftUpdate, shift_entity
from commandpost.errors import Conflict, InvalidInput
from commandpost.resources import Page

WHAT = "duty_shift"


def list_shifts(
    session: Session,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    role: DutyRole | None = None,
    limit: int,
    offset: int = 0,
) -> Page[DutyShift]:
    """Shifts that overlap [start, end) (either end may be open), in time order, then role and rank."""
    if start is not None and end is not None and end <= start:
        raise InvalidInput("`to` must be after `from`", field="to")
    stmt = select(DutyShift).order_by(DutyShift.starts_at, DutyShift.role, DutyShift.rank, DutyShift.id)
    if start is not None:
        stmt = stmt.where(DutyShift.ends_at > start)
    if end is not None:
        stmt = stmt.where(DutyShift.starts_at < end)
    if role is not None:
        stmt = stmt.where(DutyShift.role == role)
    return resources.page(session, stmt, limit=limit, offset=offset)


def get(session: Session, *, shift_id: int) -> DutyShift:
    """One shift, or NotFound."""
    return resources.fetch(session, DutyShift, shift_id, what="duty shift")


def on_duty(session: Session, *, at: datetime, role: DutyRole) -> list[DutyShift]:
    """The shifts of `role` running at `at` (start included, end excluded), in call order (rank)."""
    stmt = (
        select(DutyShift)
        .where(DutyShift.role == role, DutyShift.starts_at <= at, DutyShift.ends_at > at)
        .order_by(DutyShift.rank, DutyShift.starts_at, DutyShift.id)
    )
    return list(session.scalars(stmt))


def _check_times(
    session: Session, *, person: str, starts_at: datetime, ends_at: datetime, other_than: int | None
) -> None:
    """A shift ends after it starts, and its person is not on another shift at the same time."""
    if ends_at <= starts_at:
        raise InvalidInput("a shift must end after it starts", field="ends_at")
    stmt = select(DutyShift).where(
        DutyShift.person == person, DutyShift.starts_at < ends_at, DutyShift.ends_at > starts_at
    )
    if other_than is not None:
        stmt = stmt.where(DutyShift.id != other_than)
    clash = session.scalars(stmt.order_by(DutyShift.starts_at).limit(1)).first()
    if clash is not None:
        raise Conflict(
            f"{person} is already on duty as {clash.role.value} from {clash.starts_at.isoformat()} "
            f"to {clash.ends_at.isoformat()} (shift {clash.id})",
            field="starts_at",
            extra={"clashes_with": shift_entity(clash)},
        )


def create(session: Session, *, data: ShiftCreate, clock: Clock, actor: str | None = None) -> DutyShift:
    """Put someone on the roster, refusing a shift that overlaps one of theirs."""
    values: dict[str, Any] = data.model_dump()
    values["starts_at"] = data.starts_at.astimezone(UTC)
    values["ends_at"] = data.ends_at.astimezone(UTC)
    _check_times(
        session, person=data.person, starts_at=values["starts_at"], ends_at=values["ends_at"], other_than=None
    )
    shift = DutyShift(**values, updated_at=clock.now())
    session.add(shift)
    session.flush()
    resources.record_change(
        session,
        entity_type=WHAT,
        row=shift,
        action="created",
        feature=shift_entity(shift),
        clock=clock,
        actor=actor,
    )
    return shift


def update(
    session: Session,
    *,
    shift_id: int,
    changes: ShiftUpdate,
    expected_version: int | None,
    clock: Clock,
    actor: str | None = None,
) -> DutyShift:
    """Edit a shift under its version; the edited shift must still be well-formed and not double-book."""
    shift = get(session, shift_id=shift_id)
    values: dict[str, Any] = changes.model_dump(exclude_unset=True, exclude={"version"})
    for name in ("starts_at", "ends_at"):
        if name in values:
            values[name] = values[name].astimezone(UTC)
    _check_times(
        session,
        person=values.get("person", shift.person),
        starts_at=values.get("starts_at", shift.starts_at),
        ends_at=values.get("ends_at", shift.ends_at),
        other_than=shift.id,
    )
    values["updated_at"] = clock.now()
    resources.update_versioned(
        session,
        shift,
        changes=values,
        expected_version=expected_version,
        snapshot=shift_entity,
        what="duty shift",
    )
    resources.record_change(
        session,
        entity_type=WHAT,
        row=shift,
        action="updated",
        feature=shift_entity(shift),
        clock=clock,
        actor=actor,
    )
    return shift
