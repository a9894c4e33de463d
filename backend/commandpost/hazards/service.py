"""Rules for major hazard sources: register with their chemicals, edit under optimistic versions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from commandpost import db, geo, resources
from commandpost.clock import Clock
from commandpost.errors import Conflict, InvalidInput
from commandpost.hazards import gb18218
from commandpost.hazards.models import HazardGrade, HazardSource, RiskColour, StoredChemical
from commandpost.hazards.schemas import (
    COLOUR_OF_GRADE,
    HazardGrading,
    HazardSourceCreate,
    HazardSourceUpdate,
    grading_out,
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
    """Schema fields as column values: site to WKB, chemicals to rows."""
    out = dict(data)
    if out.get("site") is not None:
        out["site"] = geo.to_db(geo.parse_geojson(out["site"], field="site", allowed=SITE_TYPES))
    if out.get("chemicals") is not None:
        out["chemicals"] = [StoredChemical(**c) for c in out["chemicals"]]
    return out


def _grade(chemicals: Sequence[StoredChemical], exposed_population: int | None) -> gb18218.Grading:
    held = [
        gb18218.ChemicalHeld(name=c.name, cas=c.cas, quantity_t=c.quantity_t, category=c.category)
        for c in chemicals
    ]
    try:
        return gb18218.grade(held, exposed_population=exposed_population)
    except gb18218.CannotGrade as exc:
        raise InvalidInput(str(exc), field=f"chemicals.{exc.index}.category") from exc


def grading(source: HazardSource) -> gb18218.Grading:
    """The source's GB 18218-2018 S, R and grade from its chemicals and the people within 500 m."""
    return _grade(source.chemicals, source.exposed_population)


def _graded_columns(values: dict[str, Any], *, source: HazardSource | None) -> dict[str, Any]:
    """`values` plus the grade, S and R they give; the colour follows the grade unless an officer set it."""
    graded = _grade(
        values.get("chemicals", source.chemicals if source else []),
        values.get("exposed_population", source.exposed_population if source else None),
    )
    out = {**values, "grade": graded.grade, "s_value": graded.s_value, "r_value": graded.r_value}
    if source is None or source.risk_colour_reason is None:
        out["risk_colour"] = COLOUR_OF_GRADE[graded.grade] if graded.grade else None
    return out


def grading_of(session: Session, *, source_id: int) -> HazardGrading:
    """How a source's grade was reached: each substance's q, Q, β and share, α and why, S and R."""
    source = get(session, source_id=source_id)
    return grading_out(source, grading(source))


def create(
    session: Session, *, data: HazardSourceCreate, clock: Clock, actor: str | None = None
) -> HazardSource:
    """Register a hazard source with the chemicals it holds; its colour follows its grade unless given."""
    _check_ref_free(session, data.ref)
    values = _graded_columns(_columns(data.model_dump(mode="json")), source=None)
    source = HazardSource(**values, updated_at=clock.now())
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
    before = source.grade
    values = _graded_columns(_columns(data), source=source)
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
    if source.grade != before:
        _record_regraded(session, source, before=before, clock=clock, actor=actor)
    return source


def _record_regraded(
    session: Session, source: HazardSource, *, before: HazardGrade | None, clock: Clock, actor: str | None
) -> None:
    resources.record_change(
        session,
        entity_type=WHAT,
        row=source,
        action="regraded",
        payload={"from": before, "to": source.grade, "r_value": source.r_value, "s_value": source.s_value},
        feature=feature(session, source),
        clock=clock,
        actor=actor,
    )


def override_risk_colour(
    session: Session,
    *,
    source_id: int,
    risk_colour: RiskColour | None,
    reason: str,
    clock: Clock,
    actor: str | None = None,
) -> HazardSource:
    """Show an officer's risk colour instead of the grade's, with the reason; null returns to the grade's."""
    source = get(session, source_id=source_id)
    before = source.risk_colour
    if risk_colour is None:
        source.risk_colour = COLOUR_OF_GRADE[source.grade] if source.grade else None
        source.risk_colour_reason = None
    else:
        source.risk_colour = risk_colour
        source.risk_colour_reason = reason
    source.updated_at = clock.now()
    session.flush()
    resources.record_change(
        session,
        entity_type=WHAT,
        row=source,
        action="risk_colour_overridden" if risk_colour is not None else "risk_colour_restored",
        payload={"from": before, "to": source.risk_colour, "reason": reason, "grade": source.grade},
        feature=feature(session, source),
        clock=clock,
        actor=actor,
    )
    return source
