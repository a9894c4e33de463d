"""HTTP routes for incidents and their timeline; the rules are in `service`."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from commandpost import geo
from commandpost.incidents import flows, service
from commandpost.incidents import timeline as history
from commandpost.incidents.models import IncidentStatus, IncidentType
from commandpost.incidents.schemas import (
    IncidentCreate,
    IncidentFeature,
    IncidentLayer,
    IncidentStatusChange,
    IncidentUpdate,
    NoteIn,
    Reopening,
    Timeline,
    TimelineItem,
    entry_dict,
    incident_feature,
)
from commandpost.schemas import PROBLEM_RESPONSES
from commandpost.web import (
    BBoxDep,
    ClockDep,
    GeoJSONResponse,
    IfMatchDep,
    PagingDep,
    SessionDep,
    SettingsDep,
    entity_response,
    expected_version,
    feature_response,
    layer_response,
)

router = APIRouter(prefix="/incidents", tags=["incidents"], responses=PROBLEM_RESPONSES)


def _full(db: Session, incident_id: int) -> Response:
    """The incident with its merged timeline, as every single-incident answer shows it."""
    incident = service.get(db, incident_id=incident_id)
    return feature_response(
        incident_feature(incident, timeline=history.timeline(db, incident_id=incident_id))
    )


@router.get(
    "",
    summary="Incidents layer (GeoJSON FeatureCollection), newest first; drills left out",
    response_model=IncidentLayer,
    response_class=GeoJSONResponse,
)
def list_incidents(
    request: Request,
    db: SessionDep,
    paging: PagingDep,
    bbox: BBoxDep,
    status: IncidentStatus | None = None,
    type: IncidentType | None = None,
    exercise_id: int | None = Query(
        default=None, description="show this drill's incidents instead of live ones"
    ),
) -> Response:
    page = service.list_incidents(
        db,
        bbox=bbox,
        status=status,
        type=type,
        exercise_id=exercise_id,
        limit=paging.limit,
        offset=paging.offset,
    )
    return layer_response(request, page, incident_feature)


@router.get(
    "/{incident_id}",
    summary="One incident with its timeline (GeoJSON Feature; ETag = version)",
    response_model=IncidentFeature,
    response_class=GeoJSONResponse,
)
def get_incident(incident_id: int, db: SessionDep) -> Response:
    return _full(db, incident_id)


@router.post(
    "",
    status_code=201,
    summary="Report an incident (it starts as `reported`)",
    response_model=IncidentFeature,
    response_class=GeoJSONResponse,
)
def create_incident(body: IncidentCreate, db: SessionDep, clock: ClockDep, settings: SettingsDep) -> Response:
    geo.check_operating_area(
        geo.parse_geojson(body.location, field="location"), settings.operating_area, field="location"
    )
    incident = flows.report(db, data=body, clock=clock)
    db.commit()
    feature = incident_feature(incident, timeline=history.timeline(db, incident_id=incident.id))
    return feature_response(feature, status_code=201, location=f"/api/v1/incidents/{incident.id}")


@router.patch(
    "/{incident_id}",
    summary="Edit an incident (send the version you read)",
    response_model=IncidentFeature,
    response_class=GeoJSONResponse,
)
def update_incident(
    incident_id: int, body: IncidentUpdate, db: SessionDep, clock: ClockDep, if_match: IfMatchDep
) -> Response:
    flows.edit(
        db,
        incident_id=incident_id,
        changes=body,
        expected_version=expected_version(body.version, if_match),
        clock=clock,
    )
    db.commit()
    return _full(db, incident_id)


@router.post(
    "/{incident_id}/status",
    summary="Move an incident along its flow; closing is refused (409, listing them) while teams or "
    "reserved materials are still committed, unless `stand_down` releases them with it",
    response_model=IncidentFeature,
    response_class=GeoJSONResponse,
)
def change_status(
    incident_id: int, body: IncidentStatusChange, db: SessionDep, clock: ClockDep, if_match: IfMatchDep
) -> Response:
    flows.change_status(
        db,
        incident_id=incident_id,
        status=body.status,
        stand_down=body.stand_down,
        expected_version=expected_version(body.version, if_match),
        clock=clock,
        actor=body.by,
    )
    db.commit()
    return _full(db, incident_id)


@router.post(
    "/{incident_id}/reopen",
    summary="Reopen a closed incident, saying why (it becomes confirmed)",
    response_model=IncidentFeature,
    response_class=GeoJSONResponse,
)
def reopen(
    incident_id: int, body: Reopening, db: SessionDep, clock: ClockDep, if_match: IfMatchDep
) -> Response:
    service.reopen(
        db,
        incident_id=incident_id,
        reason=body.reason,
        by=body.by,
        expected_version=expected_version(body.version, if_match),
        clock=clock,
    )
    db.commit()
    return _full(db, incident_id)


@router.get(
    "/{incident_id}/timeline", summary="The incident's log and events, oldest first", response_model=Timeline
)
def get_timeline(incident_id: int, db: SessionDep) -> Response:
    items = history.timeline(db, incident_id=incident_id)
    return entity_response({"incident_id": incident_id, "items": items})


@router.post(
    "/{incident_id}/timeline",
    status_code=201,
    summary="Add a note to the incident's log",
    response_model=TimelineItem,
)
def add_note(incident_id: int, body: NoteIn, db: SessionDep, clock: ClockDep) -> Response:
    entry = service.add_note(db, incident_id=incident_id, text=body.text, author=body.author, clock=clock)
    db.commit()
    return entity_response(
        entry_dict(entry), status_code=201, location=f"/api/v1/incidents/{incident_id}/timeline"
    )
