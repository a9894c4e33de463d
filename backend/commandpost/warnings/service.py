"""Rules for early warnings: issue, acknowledge, clear, escalate, and open an incident from one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from commandpost import db, geo, resources
from commandpost.clock import Clock
from commandpost.duty import service as duty
from commandpost.duty.models import DutyRole, DutyShift
from commandpost.errors import Conflict, InvalidTransition
from commandpost.events.models import Event
from commandpost.incidents import flows as incident_flows
from commandpost.incidents import service as incidents
from commandpost.incidents.models import Incident, IncidentType, ResponseLevel
from commandpost.incidents.schemas import IncidentCreate
from commandpost.resources import Page
from commandpost.warnings.models import WARNING_RANK, Warning, WarningLevel, WarningSource, WarningStatus
from commandpost.warnings.schemas import WarningCreate, warning_feature

WHAT = "warning"

# What the layer shows unless asked for a status: the warnings still in force.
IN_FORCE = (WarningStatus.active, WarningStatus.acknowledged)

_SEVERITY = case(*((Warning.level == level, rank) for level, rank in WARNING_RANK.items()), else_=0)


def list_warnings(
    session: Session,
    *,
    bbox: geo.BBox | None = None,
    status: WarningStatus | None = None,
    exercise_id: int | None = None,
    limit: int,
    offset: int = 0,
) -> Page[Warning]:
    """Warnings in force (or with `status`) in the box, most severe first, then newest; drills left out."""
    stmt = select(Warning).order_by(_SEVERITY.desc(), Warning.issued_at.desc(), Warning.id.desc())
    stmt = stmt.where(Warning.status.in_(IN_FORCE) if status is None else Warning.status == status)
    if exercise_id is None:
        stmt = stmt.where(Warning.exercise_id.is_(None))
    else:
        stmt = stmt.where(Warning.exercise_id == exercise_id)
    if bbox is not None:
        stmt = stmt.where(db.bbox_filter(session, Warning.__table__.c.area, bbox))
    return resources.page(session, stmt, limit=limit, offset=offset)


def get(session: Session, *, warning_id: int) -> Warning:
    """One warning, or NotFound."""
    return resources.fetch(session, Warning, warning_id, what=WHAT)


def issue(
    session: Session,
    *,
    level: WarningLevel,
    title: str,
    area: BaseGeometry,
    source: WarningSource,
    clock: Clock,
    description: str | None = None,
    hazard_source_id: int | None = None,
    sensor_id: int | None = None,
    issued_by: str | None = None,
    exercise_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> Warning:
    """Issue an active warning over `area` (WGS 84), stamped with the clock's time."""
    incidents.require_hazard_source(session, hazard_source_id)
    now = clock.now()
    warning = Warning(
        level=level,
        source=source,
        title=title,
        description=description,
        area=geo.to_db(area),
        status=WarningStatus.active,
        hazard_source_id=hazard_source_id,
        sensor_id=sensor_id,
        issued_at=now,
        issued_by=issued_by,
        exercise_id=exercise_id,
        updated_at=now,
    )
    session.add(warning)
    session.flush()
    resources.record_change(
        session,
        entity_type=WHAT,
        row=warning,
        action="issued",
        feature=warning_feature(warning),
        payload=payload,
        clock=clock,
        actor=issued_by,
    )
    return warning


def create(session: Session, *, data: WarningCreate, clock: Clock, exercise_id: int | None = None) -> Warning:
    """Issue a manual warning from the duty officer's form."""
    return issue(
        session,
        level=data.level,
        title=data.title,
        area=geo.parse_geojson(data.area, field="area", allowed=("Point", "Polygon", "MultiPolygon")),
        source=WarningSource.manual,
        clock=clock,
        description=data.description,
        hazard_source_id=data.hazard_source_id,
        issued_by=data.issued_by,
        exercise_id=exercise_id,
    )


def _refuse_if_cleared(warning: Warning, doing: str) -> None:
    if warning.status is WarningStatus.cleared:
        when = warning.cleared_at.isoformat() if warning.cleared_at else "earlier"
        raise InvalidTransition(
            f"warning {warning.id} was cleared by {warning.cleared_by or 'someone'} at {when}; "
            f"a cleared warning cannot be {doing}",
            field="status",
        )


def _save(
    session: Session,
    warning: Warning,
    *,
    changes: dict[str, Any],
    expected_version: int | None,
    action: str,
    actor: str,
    clock: Clock,
    payload: dict[str, Any] | None = None,
) -> Warning:
    """Apply one action's changes (checking the version read, if given) and log it as an event."""
    changes["updated_at"] = clock.now()
    resources.update_versioned(
        session,
        warning,
        changes=changes,
        expected_version=warning.version if expected_version is None else expected_version,
        snapshot=warning_feature,
        what=WHAT,
    )
    resources.record_change(
        session,
        entity_type=WHAT,
        row=warning,
        action=action,
        feature=warning_feature(warning),
        payload=payload,
        clock=clock,
        actor=actor,
    )
    return warning


def acknowledge(
    session: Session, *, warning_id: int, by: str, clock: Clock, expected_version: int | None = None
) -> Warning:
    """Acknowledge an active warning: someone on duty has seen it."""
    warning = get(session, warning_id=warning_id)
    _refuse_if_cleared(warning, "acknowledged")
    if warning.status is WarningStatus.acknowledged:
        when = warning.acknowledged_at.isoformat() if warning.acknowledged_at else "earlier"
        raise InvalidTransition(
            f"warning {warning.id} was already acknowledged by {warning.acknowledged_by or 'someone'} "
            f"at {when}",
            field="status",
        )
    changes = {"status": WarningStatus.acknowledged, "acknowledged_at": clock.now(), "acknowledged_by": by}
    return _save(
        session,
        warning,
        changes=changes,
        expected_version=expected_version,
        action="acknowledged",
        actor=by,
        clock=clock,
    )


def clear(
    session: Session, *, warning_id: int, by: str, clock: Clock, expected_version: int | None = None
) -> Warning:
    """Clear a warning that is in force: the danger is over."""
    warning = get(session, warning_id=warning_id)
    _refuse_if_cleared(warning, "cleared again")
    changes = {"status": WarningStatus.cleared, "cleared_at": clock.now(), "cleared_by": by}
    return _save(
        session,
        warning,
        changes=changes,
        expected_version=expected_version,
        action="cleared",
        actor=by,
        clock=clock,
    )


def escalate(
    session: Session,
    *,
    warning_id: int,
    to_level: WarningLevel,
    by: str,
    clock: Clock,
    expected_version: int | None = None,
) -> Warning:
    """Raise a warning in force to a more severe level; it becomes active again, to be acknowledged anew."""
    warning = get(session, warning_id=warning_id)
    _refuse_if_cleared(warning, "escalated")
    before = warning.level
    if WARNING_RANK[to_level] <= WARNING_RANK[before]:
        higher = [lvl.value for lvl, rank in WARNING_RANK.items() if rank > WARNING_RANK[before]]
        raise InvalidTransition(
            f"a {before.value} warning can only be escalated to a more severe level"
            + (f" ({', '.join(higher)})" if higher else "; red is the most severe"),
            field="to_level",
        )
    changes = {
        "level": to_level,
        "status": WarningStatus.active,
        "acknowledged_at": None,
        "acknowledged_by": None,
    }
    return _save(
        session,
        warning,
        changes=changes,
        expected_version=expected_version,
        action="escalated",
        actor=by,
        clock=clock,
        payload={"from": before.value, "to": to_level.value},
    )


# The response level an incident opened from a warning starts at: the colour's own level.
RESPONSE_LEVEL_OF = {
    WarningLevel.red: ResponseLevel.I,
    WarningLevel.orange: ResponseLevel.II,
    WarningLevel.yellow: ResponseLevel.III,
    WarningLevel.blue: ResponseLevel.IV,
}


def open_incident(
    session: Session,
    *,
    warning_id: int,
    by: str,
    type: IncidentType,
    clock: Clock,
    title: str | None = None,
    response_level: ResponseLevel | None = None,
    expected_version: int | None = None,
) -> Incident:
    """Open an incident at the centre of the warned area and link it; an active warning gets acknowledged.

    The incident takes its response level from the warning's colour (red → I … blue → IV) unless
    another is given, so its response plan and checklist open at once.
    """
    warning = get(session, warning_id=warning_id)
    if warning.incident_id is not None:
        raise Conflict(
            f"warning {warning.id} already led to incident {warning.incident_id}", field="incident_id"
        )
    area = geo.from_db(warning.area)
    assert area is not None  # the column is NOT NULL
    centre = area.centroid
    data = IncidentCreate.model_validate(
        {
            "type": type,
            "title": title or warning.title,
            "location": {"type": "Point", "coordinates": [centre.x, centre.y]},
            "description": warning.description[:10_000] if warning.description else None,
            "hazard_source_id": warning.hazard_source_id,
            "reported_by": by,
            "response_level": response_level or RESPONSE_LEVEL_OF[warning.level],
        }
    )
    # Reported through the flow, so the level taken from the colour opens its plan's checklist at once.
    incident = incident_flows.report(
        session,
        data=data,
        clock=clock,
        exercise_id=warning.exercise_id,
        log=("warning", f"opened from {warning.level.value} warning {warning.id}: {warning.title}"),
    )
    changes: dict[str, Any] = {"incident_id": incident.id}
    if warning.status is WarningStatus.active:
        changes |= {
            "status": WarningStatus.acknowledged,
            "acknowledged_at": clock.now(),
            "acknowledged_by": by,
        }
    _save(
        session,
        warning,
        changes=changes,
        expected_version=expected_version,
        action="incident_opened",
        actor=by,
        clock=clock,
        payload={"incident_id": incident.id},
    )
    return incident


def raise_from_sensors(
    session: Session,
    *,
    level: WarningLevel,
    title: str,
    description: str,
    area: BaseGeometry,
    by: str,
    clock: Clock,
    hazard_source_id: int | None = None,
    sensor_id: int | None = None,
    facts: dict[str, Any] | None = None,
) -> tuple[Warning, str | None]:
    """Keep ONE sensor warning in force per hazard source (or per sensor watching none).

    Issue it if there is none; raise it when `level` is more severe (it becomes active again, to be
    acknowledged anew); never lower it: the duty officer clears it. Returns the warning and what
    was done ("issued", "escalated", or None when it already says as much).
    """
    stmt = select(Warning).where(
        Warning.source == WarningSource.sensor,
        Warning.status.in_(IN_FORCE),
        Warning.exercise_id.is_(None),
    )
    if hazard_source_id is not None:
        stmt = stmt.where(Warning.hazard_source_id == hazard_source_id)
    else:
        stmt = stmt.where(Warning.hazard_source_id.is_(None), Warning.sensor_id == sensor_id)
    # Locked, so an officer's acknowledgement and this escalation are applied one after the other.
    current = session.scalars(stmt.order_by(Warning.id.desc()).limit(1).with_for_update()).first()
    if current is None:
        warning = issue(
            session,
            level=level,
            title=title,
            area=area,
            source=WarningSource.sensor,
            clock=clock,
            description=description,
            hazard_source_id=hazard_source_id,
            sensor_id=sensor_id,
            issued_by=by,
            payload=facts,
        )
        return warning, "issued"
    if WARNING_RANK[level] <= WARNING_RANK[current.level]:
        return current, None
    before = current.level
    changes: dict[str, Any] = {
        "level": level,
        "title": title,
        "description": description,
        "status": WarningStatus.active,
        "acknowledged_at": None,
        "acknowledged_by": None,
    }
    _save(
        session,
        current,
        changes=changes,
        expected_version=None,
        action="escalated",
        actor=by,
        clock=clock,
        payload={"from": before.value, "to": level.value, **(facts or {})},
    )
    return current, "escalated"


# Orange and red warnings must be acknowledged; nobody doing so sends them up the roster.
MUST_ACKNOWLEDGE = (WarningLevel.orange, WarningLevel.red)
ROSTER_ESCALATION = "system: duty roster escalation"


def _waiting(history: list[Event]) -> tuple[datetime | None, set[str], datetime | None]:
    """From a warning's events: since when it has waited unacknowledged at orange/red, who was
    already called in this wait, and when the last call was made."""
    since: datetime | None = None
    called: set[str] = set()
    last_call: datetime | None = None
    acknowledged = False
    for event in history:
        action = event.type.removeprefix("warning.")
        props = event.payload.get("feature", {}).get("properties", {})
        severe = props.get("level") in MUST_ACKNOWLEDGE
        if action == "issued":
            since, called, last_call, acknowledged = (event.at if severe else None), set(), None, False
        elif action in ("acknowledged", "incident_opened"):
            acknowledged = True
        elif action == "escalated":
            was_severe = event.payload.get("from") in MUST_ACKNOWLEDGE
            if acknowledged or not was_severe:
                # A fresh wait: someone had seen it, or it has only now become orange/red.
                since, called, last_call = (event.at if severe else None), set(), None
            acknowledged = False
        elif action == "blind_spot" and acknowledged:
            # Detectors went blind after someone had seen it: it waits anew, from the top of the roster.
            since, called, last_call, acknowledged = event.at, set(), None, False
        elif action == "escalated_to_person":
            called.add(event.payload.get("to", {}).get("person", ""))
            last_call = event.at
    return since, called, last_call


def call_chain(session: Session, *, at: datetime) -> list[DutyShift]:
    """Whom an unacknowledged warning goes to, in order, after the first duty officer: the other
    duty officers on duty (rank order), then the leaders on duty (rank order)."""
    officers = duty.on_duty(session, at=at, role=DutyRole.duty_officer)
    leaders = duty.on_duty(session, at=at, role=DutyRole.leader_on_duty)
    return officers[1:] + leaders


def escalate_unacknowledged(session: Session, *, clock: Clock, after: timedelta) -> list[dict[str, Any]]:
    """An orange or red warning nobody acknowledged for `after` goes to the next person on the duty
    roster, then the leader on duty: one step each `after`, each step an event saying to whom."""
    now = clock.now()
    stmt = (
        select(Warning)
        .where(Warning.status == WarningStatus.active, Warning.level.in_(MUST_ACKNOWLEDGE))
        .order_by(Warning.id)
    )
    done: list[dict[str, Any]] = []
    chain: list[DutyShift] | None = None
    for warning in session.scalars(stmt):
        history = list(
            session.scalars(
                select(Event)
                .where(Event.entity_type == WHAT, Event.entity_id == warning.id)
                .order_by(Event.id)
            )
        )
        since, called, last_call = _waiting(history)
        if since is None or now - (last_call or since) < after:
            continue
        if chain is None:
            chain = call_chain(session, at=now)
        nxt = next((s for s in chain if s.person not in called), None)
        if nxt is None:
            continue  # everyone on duty has been called; the warning stays on every screen
        step = len(called) + 1
        to = {
            "person": nxt.person,
            "role": nxt.role.value,
            "phone": nxt.phone,
            "rank": nxt.rank,
            "shift": nxt.id,
        }
        # Kept on the warning too, so its card says who was called and when, not only the log.
        call = {"step": step, "at": now.isoformat(), **to}
        _save(
            session,
            warning,
            changes={"roster_calls": [*(warning.roster_calls or []), call]},
            expected_version=None,
            action="escalated_to_person",
            actor=ROSTER_ESCALATION,
            clock=clock,
            payload={
                "to": to,
                "step": step,
                "unacknowledged_since": since.isoformat(),
                "waited_s": round((now - since).total_seconds()),
            },
        )
        done.append({"warning": warning.id, "level": warning.level.value, "step": step, "to": to})
    return done


def severe_in_force(
    session: Session, *, hazard_source_ids: list[int], sensor_ids: list[int]
) -> list[Warning]:
    """Live orange and red warnings in force at these hazard sources, or of these lone sensors."""
    if not hazard_source_ids and not sensor_ids:
        return []
    stmt = select(Warning).where(
        Warning.status.in_(IN_FORCE),
        Warning.level.in_(MUST_ACKNOWLEDGE),
        Warning.exercise_id.is_(None),
        Warning.hazard_source_id.in_(hazard_source_ids)
        | (Warning.hazard_source_id.is_(None) & Warning.sensor_id.in_(sensor_ids)),
    )
    return list(session.scalars(stmt.order_by(Warning.id).with_for_update()))


def note_blind_spot(
    session: Session, *, warning: Warning, blind: list[dict[str, Any]], by: str, clock: Clock
) -> str | None:
    """Keep the list of a severe warning's detectors that are offline or in fault.

    A detector newly gone blind is itself a warning: the warning says which, becomes active again
    (to be acknowledged anew, and to go up the roster if nobody does). A detector back in sight is
    taken off the list, and nothing more: the danger it was watching is not over. Returns what was
    done ("blind_spot", "sight_restored") or None when the list is unchanged.
    """
    before = {d["sensor"]: d for d in warning.blind_detectors or []}
    now = clock.now().isoformat()
    listed = [d | {"since": before[d["sensor"]]["since"] if d["sensor"] in before else now} for d in blind]
    new = sorted({d["sensor"] for d in blind} - set(before))
    if not new and len(listed) == len(before):
        return None
    changes: dict[str, Any] = {"blind_detectors": listed}
    action = "blind_spot" if new else "sight_restored"
    if new and warning.status is WarningStatus.acknowledged:
        changes |= {"status": WarningStatus.active, "acknowledged_at": None, "acknowledged_by": None}
    _save(
        session,
        warning,
        changes=changes,
        expected_version=None,
        action=action,
        actor=by,
        clock=clock,
        payload={"blind": listed, "new": new},
    )
    return action
