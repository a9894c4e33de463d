"""HTTP routes for sensors; the rules are in `service`."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Query, Request, Response
from pydantic import AwareDatetime

from commandpost.errors import UnsupportedMediaType
from commandpost.resources import Page
from commandpost.schemas import PROBLEM_RESPONSES
from commandpost.sensors import alarms, readings, service
from commandpost.sensors.models import SensorKind, SensorState
from commandpost.sensors.schemas import (
    MAX_READINGS,
    ReadingBatch,
    ReadingIn,
    ReadingSeries,
    ReadingsTaken,
    SensorCreate,
    SensorFeature,
    SensorHealthLayer,
    SensorLayer,
    SensorUpdate,
    health_feature,
    sensor_feature,
)
from commandpost.web import (
    BBoxDep,
    ClockDep,
    ContextDep,
    GeoJSONResponse,
    IfMatchDep,
    PagingDep,
    SessionDep,
    SettingsDep,
    entity_response,
    expected_version,
    feature_response,
    in_bulk_lane,
    layer_response,
)
from commandpost.zones import wind

router = APIRouter(prefix="/sensors", tags=["sensors"], responses=PROBLEM_RESPONSES)


_READING = ReadingIn.model_json_schema()
_READINGS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "readings": {"type": "array", "items": _READING, "maxItems": MAX_READINGS}
                    },
                    "required": ["readings"],
                    "additionalProperties": False,
                },
                "example": ReadingBatch.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
            },
            "application/x-ndjson": {
                "schema": {"type": "string", "description": "one reading object (as below) per line"},
                "example": '{"sensor":"QG-GAS-0107","at":"2026-11-22T10:00:00+08:00","value":3.5}\n'
                '{"sensor":12,"at":"2026-11-22T10:00:00+08:00","value":27}\n',
            },
        },
    }
}


@router.post(
    "/readings",
    summary="Ingest a batch of readings (JSON, or JSON lines as application/x-ndjson); all or nothing",
    openapi_extra=_READINGS_BODY,
    response_model=ReadingsTaken,
)
async def ingest_readings(
    request: Request, context: ContextDep, clock: ClockDep, settings: SettingsDep
) -> Response:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json" and kind not in readings.NDJSON_TYPES:
        # A web page may post text/plain cross-site without asking first; JSON types need a preflight.
        raise UnsupportedMediaType(
            f"send readings as application/json or application/x-ndjson, not {kind or 'no content type'}",
            field="Content-Type",
        )
    raw = await request.body()

    def work() -> dict[str, Any]:
        parse = readings.parse_ndjson if kind in readings.NDJSON_TYPES else readings.parse_json
        batch = parse(raw)
        with context.sessions() as db:
            result = readings.ingest(
                db, batch=batch, clock=clock, policy=alarms.Policy.from_settings(settings)
            )
            # Threat zones follow a weather station's wind in the same commit as its reading.
            wind.follow_stations(
                db, station_ids=result.wind_stations, settings=settings, clock=clock, router=context.router
            )
            db.commit()
            return result.as_json()

    return entity_response(await in_bulk_lane(context, work))


@router.get(
    "/health",
    summary="Sensors offline, in fault or overdue for calibration, most urgent first",
    response_model=SensorHealthLayer,
    response_class=GeoJSONResponse,
)
def sensor_health(request: Request, db: SessionDep, clock: ClockDep, paging: PagingDep) -> Response:
    ailing = service.health(db, clock=clock)
    page: Page[Any] = Page(
        items=cast(Any, ailing[paging.offset : paging.offset + paging.limit]),
        total=len(ailing),
        limit=paging.limit,
        offset=paging.offset,
    )
    return layer_response(request, page, lambda a: health_feature(a.sensor, a.problems, a.urgency))


@router.get(
    "/{sensor_id}/readings",
    summary="A sensor's readings for a trend chart (default: the last hour)",
    response_model=ReadingSeries,
)
def sensor_readings(
    sensor_id: int,
    db: SessionDep,
    clock: ClockDep,
    from_: Annotated[
        AwareDatetime | None, Query(alias="from", description="from this instant (included)")
    ] = None,
    to: Annotated[
        AwareDatetime | None, Query(description="until this instant (included); default now")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100_000, description="at most this many, oldest first")] = 10_000,
) -> Response:
    series = service.readings(db, sensor_id=sensor_id, clock=clock, start=from_, end=to, limit=limit)
    return entity_response(
        {
            "sensor": series.sensor.id,
            "ref": series.sensor.ref,
            "unit": series.sensor.unit,
            "alarm_1": series.sensor.alarm_1,
            "alarm_2": series.sensor.alarm_2,
            "from": series.start.isoformat(),
            "to": series.end.isoformat(),
            "numberMatched": series.total,
            "numberReturned": len(series.points),
            "readings": [{"at": at.isoformat(), "value": value} for at, value in series.points],
        }
    )


@router.get(
    "",
    summary="Sensors layer (GeoJSON FeatureCollection)",
    response_model=SensorLayer,
    response_class=GeoJSONResponse,
)
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


@router.get(
    "/{sensor_id}",
    summary="One sensor (GeoJSON Feature; ETag = version)",
    response_model=SensorFeature,
    response_class=GeoJSONResponse,
)
def get_sensor(sensor_id: int, db: SessionDep) -> Response:
    return feature_response(sensor_feature(service.get(db, sensor_id=sensor_id)))


@router.post(
    "",
    status_code=201,
    summary="Register a sensor",
    response_model=SensorFeature,
    response_class=GeoJSONResponse,
)
def create_sensor(body: SensorCreate, db: SessionDep, clock: ClockDep) -> Response:
    sensor = service.create(db, data=body, clock=clock)
    db.commit()
    return feature_response(sensor_feature(sensor), status_code=201, location=f"/api/v1/sensors/{sensor.id}")


@router.patch(
    "/{sensor_id}",
    summary="Edit a sensor (send the version you read)",
    response_model=SensorFeature,
    response_class=GeoJSONResponse,
)
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
