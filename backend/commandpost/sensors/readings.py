"""Readings from enterprise gateways: parse a batch (JSON or JSON lines), store the time series,
move each sensor through its alarm states, and raise the warnings, all in the caller's transaction.

Built for throughput: one locking SELECT of the sensors concerned, one INSERT of the readings, one
UPDATE of the sensors' last values; the ORM is used only for the few sensors whose state changed.
A request is all or nothing: any bad reading refuses the whole batch, naming every bad reading by
its index or line.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import from_json
from sqlalchemy import select, text
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from commandpost import db
from commandpost.clock import Clock
from commandpost.db import pg_array, sqlite_time
from commandpost.errors import DomainError, InvalidInput
from commandpost.events import service as events
from commandpost.sensors import alarms
from commandpost.sensors.models import Sensor, SensorState
from commandpost.sensors.schemas import MAX_READINGS, ReadingBatch, ReadingIn, sensor_feature

NDJSON_TYPES = (
    "application/x-ndjson",
    "application/jsonl",
    "application/json-lines",
    "application/jsonlines",
)

_batch = TypeAdapter(ReadingBatch)
_line = TypeAdapter(ReadingIn)


class MalformedBody(DomainError):
    title = "Malformed JSON"


@dataclass
class Batch:
    """A parsed request: the good readings, where each came from (its index in `readings`, or its
    line), and what was wrong with the others. Bad readings are reported together with the unknown
    sensors and future times among the good ones, so a gateway learns every problem at once."""

    readings: list[ReadingIn]
    positions: list[int]
    lines: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "body"


def parse_json(body: bytes) -> Batch:
    """`{"readings": [...]}`; a bad reading is named by index (`readings.3.value`), the rest kept."""
    try:
        readings = _batch.validate_json(body).readings
        return Batch(readings, list(range(len(readings))))
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if any(e["type"] == "json_invalid" for e in errors):
            raise MalformedBody(
                f"the request body is not valid JSON: {errors[0]['msg']}", field="body"
            ) from exc
        if not all(len(e["loc"]) >= 2 and e["loc"][0] == "readings" for e in errors):
            # The envelope itself is wrong (no list, too long, extra keys): nothing to go through.
            found = [{"field": _loc(tuple(e["loc"])), "message": e["msg"]} for e in errors]
            first = found[0]
            raise InvalidInput(
                f"{first['field']}: {first['message']} (nothing was stored)",
                field=first["field"],
                extra={"errors": found},
            ) from exc
    # Some readings are bad: go through them one by one (the slow path, only for a refused batch).
    batch = Batch([], [])
    for index, item in enumerate(from_json(body)["readings"]):
        try:
            batch.readings.append(_line.validate_python(item))
            batch.positions.append(index)
        except ValidationError as bad:
            batch.errors.extend(
                {"field": _loc(("readings", index, *e["loc"])), "message": e["msg"]}
                for e in bad.errors(include_url=False)
            )
    return batch


def parse_ndjson(body: bytes) -> Batch:
    """One reading per line (blank lines skipped); a bad line is named by number, the rest kept."""
    lines = [(number, raw) for number, raw in enumerate(body.splitlines(), start=1) if raw.strip()]
    if not lines:
        raise InvalidInput("no readings: send one JSON object per line", field="body")
    if len(lines) > MAX_READINGS:
        raise InvalidInput(f"at most {MAX_READINGS} readings per request; got {len(lines)}", field="body")
    batch = Batch([], [], lines=True)
    for number, raw in lines:
        try:
            batch.readings.append(_line.validate_json(raw))
            batch.positions.append(number)
        except ValidationError as exc:
            batch.errors.extend(
                {"line": number, "field": _loc(tuple(e["loc"])), "message": e["msg"], "type": e["type"]}
                for e in exc.errors(include_url=False)
            )
    return batch


def refuse(errors: list[dict[str, Any]]) -> None:
    """Refuse the whole request, listing every bad reading in order (the first one in `detail`)."""
    errors.sort(key=lambda e: (e.get("line", 0), _order(e["field"])))
    malformed = [e.pop("type", None) == "json_invalid" for e in errors]
    first = errors[0]
    where = f"line {first['line']}, {first['field']}" if "line" in first else first["field"]
    extra: dict[str, Any] = {"errors": errors}
    if "line" in first:
        extra["line"] = first["line"]
    detail = f"{where}: {first['message']} ({len(errors)} error(s); nothing was stored)"
    if malformed[0]:
        raise MalformedBody(detail, field="body", extra=extra)
    raise InvalidInput(detail, field=first["field"], extra=extra)


def _order(field_name: str) -> tuple[int, str]:
    """`readings.10.value` after `readings.9.at`: by the reading's index, then the field."""
    parts = field_name.split(".")
    return (int(parts[1]), field_name) if len(parts) > 1 and parts[1].isdigit() else (-1, field_name)


@dataclass(slots=True)
class _Row:
    """What the rules need of one sensor (read under a row lock)."""

    id: int
    state: SensorState
    alarm_1: float
    alarm_2: float
    last_value: float | None
    last_reading_at: datetime | None


@dataclass
class Ingested:
    accepted: int
    stored: int
    late: int
    state_changes: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    # Weather stations whose wind direction this batch brought up to date.
    wind_stations: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "stored": self.stored,
            "late": self.late,
            "state_changes": self.state_changes,
            "warnings": self.warnings,
        }


def _where(batch: Batch, i: int, name: str) -> dict[str, Any]:
    if batch.lines:
        return {"line": batch.positions[i], "field": name}
    return {"field": f"readings.{batch.positions[i]}.{name}"}


def _lock(session: Session, readings: list[ReadingIn]) -> tuple[dict[str, int], dict[int, _Row]]:
    """The batch's sensors, row-locked in id order (two batches for the same sensors apply one
    after the other), and the ids of the refs used."""
    refs = {r.sensor for r in readings if isinstance(r.sensor, str)}
    by_ref: dict[str, int] = {}
    if refs:
        found = session.execute(select(Sensor.ref, Sensor.id).where(Sensor.ref.in_(refs)))
        by_ref = {ref: sid for ref, sid in found if ref is not None}
    ids = sorted({r.sensor for r in readings if isinstance(r.sensor, int)} | set(by_ref.values()))
    if db.is_postgres(session):
        # Straight to the driver: a batch locks hundreds of rows, and the ORM's row processing
        # (Decimal, enum and time conversions) would cost more than the query.
        locked = (
            session.connection()
            .exec_driver_sql(
                "SELECT id, state, CAST(alarm_1 AS float8), CAST(alarm_2 AS float8), "
                "CAST(last_value AS float8), last_reading_at FROM sensors "
                "WHERE id = ANY(CAST(%(ids)s AS integer[])) ORDER BY id FOR UPDATE",
                {"ids": pg_array(ids)},
            )
            .all()
        )
        return by_ref, {r[0]: _Row(r[0], SensorState(r[1]), *r[2:]) for r in locked}
    stmt = (
        select(
            Sensor.id,
            Sensor.state,
            Sensor.alarm_1,
            Sensor.alarm_2,
            Sensor.last_value,
            Sensor.last_reading_at,
        )
        .where(Sensor.id.in_(ids))
        .order_by(Sensor.id)
        .with_for_update()
    )
    return by_ref, {r.id: _Row(*r) for r in session.execute(stmt)}


def _resolve(
    batch: Batch,
    *,
    by_ref: dict[str, int],
    known: dict[int, _Row],
    now: datetime,
    max_ahead: timedelta,
) -> list[tuple[int, datetime, float | None, bool]]:
    """(sensor id, at, value, fault) per reading, or InvalidInput naming every bad reading: those
    that did not parse, unknown sensors, times in the future."""
    latest = now + max_ahead
    out: list[tuple[int, datetime, float | None, bool]] = []
    errors: list[dict[str, Any]] = list(batch.errors)
    for i, r in enumerate(batch.readings):
        sid = by_ref.get(r.sensor) if isinstance(r.sensor, str) else (r.sensor if r.sensor in known else None)
        if sid is None:
            what = f"'{r.sensor}'" if isinstance(r.sensor, str) else str(r.sensor)
            errors.append(_where(batch, i, "sensor") | {"message": f"sensor {what} does not exist"})
            continue
        at = now if r.at is None else r.at.astimezone(UTC)
        if at > latest:
            errors.append(
                _where(batch, i, "at")
                | {"message": f"{at.isoformat()} is more than {max_ahead.total_seconds():.0f} s ahead"}
            )
            continue
        out.append((sid, at, r.value, r.fault))
    if errors:
        refuse(errors)
    return out


def _store(session: Session, rows: list[tuple[int, datetime, float]]) -> int:
    """Insert readings, skipping any (sensor, at) already stored; how many were new."""
    if not rows:
        return 0
    if db.is_postgres(session):
        result = session.execute(
            text(
                "INSERT INTO sensor_readings (sensor_id, at, value) "
                "SELECT * FROM unnest(CAST(:s AS integer[]), CAST(:a AS timestamptz[]), "
                "CAST(:v AS double precision[])) ON CONFLICT DO NOTHING"
            ),
            {
                "s": pg_array(r[0] for r in rows),
                "a": pg_array(r[1] for r in rows),
                "v": pg_array(r[2] for r in rows),
            },
        )
        return int(getattr(result, "rowcount", 0) or 0)
    # SQLite: straight to the driver (SQLAlchemy's per-row parameter processing would cost more than
    # the insert); it reports no row count for executemany, the connection's change counter does.
    conn = session.connection()
    before = int(conn.exec_driver_sql("SELECT total_changes()").scalar_one())
    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO sensor_readings (sensor_id, at, value) VALUES (?, ?, ?)",
        [(s, sqlite_time(a), v) for s, a, v in rows],
    )
    return int(conn.exec_driver_sql("SELECT total_changes()").scalar_one()) - before


def _save_sensors(session: Session, changes: list[dict[str, Any]], *, now: datetime) -> None:
    """Last value, time and state of each sensor that got a newer reading; version only on a state change."""
    if not changes:
        return
    if db.is_postgres(session):
        session.execute(
            text(
                "UPDATE sensors AS s SET last_value = v.value, last_reading_at = v.at, state = v.state, "
                "version = s.version + v.bump, "
                "updated_at = CASE WHEN v.bump = 1 THEN CAST(:now AS timestamptz) ELSE s.updated_at END "
                "FROM unnest(CAST(:ids AS integer[]), CAST(:vals AS numeric[]), CAST(:ats AS timestamptz[]), "
                "CAST(:states AS varchar[]), CAST(:bumps AS integer[])) AS v(id, value, at, state, bump) "
                "WHERE s.id = v.id"
            ),
            {
                "now": now,
                "ids": pg_array(c["b_id"] for c in changes),
                "vals": pg_array(c["b_value"] for c in changes),
                "ats": pg_array(c["b_at"] for c in changes),
                "states": pg_array(c["b_state"].value for c in changes),
                "bumps": pg_array(c["b_bump"] for c in changes),
            },
        )
        return
    stamp = sqlite_time(now)
    session.connection().exec_driver_sql(
        "UPDATE sensors SET last_value = ?, last_reading_at = ?, state = ?, version = version + ?, "
        "updated_at = CASE WHEN ? = 1 THEN ? ELSE updated_at END WHERE id = ?",
        [
            (
                c["b_value"],
                sqlite_time(c["b_at"]),
                c["b_state"].value,
                c["b_bump"],
                c["b_bump"],
                stamp,
                c["b_id"],
            )
            for c in changes
        ],
    )


def ingest(
    session: Session,
    *,
    batch: Batch,
    clock: Clock,
    policy: alarms.Policy,
) -> Ingested:
    """Store a batch of readings and apply the alarm rules; all or nothing (every bad reading named).

    Readings are applied per sensor in time order; one older than the sensor's last reading is
    stored for the trend but changes no state (`late`). A re-sent reading (same sensor and time)
    is stored once. Each state change is a `sensor.state_changed` event; a rise into (a worse)
    alarm issues or escalates the source's one warning; a fault (or recovery) updates the blind
    detectors of an orange or red warning there.
    """
    now = clock.now()
    by_ref, sensors = _lock(session, batch.readings)
    resolved = _resolve(batch, by_ref=by_ref, known=sensors, now=now, max_ahead=policy.max_ahead)
    stored = _store(session, [(sid, at, v) for sid, at, v, _ in resolved if v is not None])

    per_sensor: dict[int, list[tuple[datetime, float | None, bool]]] = defaultdict(list)
    for sid, at, value, fault in resolved:
        per_sensor[sid].append((at, value, fault))
    late = 0
    changes: list[dict[str, Any]] = []
    transitions: list[tuple[int, SensorState, SensorState, datetime, float | None]] = []
    peaks: dict[int, SensorState] = {}
    for sid, series in per_sensor.items():
        row = sensors[sid]
        state, last_at, last_value = row.state, row.last_reading_at, row.last_value
        start = state
        for at, value, fault in sorted(series, key=_first) if len(series) > 1 else series:
            if last_at is not None and at <= last_at:
                late += 1
                continue
            if fault:
                new = SensorState.fault
            else:
                assert value is not None
                from_state = (
                    SensorState.normal if state in (SensorState.offline, SensorState.fault) else state
                )
                new = alarms.next_state(
                    from_state, value, alarm_1=row.alarm_1, alarm_2=row.alarm_2, deadband=policy.deadband
                )
                last_value = value
            if new is not state:
                transitions.append((sid, state, new, at, value))
                if (
                    alarms.SEVERITY[new] > alarms.SEVERITY[state]
                    and alarms.SEVERITY[new] > alarms.SEVERITY[peaks.get(sid, SensorState.normal)]
                ):
                    peaks[sid] = new
            state, last_at = new, at
        if last_at != row.last_reading_at:
            changes.append(
                {
                    "b_id": sid,
                    "b_value": last_value,
                    "b_at": last_at,
                    "b_state": state,
                    "b_bump": 1 if state is not start else 0,
                }
            )
    _save_sensors(session, changes, now=now)
    wind_stations = _save_directions(session, batch, by_ref=by_ref, changes=changes, now=now)

    state_changes = _record_transitions(session, transitions, clock=clock)
    raised = alarms.raise_warnings(session, peaks=peaks, clock=clock)
    sight = {t[0] for t in transitions if t[1] in alarms.BLIND or t[2] in alarms.BLIND}
    raised += alarms.watch_blind_spots(session, sensor_ids=sight, clock=clock)
    return Ingested(
        accepted=len(resolved),
        stored=stored,
        late=late,
        state_changes=state_changes,
        warnings=raised,
        wind_stations=wind_stations,
    )


def _save_directions(
    session: Session, batch: Batch, *, by_ref: dict[str, int], changes: list[dict[str, Any]], now: datetime
) -> list[int]:
    """The wind direction of each sensor's newest reading that carries one (weather stations)."""
    newest = {c["b_id"]: c["b_at"] for c in changes}
    found: dict[int, float] = {}
    for r in batch.readings:
        if r.direction_deg is None:
            continue
        sid = by_ref.get(r.sensor) if isinstance(r.sensor, str) else r.sensor
        when = now if r.at is None else r.at.astimezone(UTC)
        if sid is not None and newest.get(sid) == when:
            found[sid] = r.direction_deg
    for sid, direction in found.items():
        session.execute(sql_update(Sensor).where(Sensor.id == sid).values(last_direction_deg=direction))
    return sorted(found)


def _first(item: tuple[datetime, float | None, bool]) -> datetime:
    return item[0]


def _record_transitions(
    session: Session,
    transitions: list[tuple[int, SensorState, SensorState, datetime, float | None]],
    *,
    clock: Clock,
) -> list[dict[str, Any]]:
    """One `sensor.state_changed` event per transition, carrying the sensor as it was just after it."""
    if not transitions:
        return []
    changed = sorted({t[0] for t in transitions})
    stmt = select(Sensor).where(Sensor.id.in_(changed)).execution_options(populate_existing=True)
    by_id = {s.id: s for s in session.scalars(stmt)}
    out = []
    entries: list[tuple[int | None, dict[str, Any]]] = []
    for sid, before, after, at, value in transitions:
        feature = sensor_feature(by_id[sid])
        feature["properties"] |= {"state": after.value, "last_reading_at": at.isoformat()}
        if value is not None:
            feature["properties"]["last_value"] = value
        payload = {"from": before.value, "to": after.value, "at": at.isoformat(), "value": value}
        entries.append((sid, payload | {"feature": feature}))
        out.append({"sensor": sid, "from": before.value, "to": after.value, "at": at.isoformat()})
    events.record_many(
        session,
        type=f"{alarms.WHAT}.state_changed",
        entity_type=alarms.WHAT,
        entries=entries,
        clock=clock,
        actor=alarms.SYSTEM,
    )
    return out
