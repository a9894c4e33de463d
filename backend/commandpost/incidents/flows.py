"""What follows an incident in other domains, in the same transaction as the incident change.

Every boundary that reports or edits an incident (API, drill runner, CLI) goes through here, so
an incident that gets its response level (reported with one, or given or changed one later) opens
its response plan's checklist whoever set it, while `service` stays free of plans.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from commandpost.clock import Clock
from commandpost.dispatch import plans
from commandpost.incidents import service as incidents
from commandpost.incidents.models import Incident
from commandpost.incidents.schemas import IncidentCreate, IncidentUpdate


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
