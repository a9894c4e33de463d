"""Rules for sensors: unit from kind, sane thresholds (GB/T 50493-2019 for combustible gas), edits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from commandpost import db, geo, resources
from commandpost.clock import Clock
from commandpost.errors import Conflict, InvalidInput
from commandpost.hazards.models import HazardSource
from commandpost.resources import Page
from commandpost.sensors.models import UNIT_OF, Sensor, SensorKind, SensorReading, SensorState
from commandpost.sensors.schemas import SensorCreate, SensorUpdate, sensor_feature

WHAT = "sensor"

# GB/T 50493-2019 §5.5.2: combustible gas alarms at most 25 %LEL (first) and 50 %LEL (second).
COMBUSTIBLE_ALARM_1_MAX = 25.0
COMBUSTIBLE_ALARM_2_MAX = 50.0


def list_sensors(
    session: Session,
    *,
    bbox: geo.BBox | None = None,
    hazard_source_id: int | None = None,
    kind: SensorKind | None = None,
    state: SensorState | None = None,
    limit: int,
    offset: int = 0,
) -> Page[Sensor]:
    """Sensors in the box watching the given source, of the given kind/state, in id order."""
    stmt = select(Sensor).order_by(Sensor.id)
    if bbox is not None:
        stmt = stmt.where(db.bbox_filter(session, Sensor.__table__.c.location, bbox))
    if hazard_source_id is not None:
        stmt = stmt.where(Sensor.hazard_source_id == hazard_source_id)
    if kind is not None:
        stmt = stmt.where(Sensor.kind == kind)
    if state is not None:
        stmt = stmt.where(Sensor.state == state)
    # resources.page is typed for SQLAlchemy 2.0's Select[tuple[T]]; 2.1 spells it Select[T].
    return resources.page(session, stmt, limit=limit, offset=offset)


def get(session: Session, *, sensor_id: int) -> Sensor:
    """One sensor, or NotFound."""
    return resources.fetch(session, Sensor, sensor_id, what=WHAT)


def _check(session: Session, sensor: dict[str, Any], given: dict[str, Any]) -> str:
    """Refuse a sensor (as it would be after the change) that breaks a rule; return its unit.

    `sensor` is the whole sensor after the change, `given` only what the caller sent.
    """
    kind = SensorKind(sensor["kind"])
    unit = UNIT_OF[kind]
    if given.get("unit") is not None and given["unit"] != unit:
        raise InvalidInput(f"a {kind.value} sensor measures in {unit}, not {given['unit']}", field="unit")
    if kind is SensorKind.toxic_gas and not sensor.get("substance"):
        raise InvalidInput("a toxic gas sensor must name the substance it measures", field="substance")
    alarm_1, alarm_2 = sensor["alarm_1"], sensor["alarm_2"]
    if kind is SensorKind.combustible_gas:
        if alarm_1 > COMBUSTIBLE_ALARM_1_MAX:
            raise InvalidInput(
                f"combustible gas first alarm must be at most {COMBUSTIBLE_ALARM_1_MAX:g} %LEL "
                f"(GB/T 50493-2019); got {alarm_1:g}",
                field="alarm_1",
            )
        if alarm_2 > COMBUSTIBLE_ALARM_2_MAX:
            raise InvalidInput(
                f"combustible gas second alarm must be at most {COMBUSTIBLE_ALARM_2_MAX:g} %LEL "
                f"(GB/T 50493-2019); got {alarm_2:g}",
                field="alarm_2",
            )
    if not alarm_1 < alarm_2:
        raise InvalidInput(
            f"the second alarm ({alarm_2:g} {unit}) must be above the first ({alarm_1:g} {unit})",
            field="alarm_2",
        )
    source_id = given.get("hazard_source_id")
    if source_id is not None and session.get(HazardSource, source_id) is None:
        raise InvalidInput(f"hazard source {source_id} does not exist", field="hazard_source_id")
    return unit


def _check_ref_free(session: Session, ref: str | None, *, own_id: int | None = None) -> None:
    if ref is None:
        return
    taken = session.scalar(select(Sensor.id).where(Sensor.ref == ref))
    if taken is not None and taken != own_id:
        raise Conflict(f"ref {ref} is already used by sensor {taken}", field="ref")


def _columns(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    if out.get("location") is not None:
        out["location"] = geo.to_db(geo.parse_geojson(out["location"], field="location", allowed=("Point",)))
    return out


def create(session: Session, *, data: SensorCreate, clock: Clock, actor: str | None = None) -> Sensor:
    """Register a sensor; its unit follows from its kind and its thresholds must make sense for it."""
    given = data.model_dump()
    given["unit"] = _check(session, given, given)
    _check_ref_free(session, data.ref)
    sensor = Sensor(**_columns(given), updated_at=clock.now())
    session.add(sensor)
    resources.record_change(
        session,
        entity_type=WHAT,
        row=sensor,
        action="created",
        feature=sensor_feature(sensor),
        clock=clock,
        actor=actor,
    )
    return sensor


def update(
    session: Session,
    *,
    sensor_id: int,
    changes: SensorUpdate,
    expected_version: int | None,
    clock: Clock,
    actor: str | None = None,
) -> Sensor:
    """Edit a sensor, refusing a stale version or a result that breaks the sensor rules."""
    sensor = get(session, sensor_id=sensor_id)
    given = changes.model_dump(exclude_unset=True, exclude={"version"})
    current = {
        "kind": sensor.kind,
        "substance": sensor.substance,
        "alarm_1": sensor.alarm_1,
        "alarm_2": sensor.alarm_2,
    }
    values = _columns(given)
    values["unit"] = _check(session, current | given, given)
    if "ref" in given:
        _check_ref_free(session, given["ref"], own_id=sensor.id)
    values["updated_at"] = clock.now()
    resources.update_versioned(
        session, sensor, changes=values, expected_version=expected_version, snapshot=sensor_feature, what=WHAT
    )
    resources.record_change(
        session,
        entity_type=WHAT,
        row=sensor,
        action="updated",
        feature=sensor_feature(sensor),
        clock=clock,
        actor=actor,
    )
    return sensor


# A trend chart shows the last hour unless asked otherwise.
DEFAULT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Series:
    sensor: Sensor
    start: datetime
    end: datetime
    points: list[tuple[datetime, float]]
    total: int
    limit: int


def readings(
    session: Session,
    *,
    sensor_id: int,
    clock: Clock,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int,
) -> Series:
    """A sensor's readings from `start` to `end` (both included; default: the last hour), oldest
    first, at most `limit`."""
    sensor = get(session, sensor_id=sensor_id)
    end = end or clock.now()
    start = start or end - DEFAULT_WINDOW
    if end <= start:
        raise InvalidInput("`to` must be after `from`", field="to")
    where = (SensorReading.sensor_id == sensor_id, SensorReading.at >= start, SensorReading.at <= end)
    rows = session.execute(
        select(SensorReading.at, SensorReading.value).where(*where).order_by(SensorReading.at).limit(limit)
    ).all()
    total = len(rows)
    if total == limit:  # counted only when the page is full
        total = session.scalar(select(func.count()).select_from(SensorReading).where(*where)) or 0
    return Series(
        sensor=sensor, start=start, end=end, points=[(r.at, r.value) for r in rows], total=total, limit=limit
    )


# Urgency of each problem: 1 is the most urgent. A detector that is blind now comes before one
# whose readings may drift.
PROBLEM_URGENCY = {"fault": 1, "offline": 1, "calibration_overdue": 2}


@dataclass(frozen=True)
class Ailing:
    sensor: Sensor
    problems: list[str]
    urgency: int


def health(session: Session, *, clock: Clock) -> list[Ailing]:
    """Sensors offline, in fault or overdue for calibration: most urgent first, then longest
    out of service, then id."""
    now = clock.now()
    stmt = select(Sensor).where(
        or_(Sensor.state.in_((SensorState.offline, SensorState.fault)), Sensor.calibration_due < now)
    )
    ailing = []
    for sensor in session.scalars(stmt):
        problems = []
        if sensor.state in (SensorState.offline, SensorState.fault):
            problems.append(sensor.state.value)
        if sensor.calibration_due is not None and sensor.calibration_due < now:
            problems.append("calibration_overdue")
        urgency = min(PROBLEM_URGENCY[p] for p in problems)
        ailing.append(Ailing(sensor, problems, urgency))

    def since(a: Ailing) -> datetime:
        s = a.sensor
        if a.urgency == 1:
            return s.last_reading_at or s.updated_at
        assert s.calibration_due is not None
        return s.calibration_due

    ailing.sort(key=lambda a: (a.urgency, since(a), a.sensor.id))
    return ailing
