"""Incident use cases that reach into other domains, in the same transaction as the incident change.

Every boundary that reports, edits or closes an incident (API, drill runner, CLI, a warning) goes
through here: an incident that gets its response level (reported with one, or given or changed one
later) opens its response plan's checklist whoever set it; closing is refused while the incident
still holds teams or reserved materials, unless they are stood down with it. `service` stays free
of plans and dispatch.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from commandpost import resources
from commandpost.clock import Clock
from commandpost.dispatch import materials, plans
from commandpost.dispatch import service as dispatch
from commandpost.errors import InvalidInput, StaleVersion, StillCommitted
from commandpost.incidents import service as incidents
from commandpost.incidents.models import Incident, IncidentStatus
from commandpost.incidents.schemas import IncidentCreate, IncidentUpdate, incident_feature


def report(
    session: Session,
    *,
    data: IncidentCreate,
    clock: Clock,
    exercise_id: int | None = None,
    log: tuple[str, str] | None = None,
) -> Incident:
    """Report an incident; reported with a response level, its plan's checklist opens at once."""
    incident = incidents.create(session, data=data, clock=clock, exercise_id=exercise_id, log=log)
    if incident.response_level is not None:
        plans.open_checklist(session, incident=incident, at=incident.updated_at)
    return incident


def edit(
    session: Session,
    *,
    incident_id: int,
    changes: IncidentUpdate,
    expected_version: int | None,
    clock: Clock,
    actor: str | None = None,
) -> Incident:
    """Edit an incident; a response level given or changed opens that level's checklist."""
    before = incidents.get(session, incident_id=incident_id).response_level
    incident = incidents.update(
        session,
        incident_id=incident_id,
        changes=changes,
        expected_version=expected_version,
        clock=clock,
        actor=actor,
    )
    if incident.response_level is not None and incident.response_level != before:
        plans.open_checklist(session, incident=incident, at=incident.updated_at)
    return incident


def change_status(
    session: Session,
    *,
    incident_id: int,
    status: IncidentStatus,
    stand_down: bool = False,
    expected_version: int | None = None,
    clock: Clock,
    actor: str | None = None,
) -> Incident:
    """Move an incident along its flow; closing it goes through `close`."""
    if status is IncidentStatus.closed:
        return close(
            session,
            incident_id=incident_id,
            stand_down=stand_down,
            expected_version=expected_version,
            clock=clock,
            actor=actor,
        )
    if stand_down:
        raise InvalidInput(
            "stand_down only goes with closing the incident (status: closed)", field="stand_down"
        )
    return incidents.change_status(
        session,
        incident_id=incident_id,
        status=status,
        expected_version=expected_version,
        clock=clock,
        actor=actor,
    )


def _listing(teams: list[dict[str, Any]], stock: list[dict[str, Any]]) -> str:
    parts = []
    if teams:
        parts.append(
            f"{len(teams)} team(s) still committed ("
            + ", ".join(f"{t['team_name']} {t['status']}" for t in teams)
            + ")"
        )
    if stock:
        parts.append(
            f"{len(stock)} material allocation(s) still reserved ("
            + ", ".join(
                f"{m['material']} {m['quantity']:g}{' ' + m['unit'] if m['unit'] else ''}"
                f" at {m['depot_name']}"
                for m in stock
            )
            + ")"
        )
    return " and ".join(parts)


def close(
    session: Session,
    *,
    incident_id: int,
    stand_down: bool = False,
    expected_version: int | None = None,
    clock: Clock,
    actor: str | None = None,
) -> Incident:
    """Close an incident. Refused while teams are still sent to it (not yet released) or materials
    are still reserved for it, unless `stand_down`: then the teams are released and the stock
    returned in the same transaction, each with its event, before it closes."""
    # Held exclusively: a dispatch or a material request for it waits, then finds it closed.
    incident = incidents.get(session, incident_id=incident_id, for_update=True)
    incidents.require_transition(incident, IncidentStatus.closed)
    if expected_version is not None and expected_version != incident.version:
        raise StaleVersion(
            f"incident was changed by someone else: you edited version {expected_version}, "
            f"it is now {incident.version}",
            current=incident_feature(incident),
        )
    teams = dispatch.held_teams(session, incident_id=incident_id)
    stock = materials.reserved_for(session, incident_id=incident_id)
    if teams or stock:
        if not stand_down:
            raise StillCommitted(
                f"incident {incident_id} cannot be closed: {_listing(teams, stock)}; "
                "release them first, or close with stand_down: true to stand everything down",
                field="stand_down",
                extra={"teams": teams, "materials": stock},
            )
        released_teams = dispatch.stand_down_teams(session, incident_id=incident_id, clock=clock, actor=actor)
        returned = materials.release_reserved(session, incident_id=incident_id, clock=clock, actor=actor)
        resources.record_change(
            session,
            entity_type=incidents.WHAT,
            row=incident,
            action="stood_down",
            feature=incident_feature(incident),
            payload={"teams": released_teams, "materials": returned},
            clock=clock,
            actor=actor,
        )
    return incidents.change_status(
        session,
        incident_id=incident_id,
        status=IncidentStatus.closed,
        expected_version=incident.version,
        clock=clock,
        actor=actor,
    )
