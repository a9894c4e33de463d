"""HTTP routes for threat zones; the models are in `modelling`, the rules in `service`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from commandpost.dispatch.http import RouterDep
from commandpost.incidents import service as incidents
from commandpost.schemas import PROBLEM_RESPONSES
from commandpost.web import (
    BBoxDep,
    ClockDep,
    GeoJSONResponse,
    PagingDep,
    SessionDep,
    SettingsDep,
    layer_response,
)
from commandpost.zones import alarm, flows, service, wind
from commandpost.zones.models import ZoneStatus
from commandpost.zones.schemas import (
    AcceptProposal,
    ClearZones,
    InsideOut,
    ThreatZoneModelIn,
    ThreatZoneModelOut,
    WindChange,
    WindIn,
    ZoneCollection,
    ZoneFeature,
    ZoneLayer,
)

router = APIRouter(prefix="/threat-zones", tags=["threat zones"], responses=PROBLEM_RESPONSES)
incident_zones = APIRouter(prefix="/incidents", tags=["threat zones"], responses=PROBLEM_RESPONSES)


@router.get(
    "",
    summary="Threat zones layer (GeoJSON FeatureCollection): active zones, newest first; drills left out",
    response_model=ZoneLayer,
    response_class=GeoJSONResponse,
)
def list_all_zones(
    request: Request,
    db: SessionDep,
    paging: PagingDep,
    bbox: BBoxDep,
    status: ZoneStatus | None = ZoneStatus.active,
    exercise_id: int | None = Query(default=None, description="show this drill's zones instead of live ones"),
) -> Response:
    page = service.list_zones(
        db, bbox=bbox, status=status, exercise_id=exercise_id, limit=paging.limit, offset=paging.offset
    )
    return layer_response(request, page, service.zone_feature)


@router.post(
    "/model",
    response_model=ThreatZoneModelOut,
    summary="Model a release, fire or explosion and get its zones (nothing is saved)",
)
def model_threat_zones(
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    body: ThreatZoneModelIn = Body(
        discriminator="model",
        openapi_examples={
            "erg": {
                "summary": "ERG: chlorine, large spill from a rail tank car",
                "value": {
                    "model": "erg",
                    "location": {"type": "Point", "coordinates": [118.955, 25.165]},
                    "un_number": "UN1017",
                    "spill": "large",
                    "container": "rail_tank_car",
                    "wind_speed_ms": 3,
                    "wind_from_deg": 45,
                },
            },
            "gaussian_plume": {
                "summary": "Gaussian plume: ammonia 2 kg/s for 10 minutes",
                "value": {
                    "model": "gaussian_plume",
                    "location": {"type": "Point", "coordinates": [118.955, 25.165]},
                    "chemical": "氨",
                    "rate_kg_s": 2,
                    "duration_s": 600,
                    "wind_speed_ms": 3,
                    "wind_from_deg": 45,
                },
            },
            "vce": {
                "summary": "Vapour-cloud explosion: 10 t propane",
                "value": {"model": "vce", "hazard_source_id": 1, "chemical": "74-98-6", "mass_kg": 10000},
            },
        },
    ),
) -> ThreatZoneModelOut:
    return service.model(db, request=body, settings=settings, clock=clock)


@router.get(
    "/proposal",
    response_model=ThreatZoneModelOut,
    summary="The ERG zone to propose for a hazard source's worst toxic chemical (post its inputs to keep it)",
)
def get_proposal(
    hazard_source_id: int,
    wind_speed_ms: Annotated[float, Query(gt=0, le=60)],
    wind_from_deg: Annotated[float, Query(ge=0, lt=360)],
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> ThreatZoneModelOut:
    return service.proposal(
        db,
        hazard_source_id=hazard_source_id,
        wind_speed_ms=wind_speed_ms,
        wind_from_deg=wind_from_deg,
        settings=settings,
        clock=clock,
    )


@router.get(
    "/proposal/for-warning",
    response_model=ThreatZoneModelOut,
    summary="The zone proposed on an orange or red warning at a source holding a toxic chemical "
    "(wind: given, else the nearest weather station's)",
)
def get_warning_proposal(
    warning_id: int,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    wind_speed_ms: Annotated[float | None, Query(gt=0, le=60)] = None,
    wind_from_deg: Annotated[float | None, Query(ge=0, lt=360)] = None,
) -> ThreatZoneModelOut:
    return alarm.proposal(
        db,
        warning_id=warning_id,
        wind_speed_ms=wind_speed_ms,
        wind_from_deg=wind_from_deg,
        settings=settings,
        clock=clock,
    )


@router.post(
    "/proposal/accept",
    status_code=201,
    response_model=ZoneCollection,
    summary="Keep the zone proposed on a warning: for its incident (reported at the source if it has none)",
)
def accept_proposal(
    body: AcceptProposal, db: SessionDep, settings: SettingsDep, clock: ClockDep, road_router: RouterDep
) -> ZoneCollection:
    done = alarm.accept(db, data=body, settings=settings, clock=clock, router=road_router)
    out = _collection(done)
    db.commit()
    return out


@router.get("/{zone_id}", response_model=ZoneFeature, summary="One stored threat zone (GeoJSON Feature)")
def get_zone(zone_id: int, db: SessionDep) -> ZoneFeature:
    return ZoneFeature.model_validate(service.zone_feature(service.get(db, zone_id=zone_id)))


@router.get(
    "/{zone_id}/inside",
    response_model=InsideOut,
    summary="Teams, depots, sensors, shelters, roads and hazard sources inside the zone, with distances",
)
def get_inside(zone_id: int, db: SessionDep, settings: SettingsDep) -> InsideOut:
    return service.inside(db, zone_id=zone_id, settings=settings)


@router.post(
    "/{zone_id}/clear",
    response_model=ZoneCollection,
    summary="Clear a zone and the others drawn with it (the same model run); its roads reopen",
)
def clear_zone(
    zone_id: int, body: ClearZones, db: SessionDep, clock: ClockDep, road_router: RouterDep
) -> ZoneCollection:
    done = flows.clear(db, zone_id=zone_id, reason=body.reason, by=body.by, clock=clock, router=road_router)
    out = _collection(done)
    db.commit()
    return out


def _collection(done: flows.Outcome) -> ZoneCollection:
    return ZoneCollection(
        features=[ZoneFeature.model_validate(service.zone_feature(z)) for z in done.zones],
        rerouted_assignments=done.rerouted,
        warned_teams=done.warned,
    )


@incident_zones.post(
    "/{incident_id}/threat-zones",
    status_code=201,
    response_model=ZoneCollection,
    summary="Model a release for an incident and keep its zones (at the incident's place unless told); "
    "roads inside close, teams on their way are re-routed, teams inside are warned",
)
def save_zones(
    incident_id: int,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    road_router: RouterDep,
    body: ThreatZoneModelIn = Body(discriminator="model"),
) -> ZoneCollection:
    done = flows.draw(
        db, incident_id=incident_id, request=body, settings=settings, clock=clock, router=road_router
    )
    out = _collection(done)
    db.commit()
    return out


@incident_zones.get(
    "/{incident_id}/threat-zones",
    response_model=ZoneCollection,
    summary="An incident's threat zones (GeoJSON FeatureCollection), newest first",
)
def list_zones(
    incident_id: int, db: SessionDep, status: ZoneStatus | None = ZoneStatus.active
) -> ZoneCollection:
    zones = service.list_for_incident(db, incident_id=incident_id, status=status)
    return ZoneCollection(features=[ZoneFeature.model_validate(service.zone_feature(z)) for z in zones])


@incident_zones.get(
    "/{incident_id}/wind",
    response_model=WindChange,
    summary="The incident's wind: the officer's, else the nearest weather station's latest (null if neither)",
)
def get_wind(incident_id: int, db: SessionDep, settings: SettingsDep) -> WindChange:
    incident = incidents.get(db, incident_id=incident_id)
    return WindChange(wind=wind.of_incident(db, incident=incident, settings=settings))


@incident_zones.put(
    "/{incident_id}/wind",
    response_model=WindChange,
    summary="Type the scene's wind (or hand it back to the stations); zones drawn for another wind follow it",
)
def put_wind(
    incident_id: int,
    body: WindIn,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    road_router: RouterDep,
) -> WindChange:
    now, done = wind.set_wind(
        db, incident_id=incident_id, data=body, settings=settings, clock=clock, router=road_router
    )
    out = WindChange(
        wind=now,
        redrawn=[ZoneFeature.model_validate(service.zone_feature(z)) for z in done.zones],
        rerouted_assignments=done.rerouted,
        warned_teams=done.warned,
    )
    db.commit()
    return out
