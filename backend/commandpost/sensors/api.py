"""HTTP routes for sensors; the rules are in `service`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from commandpost.schemas import PROBLEM_RESPONSES
from commandpost.sensors import service
from commandpost.sensors.models import SensorKind, SensorState
from commandpost.sensors.schemas import SensorCreate, SensorUpdate, sensor_feature
from commandpost.web import (
    BBoxDep,
    ClockDep,
    IfMatchDep,
    PagingDep,
    SessionDep,
    expected_version,
    feature_response,
    layer_response,
)

router = APIRouter(prefix="/sensors", tags=["sensors"], responses=PROBLEM_RESPONSES)


@router.get("", summary="Sensors layer (GeoJSON FeatureCollection)")
def list_sensors(
    request: Request,
    db: SessionDep,
    paging: PagingDep,
    bbox: BBoxDep,
    hazard_source_id: int | None = None,
    kind: SensorKind | None = None,
    state: SensorState | None = None,
) -> Response:
    page = service.list_sensors(
        db,
        bbox=bbox,
        hazard_source_id=hazard_source_id,
        kind=kind,
        state=state,
        limit=paging.limit,
        offset=paging.offset,
    )
    return layer_response(request, page, sensor_feature)


@router.get("/{sensor_id}", summary="One sensor (GeoJSON Feature; ETag = version)")
def get_sensor(sensor_id: int, db: SessionDep) -> Response:
    return feature_response(sensor_feature(service.get(db, sensor_id=sensor_id)))


@router.post("", status_code=201, summary="Register a sensor")
def create_sensor(body: SensorCreate, db: SessionDep, clock: ClockDep) -> Response:
    sensor = service.create(db, data=body, clock=clock)
    db.commit()
    return feature_response(sensor_feature(sensor), status_code=201, location=f"/api/v1/sensors/{sensor.id}")


@router.patch("/{sensor_id}", summary="Edit a sensor (send the version you read)")
def update_sensor(
    sensor_id: int, body: SensorUpdate, db: SessionDep, clock: ClockDep, if_match: IfMatchDep
) -> Response:
    sensor = service.update(
        db,
        sensor_id=sensor_id,
        changes=body,
        expected_version=expected_version(body.version, if_match),
        clock=clock,
    )
    db.commit()
    return feature_response(sensor_feature(sensor))
