"""Rules for incidents: report, edit under optimistic versions, move along the status flow, keep the log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandpost import db, geo, resources
from commandpost.clock import Clock
from commandpost.drills import context as drill
from commandpost.errors import InvalidInput, InvalidTransition, NotFound
from commandpost.hazards.models import HazardSource
from commandpost.incidents.models import (
    INCIDENT_FLOW,
    Incident,
    IncidentStatus,
    IncidentType,
    TimelineEntry,
)
from commandpost.incidents.schemas import IncidentCreate, IncidentUpdate, entry_dict, incident_feature
from commandpost.resources import Page

WHAT = "incident"

# The time column each status stamps when it is reached.
_STAMPS: dict[IncidentStatus, str] = {
    IncidentStatus.confirmed: "confirmed_at",
    IncidentStatus.contained: "contained_at",
    IncidentStatus.closed: "closed_at",
}


def list_incidents(
    session: Session,
    *,
    bbox: geo.BBox | None = None,
    status: IncidentStatus | None = None,
    type: IncidentType | None = None,
    exercise_id: int | None = None,
    limit: int,
    offset: int = 0,
) -> Page[Incident]:
    """Live incidents (or one drill's, given `exercise_id`) in the box, newest report first."""
    stmt = select(Incident).order_by(Incident.reported_at.desc(), Incident.id.desc())
    if exercise_id is None:
        stmt = stmt.where(Incident.exercise_id.is_(None))
    else:
        stmt = stmt.where(Incident.exercise_id == exercise_id)
    if bbox is not None:
        stmt = stmt.where(db.bbox_filter(session, Incident.__table__.c.location, bbox))
    if status is not None:
        stmt = stmt.where(Incident.status == status)
    if type is not None:
        stmt = stmt.where(Incident.type == type)
    return resources.page(session, stmt, limit=limit, offset=offset)


def get(session: Session, *, incident_id: int, for_update: bool = False) -> Incident:
    """One incident, or NotFound; `for_update` locks it (PostGIS) until the transaction ends."""
    if for_update:
        row = session.get(Incident, incident_id, with_for_update=True, populate_existing=True)
        if row is None:
            raise NotFound(f"{WHAT} {incident_id} does not exist", field="id")
        return row
    return resources.fetch(session, Incident, incident_id, what=WHAT)


def get_open(session: Session, *, incident_id: int) -> Incident:
    """An incident that is not closed, held so that nobody can close it before this transaction ends.

    A shared lock on PostGIS: commands that add to an incident (a team, materials) run side by side,
    and closing it (which takes the row exclusively) waits for them and then sees what they added.
    """
    incident = session.get(Incident, incident_id, with_for_update={"read": True}, populate_existing=True)
    if incident is None:
        raise NotFound(f"{WHAT} {incident_id} does not exist", field="id")
    if incident.status is IncidentStatus.closed:
        raise InvalidTransition(
            f"incident {incident_id} is closed; reopen it first (POST /incidents/{incident_id}/reopen)",
            field="incident_id",
        )
    return incident


def require_hazard_source(session: Session, hazard_source_id: int | None) -> None:
    """Refuse a reference to a major hazard source that is not registered."""
    if hazard_source_id is not None and session.get(HazardSource, hazard_source_id) is None:
        raise InvalidInput(f"hazard source {hazard_source_id} does not exist", field="hazard_source_id")


def _columns(data: dict[str, Any]) -> dict[str, Any]:
    """Schema fields as column values: the location to WKB."""
    out = dict(data)
    if out.get("location") is not None:
        out["location"] = geo.to_db(geo.parse_geojson(out["location"], field="location", allowed=("Point",)))
    return out


def _log(incident: Incident, *, kind: str, text: str, author: str | None, at: datetime) -> TimelineEntry:
    entry = TimelineEntry(at=at, kind=kind, text=text, author=author)
    incident.timeline.append(entry)
    return entry


def create(
    session: Session,
    *,
    data: IncidentCreate,
    clock: Clock,
    exercise_id: int | None = None,
    log: tuple[str, str] | None = None,
) -> Incident:
    """Report an incident: it starts `reported`, stamped with the clock's time; a drill's must be open.

    `log` is an optional first timeline line (kind, text), e.g. the warning it was opened from.
    """
    if exercise_id is not None:
        drill.require_open(session, exercise_id=exercise_id)
    values = _columns(data.model_dump(mode="json"))
    require_hazard_source(session, values.get("hazard_source_id"))
    now = clock.now()
    incident = Incident(
        **values,
        status=IncidentStatus.reported,
        reported_at=now,
        exercise_id=exercise_id,
        updated_at=now,
        timeline=[],
    )
    session.add(incident)
    if log is not None:
        _log(incident, kind=log[0], text=log[1], author=data.reported_by, at=now)
    session.flush()
    resources.record_change(
        session,
        entity_type=WHAT,
        row=incident,
        action="created",
        feature=incident_feature(incident),
        clock=clock,
        actor=data.reported_by,
    )
    return incident


def update(
    session: Session,
    *,
    incident_id: int,
    changes: IncidentUpdate,
    expected_version: int | None,
    clock: Clock,
    actor: str | None = None,
) -> Incident:
    """Edit an incident's record, refusing an edit made on a stale version."""
    incident = get(session, incident_id=incident_id)
    clock = drill.clock_of(session, exercise_id=incident.exercise_id, clock=clock)
    values = _columns(changes.model_dump(mode="json", exclude_unset=True, exclude={"version"}))
    if "hazard_source_id" in values:
        require_hazard_source(session, values["hazard_source_id"])
    changed = sorted(values)
    before = incident_feature(incident)
    values["updated_at"] = clock.now()
    resources.update_versioned(
        session,
        incident,
        changes=values,
        expected_version=expected_version,
        snapshot=incident_feature,
        what=WHAT,
    )
    resources.record_change(
        session,
        entity_type=WHAT,
        row=incident,
        action="updated",
        feature=incident_feature(incident),
        payload={"changed": changed, "changes": _differences(before, incident_feature(incident), changed)},
        clock=clock,
        actor=actor,
    )
    return incident


def _differences(
    before: dict[str, Any], after: dict[str, Any], fields: list[str]
) -> dict[str, dict[str, Any]]:
    """Each changed field's old and new value, as the incident's feature shows them."""
    out = {}
    for name in fields:
        old, new = (
            (before["geometry"], after["geometry"])
            if name == "location"
            else (before["properties"].get(name), after["properties"].get(name))
        )
        if old != new:
            out[name] = {"from": old, "to": new}
    return out


def require_transition(incident: Incident, status: IncidentStatus) -> None:
    """Refuse a status the incident cannot move to from where it is (INCIDENT_FLOW)."""
    allowed = INCIDENT_FLOW[incident.status]
    if status not in allowed:
        can = ", ".join(s.value for s in IncidentStatus if s in allowed)
        if incident.status is IncidentStatus.closed:
            can = f"nothing: reopen it with a reason (POST /incidents/{incident.id}/reopen)"
        raise InvalidTransition(
            f"an incident that is {incident.status.value} cannot become {status.value}; it can become: {can}",
            field="status",
        )


def change_status(
    session: Session,
    *,
    incident_id: int,
    status: IncidentStatus,
    expected_version: int | None = None,
    clock: Clock,
    actor: str | None = None,
) -> Incident:
    """Move an incident along INCIDENT_FLOW (reported → confirmed → responding → …), logging it.

    Closing goes through `flows.change_status`, which first makes sure nothing is still committed.
    """
    incident = get(session, incident_id=incident_id)
    clock = drill.clock_of(session, exercise_id=incident.exercise_id, clock=clock)
    before = incident.status
    require_transition(incident, status)
    now = clock.now()
    changes: dict[str, Any] = {"status": status, "updated_at": now}
    if status in _STAMPS:
        changes[_STAMPS[status]] = now
    if status is IncidentStatus.responding and before is IncidentStatus.contained:
        changes["contained_at"] = None  # it flared up again: no longer contained
    resources.update_versioned(
        session,
        incident,
        changes=changes,
        expected_version=incident.version if expected_version is None else expected_version,
        snapshot=incident_feature,
        what=WHAT,
    )
    _log(incident, kind="status", text=f"status: {before.value} → {status.value}", author=actor, at=now)
    resources.record_change(
        session,
        entity_type=WHAT,
        row=incident,
        action="status_changed",
        feature=incident_feature(incident),
        payload={"from": before.value, "to": status.value},
        clock=clock,
        actor=actor,
    )
    return incident


# Where a reopened incident goes: someone on duty has confirmed there is something to handle again.
REOPENED_AS = IncidentStatus.confirmed


def reopen(
    session: Session,
    *,
    incident_id: int,
    reason: str,
    by: str,
    expected_version: int | None = None,
    clock: Clock,
) -> Incident:
    """Reopen a closed incident, saying why: it becomes confirmed again and can take teams and materials."""
    incident = get(session, incident_id=incident_id, for_update=True)
    clock = drill.clock_of(session, exercise_id=incident.exercise_id, clock=clock)
    if incident.status is not IncidentStatus.closed:
        raise InvalidTransition(
            f"incident {incident_id} is {incident.status.value}, not closed: there is nothing to reopen",
            field="status",
        )
    now = clock.now()
    closed_at = incident.closed_at
    resources.update_versioned(
        session,
        incident,
        changes={"status": REOPENED_AS, "closed_at": None, "contained_at": None, "updated_at": now},
        expected_version=incident.version if expected_version is None else expected_version,
        snapshot=incident_feature,
        what=WHAT,
    )
    resources.record_change(
        session,
        entity_type=WHAT,
        row=incident,
        action="reopened",
        feature=incident_feature(incident),
        payload={
            "from": IncidentStatus.closed.value,
            "to": REOPENED_AS.value,
            "reason": reason,
            "closed_at": closed_at.isoformat() if closed_at else None,
        },
        clock=clock,
        actor=by,
    )
    return incident


def add_note(
    session: Session, *, incident_id: int, text: str, author: str | None, clock: Clock
) -> TimelineEntry:
    """Write an officer's note into the incident's log."""
    incident = get(session, incident_id=incident_id)
    clock = drill.clock_of(session, exercise_id=incident.exercise_id, clock=clock)
    entry = _log(incident, kind="note", text=text, author=author, at=clock.now())
    session.flush()
    resources.record_change(
        session,
        entity_type=WHAT,
        row=incident,
        action="note_added",
        payload=entry_dict(entry),
        clock=clock,
        actor=author,
    )
    return entry
