"""Rules for incidents: report, edit under optimistic versions, move along the status flow, keep the log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandpost import db, geo, resources
from commandpost.clock import Clock
from commandpost.errors import InvalidInput, InvalidTransition
from commandpost.events import service as events
from commandpost.events.models import Event
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

# Events whose content is already a line of the stored log; the merged timeline shows them once.
_MIRRORED_IN_LOG = frozenset({"incident.note_added", "incident.status_changed"})

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


def get(session: Session, *, incident_id: int) -> Incident:
    """One incident, or NotFound."""
    return resources.fetch(session, Incident, incident_id, what=WHAT)


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
    """Report an incident: it starts `reported`, stamped with the clock's time.

    `log` is an optional first timeline line (kind, text), e.g. the warning it was opened from.
    """
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
    values = _columns(changes.model_dump(mode="json", exclude_unset=True, exclude={"version"}))
    if "hazard_source_id" in values:
        require_hazard_source(session, values["hazard_source_id"])
    changed = sorted(values)
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
        payload={"changed": changed},
        clock=clock,
        actor=actor,
    )
    return incident


def change_status(
    session: Session,
    *,
    incident_id: int,
    status: IncidentStatus,
    expected_version: int | None = None,
    clock: Clock,
    actor: str | None = None,
) -> Incident:
    """Move an incident along INCIDENT_FLOW (reported → confirmed → responding → …), logging it."""
    incident = get(session, incident_id=incident_id)
    before = incident.status
    allowed = INCIDENT_FLOW[before]
    if status not in allowed:
        can = ", ".join(s.value for s in IncidentStatus if s in allowed) or "nothing: it is final"
        raise InvalidTransition(
            f"an incident that is {before.value} cannot become {status.value}; it can become: {can}",
            field="status",
        )
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


def add_note(
    session: Session, *, incident_id: int, text: str, author: str | None, clock: Clock
) -> TimelineEntry:
    """Write an officer's note into the incident's log."""
    incident = get(session, incident_id=incident_id)
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


def _event_text(event: Event) -> str:
    payload = event.payload or {}
    if event.type == f"{WHAT}.created":
        title = ((payload.get("feature") or {}).get("properties") or {}).get("title")
        return f"reported: {title}" if title else "reported"
    if event.type == f"{WHAT}.updated" and payload.get("changed"):
        return "edited: " + ", ".join(payload["changed"])
    return event.type.removeprefix(f"{WHAT}.").replace("_", " ")


def timeline(session: Session, *, incident_id: int) -> list[dict[str, Any]]:
    """The incident's log lines and its other events, merged oldest first (an event first on a tie)."""
    incident = get(session, incident_id=incident_id)
    merged: list[tuple[datetime, int, dict[str, Any]]] = []
    for event in events.for_entity(session, entity_type=WHAT, entity_id=incident.id):
        if event.type in _MIRRORED_IN_LOG:
            continue
        item = {
            "at": event.at.isoformat(),
            "kind": "event",
            "text": _event_text(event),
            "author": event.actor,
            "event_id": event.id,
            "type": event.type,
        }
        merged.append((event.at, 0, item))
    merged.extend((entry.at, 1, entry_dict(entry)) for entry in incident.timeline)
    merged.sort(key=lambda row: (row[0], row[1]))
    return [item for _, _, item in merged]
