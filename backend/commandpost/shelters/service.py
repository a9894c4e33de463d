"""Rules for emergency shelters: register, edit under optimistic versions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandpost import db, geo, resources
from commandpost.clock import Clock
from commandpost.errors import Conflict
from commandpost.resources import Page
from commandpost.shelters.models import Shelter
from commandpost.shelters.schemas import ShelterCreate, ShelterUpdate, shelter_feature

WHAT = "shelter"


def list_shelters(
    session: Session, *, bbox: geo.BBox | None = None, limit: int, offset: int = 0
) -> Page[Shelter]:
    """Shelters in the box, in id order."""
    stmt = select(Shelter).order_by(Shelter.id)
    if bbox is not None:
        stmt = stmt.where(db.bbox_filter(session, Shelter.__table__.c.location, bbox))
    # resources.page is typed for SQLAlchemy 2.0's Select[tuple[T]]; 2.1 spells it Select[T].
    return resources.page(session, stmt, limit=limit, offset=offset)


def get(session: Session, *, shelter_id: int) -> Shelter:
    """One shelter, or NotFound."""
    return resources.fetch(session, Shelter, shelter_id, what=WHAT)


def _check_ref_free(session: Session, ref: str | None, *, own_id: int | None = None) -> None:
    if ref is None:
        return
    taken = session.scalar(select(Shelter.id).where(Shelter.ref == ref))
    if taken is not None and taken != own_id:
        raise Conflict(f"ref {ref} is already used by shelter {taken}", field="ref")


def _columns(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    if out.get("location") is not None:
        out["location"] = geo.to_db(geo.parse_geojson(out["location"], field="location", allowed=("Point",)))
    return out


def create(session: Session, *, data: ShelterCreate, clock: Clock, actor: str | None = None) -> Shelter:
    """Register a shelter."""
    _check_ref_free(session, data.ref)
    shelter = Shelter(**_columns(data.model_dump(mode="json")), updated_at=clock.now())
    session.add(shelter)
    resources.record_change(
        session,
        entity_type=WHAT,
        row=shelter,
        action="created",
        feature=shelter_feature(shelter),
        clock=clock,
        actor=actor,
    )
    return shelter


def update(
    session: Session,
    *,
    shelter_id: int,
    changes: ShelterUpdate,
    expected_version: int | None,
    clock: Clock,
    actor: str | None = None,
) -> Shelter:
    """Edit a shelter, refusing an edit made on a stale version."""
    shelter = get(session, shelter_id=shelter_id)
    values = _columns(changes.model_dump(mode="json", exclude_unset=True, exclude={"version"}))
    if "ref" in values:
        _check_ref_free(session, values["ref"], own_id=shelter.id)
    values["updated_at"] = clock.now()
    resources.update_versioned(
        session,
        shelter,
        changes=values,
        expected_version=expected_version,
        snapshot=shelter_feature,
        what=WHAT,
    )
    resources.record_change(
        session,
        entity_type=WHAT,
        row=shelter,
        action="updated",
        feature=shelter_feature(shelter),
        clock=clock,
        actor=actor,
    )
    return shelter
