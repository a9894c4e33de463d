"""HTTP routes for early warnings (预警); the rules are in `service`."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from commandpost.incidents import timeline as history
from commandpost.incidents.schemas import IncidentFeature, incident_feature
from commandpost.schemas import PROBLEM_RESPONSES
from commandpost.warnings import cap, service
from commandpost.warnings.models import WarningStatus
from commandpost.warnings.schemas import (
    Escalation,
    OpenIncident,
    WarningAction,
    WarningCreate,
    WarningFeature,
    WarningLayer,
    warning_feature,
)
from commandpost.web import (
    BBoxDep,
    ClockDep,
    GeoJSONResponse,
    IfMatchDep,
    PagingDep,
    SessionDep,
    SettingsDep,
    expected_version,
    feature_response,
    layer_response,
)

router = APIRouter(prefix="/warnings", tags=["warnings"], responses=PROBLEM_RESPONSES)


@router.get(
    "",
    summary="Warnings layer: those in force unless `status=` says otherwise, most severe first",
    response_model=WarningLayer,
    response_class=GeoJSONResponse,
)
def list_warnings(
    request: Request,
    db: SessionDep,
    paging: PagingDep,
    bbox: BBoxDep,
    status: WarningStatus | None = Query(default=None, description="default: active and acknowledged"),
    exercise_id: int | None = Query(
        default=None, description="show this drill's warnings instead of live ones"
    ),
) -> Response:
    page = service.list_warnings(
        db, bbox=bbox, status=status, exercise_id=exercise_id, limit=paging.limit, offset=paging.offset
    )
    return layer_response(request, page, warning_feature)


@router.get(
    "/{warning_id}",
    summary="One warning (GeoJSON Feature; ETag = version)",
    response_model=WarningFeature,
    response_class=GeoJSONResponse,
)
def get_warning(warning_id: int, db: SessionDep) -> Response:
    return feature_response(warning_feature(service.get(db, warning_id=warning_id)))


@router.post(
    "",
    status_code=201,
    summary="Issue a warning by hand",
    response_model=WarningFeature,
    response_class=GeoJSONResponse,
)
def create_warning(body: WarningCreate, db: SessionDep, clock: ClockDep) -> Response:
    warning = service.create(db, data=body, clock=clock)
    db.commit()
    return feature_response(
        warning_feature(warning), status_code=201, location=f"/api/v1/warnings/{warning.id}"
    )


@router.post(
    "/{warning_id}/acknowledge",
    summary="Acknowledge an active warning",
    response_model=WarningFeature,
    response_class=GeoJSONResponse,
)
def acknowledge(
    warning_id: int, body: WarningAction, db: SessionDep, clock: ClockDep, if_match: IfMatchDep
) -> Response:
    warning = service.acknowledge(
        db,
        warning_id=warning_id,
        by=body.by,
        clock=clock,
        expected_version=expected_version(body.version, if_match),
    )
    db.commit()
    return feature_response(warning_feature(warning))


@router.post(
    "/{warning_id}/clear",
    summary="Clear a warning in force",
    response_model=WarningFeature,
    response_class=GeoJSONResponse,
)
def clear(
    warning_id: int, body: WarningAction, db: SessionDep, clock: ClockDep, if_match: IfMatchDep
) -> Response:
    warning = service.clear(
        db,
        warning_id=warning_id,
        by=body.by,
        clock=clock,
        expected_version=expected_version(body.version, if_match),
    )
    db.commit()
    return feature_response(warning_feature(warning))


@router.post(
    "/{warning_id}/escalate",
    summary="Raise a warning to a more severe level (it becomes active again)",
    response_model=WarningFeature,
    response_class=GeoJSONResponse,
)
def escalate(
    warning_id: int, body: Escalation, db: SessionDep, clock: ClockDep, if_match: IfMatchDep
) -> Response:
    warning = service.escalate(
        db,
        warning_id=warning_id,
        to_level=body.to_level,
        by=body.by,
        clock=clock,
        expected_version=expected_version(body.version, if_match),
    )
    db.commit()
    return feature_response(warning_feature(warning))


@router.post(
    "/{warning_id}/incident",
    status_code=201,
    summary="Open an incident at the centre of the warned area and link it (returns the incident)",
    response_model=IncidentFeature,
    response_class=GeoJSONResponse,
)
def open_incident(
    warning_id: int, body: OpenIncident, db: SessionDep, clock: ClockDep, if_match: IfMatchDep
) -> Response:
    incident = service.open_incident(
        db,
        warning_id=warning_id,
        by=body.by,
        type=body.type,
        title=body.title,
        response_level=body.response_level,
        clock=clock,
        expected_version=expected_version(body.version, if_match),
    )
    db.commit()
    feature = incident_feature(incident, timeline=history.timeline(db, incident_id=incident.id))
    return feature_response(feature, status_code=201, location=f"/api/v1/incidents/{incident.id}")


# CAP and Atom: paths that sit beside `/warnings/{id}`, so they get a router of their own, included
# before it (a `{warning_id}.cap` path must not be read as a warning id).
cap_router = APIRouter(tags=["warnings"], responses=PROBLEM_RESPONSES)

_CAP_EXAMPLE = {cap.CAP_MEDIA_TYPE: {"schema": {"type": "string", "format": "xml"}}}


@cap_router.get(
    "/warnings/{warning_id}.cap",
    summary="A warning as an OASIS CAP 1.2 message: the newest, or the one sent at `message` (an event id)",
    response_class=Response,
    responses={200: {"content": _CAP_EXAMPLE, "description": "CAP 1.2 alert (application/cap+xml)"}},
)
def warning_cap(
    warning_id: int,
    db: SessionDep,
    settings: SettingsDep,
    message: int | None = Query(default=None, ge=1, description="the event id of an earlier message"),
) -> Response:
    body, _ = cap.message_xml(db, warning_id=warning_id, event_id=message, settings=settings)
    return Response(body, media_type=cap.CAP_MEDIA_TYPE)


@cap_router.get(
    "/warnings.atom",
    summary="Atom feed of live warnings in force, one entry per warning with its newest CAP message",
    response_class=Response,
    responses={200: {"content": {cap.ATOM_MEDIA_TYPE: {"schema": {"type": "string", "format": "xml"}}}}},
)
def warnings_atom(db: SessionDep, settings: SettingsDep, clock: ClockDep) -> Response:
    return Response(cap.atom_feed(db, settings=settings, now=clock.now()), media_type=cap.ATOM_MEDIA_TYPE)
