"""Sensors in and out: GeoJSON point features carrying the kind, unit, thresholds and last state."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from geojson_pydantic import Feature, Point
from pydantic import AwareDatetime, BaseModel, Field, StrictInt, field_validator, model_validator

from commandpost import geo
from commandpost.hazards.schemas import CasNumber
from commandpost.schemas import InModel, LayerPage, PointIn, UpdateModel, not_null
from commandpost.sensors.models import Sensor, SensorKind, SensorState

# Numeric(12, 3) holds values below 10⁹.
_THRESHOLD_MAX = 1e9


class SensorCreate(InModel):
    ref: str | None = Field(
        default=None, max_length=64, description="the gateway's key for this sensor, if any"
    )
    kind: SensorKind
    unit: str | None = Field(
        default=None, max_length=10, description="follows from the kind; if sent it must agree"
    )
    substance: str | None = Field(
        default=None, min_length=1, max_length=60, description="what it measures; required for toxic gas"
    )
    cas: CasNumber | None = Field(
        default=None, description="CAS number of the substance, check digit verified"
    )
    location: PointIn = Field(description="where it is mounted (GeoJSON Point, WGS 84)")
    hazard_source_id: int | None = Field(default=None, description="the major hazard source it watches")
    alarm_1: float = Field(gt=0, lt=_THRESHOLD_MAX, description="first alarm threshold, in the unit")
    alarm_2: float = Field(gt=0, lt=_THRESHOLD_MAX, description="second alarm threshold, above the first")
    expected_interval_s: int = Field(default=60, gt=0, le=86_400, description="seconds between readings")
    calibration_due: AwareDatetime | None = None

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "ref": "QG-GAS-0107",
                    "kind": "combustible_gas",
                    "substance": "丙烯",
                    "cas": "115-07-1",
                    "location": {"type": "Point", "coordinates": [118.9231, 25.1423]},
                    "hazard_source_id": 1,
                    "alarm_1": 20,
                    "alarm_2": 50,
                    "expected_interval_s": 30,
                }
            ]
        }
    }


class SensorUpdate(UpdateModel):
    """Fields to change; the thresholds are checked again against the sensor as it will be."""

    ref: str | None = Field(default=None, max_length=64)
    kind: SensorKind | None = None
    unit: str | None = Field(default=None, max_length=10)
    substance: str | None = Field(default=None, min_length=1, max_length=60)
    cas: CasNumber | None = None
    location: PointIn | None = None
    hazard_source_id: int | None = None
    alarm_1: float | None = Field(default=None, gt=0, lt=_THRESHOLD_MAX)
    alarm_2: float | None = Field(default=None, gt=0, lt=_THRESHOLD_MAX)
    expected_interval_s: int | None = Field(default=None, gt=0, le=86_400)
    calibration_due: AwareDatetime | None = None

    _required = field_validator("kind", "location", "alarm_1", "alarm_2", "expected_interval_s")(not_null)


def sensor_feature(sensor: Sensor) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": sensor.id,
        "geometry": geo.to_geojson(sensor.location),
        "properties": {
            "id": sensor.id,
            "ref": sensor.ref,
            "kind": str(sensor.kind),
            "unit": sensor.unit,
            "substance": sensor.substance,
            "cas": sensor.cas,
            "hazard_source_id": sensor.hazard_source_id,
            "alarm_1": sensor.alarm_1,
            "alarm_2": sensor.alarm_2,
            "expected_interval_s": sensor.expected_interval_s,
            "calibration_due": sensor.calibration_due.isoformat() if sensor.calibration_due else None,
            "state": str(sensor.state),
            "last_value": sensor.last_value,
            "last_direction_deg": sensor.last_direction_deg,
            "last_reading_at": sensor.last_reading_at.isoformat() if sensor.last_reading_at else None,
            "version": sensor.version,
            "updated_at": sensor.updated_at.isoformat(),
        },
    }


# One request carries at most this many readings (a gateway splits a longer backlog).
MAX_READINGS = 10_000

SensorKey = Annotated[StrictInt, Field(ge=1)] | Annotated[str, Field(min_length=1, max_length=64)]


class ReadingIn(InModel):
    """One measurement from a gateway; also one line of the JSON-lines format."""

    sensor: SensorKey = Field(description="the sensor's id (a number) or its ref (a string)")
    at: AwareDatetime | None = Field(
        default=None, description="when it was measured, with its offset; default: when received"
    )
    value: float | None = Field(
        default=None,
        gt=-_THRESHOLD_MAX,
        lt=_THRESHOLD_MAX,
        allow_inf_nan=False,
        description="in the sensor's unit (%LEL, ppm, °C, MPa, %); may be left out only with fault",
    )
    fault: bool = Field(default=False, description="the gateway reports the detector in fault")
    direction_deg: float | None = Field(
        default=None,
        ge=0,
        lt=360,
        description="weather station: the direction the wind blows FROM, degrees clockwise from north",
    )

    @model_validator(mode="after")
    def _value_unless_fault(self) -> ReadingIn:
        if self.value is None and not self.fault:
            raise ValueError("value is required (or fault: true)")
        return self


class ReadingBatch(InModel):
    readings: list[ReadingIn] = Field(min_length=1, max_length=MAX_READINGS)

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "readings": [
                        {"sensor": "QG-GAS-0107", "at": "2026-11-22T10:00:00+08:00", "value": 3.5},
                        {"sensor": 12, "at": "2026-11-22T10:00:00+08:00", "value": 27.0},
                        {"sensor": "QG-H2S-0001", "at": "2026-11-22T10:00:00+08:00", "fault": True},
                    ]
                }
            ]
        }
    }


def health_feature(sensor: Sensor, problems: list[str], urgency: int) -> dict[str, Any]:
    """A sensor feature with what is wrong with it, for the health list."""
    feature = sensor_feature(sensor)
    feature["properties"] |= {"problems": problems, "urgency": urgency}
    return feature


class SensorProperties(BaseModel):
    id: int
    ref: str | None
    kind: SensorKind
    unit: str
    substance: str | None
    cas: str | None
    hazard_source_id: int | None
    alarm_1: float = Field(description="first alarm threshold")
    alarm_2: float = Field(description="second alarm threshold")
    expected_interval_s: int
    calibration_due: datetime | None
    state: SensorState
    last_value: float | None
    last_reading_at: datetime | None
    version: int
    updated_at: datetime


SensorFeature = Feature[Point, SensorProperties]
SensorLayer = LayerPage[SensorFeature]


class SensorHealthProperties(SensorProperties):
    problems: list[str] = Field(description="offline, fault, calibration overdue…")
    urgency: int


SensorHealthLayer = LayerPage[Feature[Point, SensorHealthProperties]]


class StateChange(BaseModel):
    sensor: int
    from_: SensorState = Field(alias="from")
    to: SensorState
    at: datetime


class WarningRaised(BaseModel):
    warning: int
    level: str
    action: str = Field(
        description="what happened to the warning: issued, escalated, blind_spot (a detector of it went "
        "offline or faulty), sight_restored"
    )
    blind: list[dict[str, Any]] | None = Field(
        default=None, description="with blind_spot / sight_restored: the detectors it is blind to now"
    )


class ReadingsTaken(BaseModel):
    """What a batch of readings did."""

    accepted: int
    stored: int
    late: int = Field(description="readings older than the sensor's last one: stored, not judged")
    state_changes: list[StateChange]
    warnings: list[WarningRaised]


class ReadingPoint(BaseModel):
    at: datetime
    value: float


class ReadingSeries(BaseModel):
    """A sensor's readings over a time range, oldest first."""

    sensor: int
    ref: str | None
    unit: str
    alarm_1: float
    alarm_2: float
    from_: datetime = Field(alias="from")
    to: datetime
    numberMatched: int
    numberReturned: int
    readings: list[ReadingPoint]
