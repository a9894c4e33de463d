"""From alarm to zone: an orange or red warning at a hazard source holding a toxic chemical gets the
ERG zone of its worst chemical proposed, in the current wind; one call keeps it for the incident."""

from __future__ import annotations

from sqlalchemy.orm import Session

from commandpost import geo, resources
from commandpost.clock import Clock
from commandpost.config import Settings
from commandpost.errors import Conflict, InvalidInput
from commandpost.hazards import service as hazards
from commandpost.incidents import flows as incident_flows
from commandpost.incidents.models import IncidentType
from commandpost.incidents.schemas import IncidentCreate
from commandpost.routing import service as routing
from commandpost.warnings import service as warnings
from commandpost.warnings.models import WARNING_RANK, Warning, WarningLevel, WarningStatus
from commandpost.warnings.schemas import warning_feature
from commandpost.zones import flows, service, wind
from commandpost.zones.schemas import AcceptProposal, ThreatZoneModelOut, WindOut

PROPOSED_FROM = WarningLevel.orange


def _warning(session: Session, warning_id: int) -> Warning:
    warning = warnings.get(session, warning_id=warning_id)
    if warning.status is WarningStatus.cleared:
        raise Conflict(f"warning {warning_id} is cleared: no zone is proposed", field="warning_id")
    if WARNING_RANK[warning.level] < WARNING_RANK[PROPOSED_FROM]:
        raise Conflict(
            f"warning {warning_id} is {warning.level.value}: a zone is proposed from orange up",
            field="warning_id",
        )
    if warning.hazard_source_id is None:
        raise InvalidInput(f"warning {warning_id} names no hazard source", field="warning_id")
    return warning


def _wind(
    session: Session, warning: Warning, speed: float | None, from_deg: float | None, settings: Settings
) -> WindOut:
    if speed is not None and from_deg is not None:
        return WindOut(speed_ms=speed, from_deg=from_deg, source="officer")
    assert warning.hazard_source_id is not None
    site = geo.from_db(hazards.get(session, source_id=warning.hazard_source_id).site)
    assert site is not None
    found = wind.at_point(session, at=site.representative_point(), settings=settings)
    if found is None:
        raise InvalidInput(
            "no weather station reports near the source: give wind_speed_ms and wind_from_deg",
            field="wind_speed_ms",
        )
    return found


def proposal(
    session: Session,
    *,
    warning_id: int,
    wind_speed_ms: float | None,
    wind_from_deg: float | None,
    settings: Settings,
    clock: Clock,
) -> ThreatZoneModelOut:
    """The ERG zone proposed on an orange or red warning at a source holding a toxic chemical, in the
    wind given or the nearest weather station's."""
    warning = _warning(session, warning_id)
    blowing = _wind(session, warning, wind_speed_ms, wind_from_deg, settings)
    assert warning.hazard_source_id is not None
    out = service.proposal(
        session,
        hazard_source_id=warning.hazard_source_id,
        wind_speed_ms=blowing.speed_ms,
        wind_from_deg=blowing.from_deg,
        settings=settings,
        clock=clock,
    )
    out.inputs["warning_id"] = warning.id
    out.inputs["wind"] = blowing.model_dump(mode="json", exclude_none=True)
    return out


def accept(
    session: Session, *, data: AcceptProposal, settings: Settings, clock: Clock, router: routing.Router
) -> flows.Outcome:
    """Keep the proposed zone: for the warning's incident, or a new one reported at the source (the
    warning then names it); the zone closes its roads and warns the teams inside like any other."""
    proposed = proposal(
        session,
        warning_id=data.warning_id,
        wind_speed_ms=data.wind_speed_ms,
        wind_from_deg=data.wind_from_deg,
        settings=settings,
        clock=clock,
    )
    warning = warnings.get(session, warning_id=data.warning_id)
    if warning.incident_id is None:
        incident = incident_flows.report(
            session,
            data=IncidentCreate.model_validate(
                {
                    "type": IncidentType.leak,
                    "title": warning.title[:160],
                    "location": proposed.source,
                    "hazard_source_id": warning.hazard_source_id,
                    "reported_by": data.by,
                }
            ),
            clock=clock,
            exercise_id=warning.exercise_id,
        )
        warning.incident_id = incident.id
        warning.updated_at = clock.now()
        session.flush()
        resources.record_change(
            session,
            entity_type=warnings.WHAT,
            row=warning,
            action="updated",
            feature=warning_feature(warning),
            payload={"incident_id": incident.id, "why": "zone proposal accepted"},
            clock=clock,
            actor=data.by,
        )
    assert warning.hazard_source_id is not None and warning.incident_id is not None
    request, _ = service.proposed_request(
        session,
        hazard_source_id=warning.hazard_source_id,
        wind_speed_ms=float(proposed.inputs["wind_speed_ms"]),
        wind_from_deg=float(proposed.inputs["wind_from_deg"]),
    )
    request = request.model_copy(update={"by": data.by})
    return flows.draw(
        session,
        incident_id=warning.incident_id,
        request=request,
        settings=settings,
        clock=clock,
        router=router,
    )
