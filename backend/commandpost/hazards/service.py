"""Rules for major hazard sources: register with their chemicals, edit under optimistic versions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from commandpost import db, geo, resources
from commandpost.clock import Clock
from commandpost.errors import Conflict
from commandpost.hazards.models import HazardGrade, HazardSource, RiskColour, StoredChemical
from commandpost.hazards.schemas import (
    COLOUR_OF_GRADE,
    HazardSourceCreate,
    HazardSourceUpdate,
    hazard_source_feature,
)
from commandpost.resources import Page
from commandpost.sensors.models import Sensor

WHAT = "hazard_source"
SITE_TYPES = ("Point", "Polygon", "MultiPolygon")


def list_sources(
    session: Session,
    *,
    bbox: geo.BBox | None = None,
    grade: HazardGrade | None = None,
    risk_colour: RiskColour | None = None,
    limit: int,
    offset: int = 0,
) -> Page[HazardSource]:
    """Hazard sources whose site meets the box, with the given grade/colour, in id order."""
    stmt = select(HazardSource).options(selectinload(HazardSource.chemicals)).order_by(HazardSource.id)
    if bbox is not None:
        stmt = stmt.where(db.bbox_filter(session, HazardSource.__table__.c.site, bbox))
    if grade is not None:
        stmt = stmt.where(HazardSource.grade == grade)
    if risk_colour is not None:
        stmt = stmt.where(HazardSource.risk_colour == risk_colour)
    # resources.page is typed for SQLAlchemy 2.0's Select[tuple[T]]; 2.1 spells it Select[T].
    return resources.page(session, stmt, limit=limit, offset=offset)


def get(session: Session, *, source_id: int) -> HazardSource:
    """One hazard source with its chemicals loaded, or NotFound."""
    source = resources.fetch(session, HazardSource, source_id, what="hazard source")
    source.chemicals  # noqa: B018 - load now, before any edit, so no lazy load flushes half an edit
    return source


def sensor_ids(session: Session, *, source_ids: Sequence[int]) -> dict[int, list[int]]:
    """The ids of the sensors watching each of `source_ids` (one query for a whole page)."""
    out: dict[int, list[int]] = {sid: [] for sid in source_ids}
    if not source_ids:
        return out
    rows = session.execute(
        select(Sensor.hazard_source_id, Sensor.id)
        .where(Sensor.hazard_source_id.in_(source_ids))
        .order_by(Sensor.id)
    )
    for source_id, sensor_id in rows:
        if source_id is not None:
            out[source_id].append(sensor_id)
    return out


def feature(session: Session, source: HazardSource) -> dict[str, Any]:
    """The source as a GeoJSON Feature, with the sensors watching it."""
    return hazard_source_feature(source, sensor_ids(session, source_ids=[source.id])[source.id])


def feature_maker(session: Session, page: Page[HazardSource]) -> Callable[[HazardSource], dict[str, Any]]:
    """A row → Feature function for one page of the layer, its sensor ids fetched at once."""
    watching = sensor_ids(session, source_ids=[s.id for s in page.items])
    return lambda source: hazard_source_feature(source, watching.get(source.id, []))


def _check_ref_free(session: Session, ref: str | None, *, own_id: int | None = None) -> None:
    if ref is None:
        return
    taken = session.scalar(select(HazardSource.id).where(HazardSource.ref == ref))
    if taken is not None and taken != own_id:
        raise Conflict(f"ref {ref} is already used by hazard source {taken}", field="ref")


def _columns(data: dict[str, Any]) -> dict[str, Any]:
    """Schema fields as column values: site to WKB, chemicals to rows, the grade's colour if none given."""
    out = dict(data)
    if out.get("site") is not None:
        out["site"] = geo.to_db(geo.parse_geojson(out["site"], field="site", allowed=SITE_TYPES))
    if out.get("chemicals") is not None:
        out["chemicals"] = [StoredChemical(**c) for c in out["chemicals"]]
    if out.get("grade") is not None:
        out["grade"] = HazardGrade(out["grade"])
        if out.get("risk_colour") is None:
            out["risk_colour"] = COLOUR_OF_GRADE[out["grade"]]
    if out.get("risk_colour") is not None:
        out["risk_colour"] = RiskColour(out["risk_colour"])
    return out


def create(
    session: Session, *, data: HazardSourceCreate, clock: Clock, actor: str | None = None
) -> HazardSource:
    """Register a hazard source with the chemicals it holds; its colour follows its grade unless given."""
    _check_ref_free(session, data.ref)
    source = HazardSource(**_columns(data.model_dump(mode="json")), updated_at=clock.now())
    session.add(source)
    session.flush()
    resources.record_change(
        session,
        entity_type=WHAT,
        row=source,
        action="created",
        feature=feature(session, source),
        clock=clock,
        actor=actor,
    )
    return source


def update(
    session: Session,
    *,
    source_id: int,
    changes: HazardSourceUpdate,
    expected_version: int | None,
    clock: Clock,
    actor: str | None = None,
) -> HazardSource:
    """Edit a hazard source, refusing an edit made on a stale version; `chemicals` replaces the list."""
    source = get(session, source_id=source_id)
    data = changes.model_dump(mode="json", exclude_unset=True, exclude={"version"})
    if "ref" in data:
        _check_ref_free(session, data["ref"], own_id=source.id)
    values = _columns(data)
    values["updated_at"] = clock.now()
    resources.update_versioned(
        session,
        source,
        changes=values,
        expected_version=expected_version,
        snapshot=lambda row: feature(session, row),
        what="hazard source",
        # A chemicals-only edit changes no column of the source itself; it is still a new version.
        touch=True,
    )
    resources.record_change(
        session,
        entity_type=WHAT,
        row=source,
        action="updated",
        feature=feature(session, source),
        clock=clock,
        actor=actor,
    )
    return source
