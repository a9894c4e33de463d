"""Alarm rules: threshold states with hysteresis, one warning per hazard source, and the watch sweep.

A sensor's state follows its readings:

- rising: a reading at or above `alarm_2` is second alarm, at or above `alarm_1` first alarm;
- falling (hysteresis): a sensor leaves an alarm level only when a reading drops below the
  threshold minus the deadband (`alarm_deadband` × threshold, 10 % by default), so a value
  hovering at the threshold does not flap;
- a sensor silent for `sensor_offline_after_intervals` × its expected interval is `offline`: a
  fault, not an all-clear (its alarm is not forgotten, and its warning stays in force);
- a gateway may report `fault`; the next good reading brings the sensor back.

Alarming sensors at one hazard source make ONE warning in force for that source (a sensor that
watches no source has its own). Its level follows the sensors alarming there:

    one first alarm                                          → blue   (IV)
    two or more sensors in alarm, or one second alarm        → yellow (III)
    two second alarms                                        → orange (II)
    three or more second alarms, or a toxic gas second alarm → red    (I)

It escalates as readings worsen or more sensors join and never lowers itself: the duty officer
acknowledges, opens an incident from it, or clears it.

A blind spot is a risk, not an all-clear: when a detector of a source under an orange or red
warning goes offline or into fault, that warning lists it and becomes active again, to be
acknowledged anew (and to go up the duty roster if nobody does). One warning per source stays the
rule: a separate "blind spot" warning would split one danger over two cards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from commandpost import db, geo, resources
from commandpost.clock import Clock
from commandpost.config import Settings
from commandpost.hazards.models import HazardSource
from commandpost.sensors.models import Sensor, SensorKind, SensorReading, SensorState
from commandpost.sensors.schemas import sensor_feature
from commandpost.warnings import service as warnings
from commandpost.warnings.models import Warning, WarningLevel

WHAT = "sensor"
SYSTEM = "system: sensor alarms"

# How bad a state is for a warning; offline and fault are faults, not alarms.
SEVERITY: dict[SensorState, int] = {
    SensorState.normal: 0,
    SensorState.offline: 0,
    SensorState.fault: 0,
    SensorState.alarm_1: 1,
    SensorState.alarm_2: 2,
}
ALARMING = (SensorState.alarm_1, SensorState.alarm_2)
BLIND = (SensorState.offline, SensorState.fault)


@dataclass(frozen=True)
class Policy:
    """The tunable numbers of the alarm rules, from the settings."""

    deadband: float = 0.1
    offline_after_intervals: float = 3.0
    ack_timeout: timedelta = timedelta(minutes=5)
    retention: timedelta = timedelta(days=90)
    max_ahead: timedelta = timedelta(minutes=5)

    @classmethod
    def from_settings(cls, settings: Settings | None) -> Policy:
        if settings is None:
            return cls()
        return cls(
            deadband=settings.alarm_deadband,
            offline_after_intervals=settings.sensor_offline_after_intervals,
            ack_timeout=timedelta(seconds=settings.warning_ack_timeout_s),
            retention=timedelta(days=settings.reading_retention_days),
            max_ahead=timedelta(seconds=settings.report_max_ahead_s),
        )


def next_state(
    state: SensorState, value: float, *, alarm_1: float, alarm_2: float, deadband: float
) -> SensorState:
    """The state a sensor in `state` is in after reading `value` (thresholds with hysteresis)."""
    if value >= alarm_2:
        return SensorState.alarm_2
    if state is SensorState.alarm_2 and value >= alarm_2 * (1 - deadband):
        return SensorState.alarm_2
    if value >= alarm_1:
        return SensorState.alarm_1
    if state in ALARMING and value >= alarm_1 * (1 - deadband):
        return SensorState.alarm_1
    return SensorState.normal


def warning_level(alarms: Iterable[tuple[SensorKind, SensorState]]) -> WarningLevel | None:
    """The warning level for the sensors alarming at one source (see the module docstring)."""
    first = second = 0
    toxic_second = False
    for kind, state in alarms:
        if state is SensorState.alarm_2:
            second += 1
            toxic_second = toxic_second or kind is SensorKind.toxic_gas
        elif state is SensorState.alarm_1:
            first += 1
    if second >= 3 or toxic_second:
        return WarningLevel.red
    if second >= 2:
        return WarningLevel.orange
    if second >= 1 or first + second >= 2:
        return WarningLevel.yellow
    if first >= 1:
        return WarningLevel.blue
    return None


@dataclass
class _Alarming:
    id: int
    ref: str | None
    kind: SensorKind
    unit: str
    substance: str | None
    state: SensorState
    value: float | None


_LEVEL_NAME = {
    WarningLevel.blue: "蓝色",
    WarningLevel.yellow: "黄色",
    WarningLevel.orange: "橙色",
    WarningLevel.red: "红色",
}
_STATE_NAME = {SensorState.alarm_1: "一级报警", SensorState.alarm_2: "二级报警"}


def _describe(alarming: list[_Alarming]) -> str:
    lines = []
    for s in sorted(alarming, key=lambda a: (-SEVERITY[a.state], a.id)):
        what = f"{s.substance} " if s.substance else ""
        value = f"{s.value:g} {s.unit}" if s.value is not None else "—"
        lines.append(f"{s.ref or s.id}（{what}{s.kind.value}）{_STATE_NAME[s.state]}：{value}")
    return "\n".join(lines)


def raise_warnings(
    session: Session, *, peaks: Mapping[int, SensorState], clock: Clock
) -> list[dict[str, Any]]:
    """Issue or escalate the one warning of each source where a sensor just rose into (a worse) alarm.

    `peaks` maps each such sensor to the worst state it reached in this batch (it may already have
    fallen back: a brief second alarm still counts). Returns what happened to each warning.
    """
    if not peaks:
        return []
    rows = session.execute(select(Sensor.id, Sensor.hazard_source_id).where(Sensor.id.in_(list(peaks)))).all()
    sources = sorted({r.hazard_source_id for r in rows if r.hazard_source_id is not None})
    lone = sorted(r.id for r in rows if r.hazard_source_id is None)
    # Lock the sources (id order) so two batches alarming at one source make one warning, not two.
    by_source: dict[int, HazardSource] = {}
    if sources:
        stmt = select(HazardSource).where(HazardSource.id.in_(sources)).order_by(HazardSource.id)
        by_source = {h.id: h for h in session.scalars(stmt.with_for_update())}
    outcome: list[dict[str, Any]] = []
    cols = (
        Sensor.id,
        Sensor.ref,
        Sensor.kind,
        Sensor.unit,
        Sensor.substance,
        Sensor.state,
        Sensor.last_value,
    )

    def alarming_of(stmt: Any) -> list[_Alarming]:
        found = []
        for r in session.execute(stmt).all():
            state = max(r.state, peaks.get(r.id, r.state), key=SEVERITY.__getitem__)
            if state in ALARMING:
                found.append(_Alarming(r.id, r.ref, r.kind, r.unit, r.substance, state, r.last_value))
        return found

    for source_id in sources:
        source = by_source[source_id]
        alarming = alarming_of(select(*cols).where(Sensor.hazard_source_id == source_id).order_by(Sensor.id))
        outcome += _raise(session, alarming, clock=clock, source=source)
    for sensor_id in lone:
        alarming = alarming_of(select(*cols).where(Sensor.id == sensor_id))
        outcome += _raise(session, alarming, clock=clock, sensor_id=sensor_id)
    return outcome


def _raise(
    session: Session,
    alarming: list[_Alarming],
    *,
    clock: Clock,
    source: HazardSource | None = None,
    sensor_id: int | None = None,
) -> list[dict[str, Any]]:
    level = warning_level((a.kind, a.state) for a in alarming)
    if level is None:
        return []
    gas = {a.kind for a in alarming}
    what = (
        "有毒气体"
        if gas == {SensorKind.toxic_gas}
        else "可燃气体"
        if gas == {SensorKind.combustible_gas}
        else ""
    )
    if source is not None:
        place = f"{source.enterprise} {source.name}"
        area = geo.from_db(source.site)
    else:
        sensor = session.get(Sensor, sensor_id)
        assert sensor is not None
        place = f"探测器 {sensor.ref or sensor.id}"
        area = geo.from_db(sensor.location)
    assert area is not None
    facts = {
        "alarming": [
            {"sensor": a.id, "ref": a.ref, "kind": a.kind.value, "state": a.state.value, "value": a.value}
            for a in alarming
        ]
    }
    warning, action = warnings.raise_from_sensors(
        session,
        level=level,
        title=f"{place}{what}报警（{_LEVEL_NAME[level]}预警，{len(alarming)} 个探测器）",
        description=_describe(alarming),
        area=area,
        hazard_source_id=source.id if source is not None else None,
        sensor_id=sensor_id,
        facts=facts,
        by=SYSTEM,
        clock=clock,
    )
    if action is None:
        return []
    outcome = [{"warning": warning.id, "level": warning.level.value, "action": action}]
    if warning.level in warnings.MUST_ACKNOWLEDGE:
        # It has only now become orange or red: detectors already blind there count from now.
        _note_blind(session, warning, clock=clock)
    return outcome


def _note_blind(session: Session, warning: Warning, *, clock: Clock) -> str | None:
    if warning.hazard_source_id is not None:
        where = Sensor.hazard_source_id == warning.hazard_source_id
    else:
        where = Sensor.id == warning.sensor_id
    stmt = (
        select(Sensor.id, Sensor.ref, Sensor.state).where(where, Sensor.state.in_(BLIND)).order_by(Sensor.id)
    )
    blind = [
        {"sensor": r.id, "ref": r.ref, "state": SensorState(r.state).value} for r in session.execute(stmt)
    ]
    return warnings.note_blind_spot(session, warning=warning, blind=blind, by=SYSTEM, clock=clock)


def watch_blind_spots(session: Session, *, sensor_ids: Iterable[int], clock: Clock) -> list[dict[str, Any]]:
    """Detectors that went offline or into fault (or came back) update the orange and red warnings
    in force where they watch (see the module docstring). Returns what happened to each warning."""
    ids = sorted(set(sensor_ids))
    if not ids:
        return []
    rows = session.execute(select(Sensor.id, Sensor.hazard_source_id).where(Sensor.id.in_(ids))).all()
    sources = sorted({r.hazard_source_id for r in rows if r.hazard_source_id is not None})
    lone = sorted(r.id for r in rows if r.hazard_source_id is None)
    outcome: list[dict[str, Any]] = []
    for warning in warnings.severe_in_force(session, hazard_source_ids=sources, sensor_ids=lone):
        action = _note_blind(session, warning, clock=clock)
        if action is not None:
            outcome.append(
                {
                    "warning": warning.id,
                    "level": warning.level.value,
                    "action": action,
                    "blind": warning.blind_detectors,
                }
            )
    return outcome


# --- the sweep --------------------------------------------------------------------------------


@dataclass
class SweepReport:
    skipped: bool = False
    offline: list[int] = field(default_factory=list)
    readings_deleted: int = 0
    blind_spots: list[dict[str, Any]] = field(default_factory=list)
    escalated: list[dict[str, Any]] = field(default_factory=list)


def _silent_since(last_reading_at: datetime | None, updated_at: datetime) -> datetime:
    # A sensor that never reported is measured from when it was registered or last edited.
    return last_reading_at or updated_at


def mark_offline(session: Session, *, clock: Clock, policy: Policy) -> list[int]:
    """Sensors silent for longer than `offline_after_intervals` × their expected interval go offline."""
    now = clock.now()
    watched = (SensorState.normal, SensorState.alarm_1, SensorState.alarm_2)

    def overdue(last: datetime | None, updated: datetime, interval_s: int) -> bool:
        return now - _silent_since(last, updated) > timedelta(
            seconds=interval_s * policy.offline_after_intervals
        )

    # The database picks the likely ones (a second of slack for its time arithmetic); each is
    # checked exactly below, under its row lock. A district's detectors are not read every pass.
    silence = db.seconds_since(session, func.coalesce(Sensor.last_reading_at, Sensor.updated_at), now)
    limit = Sensor.expected_interval_s * policy.offline_after_intervals - 1
    candidates = list(session.scalars(select(Sensor.id).where(Sensor.state.in_(watched), silence > limit)))
    if not candidates:
        return []
    gone: list[int] = []
    stmt = select(Sensor).where(Sensor.id.in_(candidates)).order_by(Sensor.id).with_for_update()
    for sensor in session.scalars(stmt.execution_options(populate_existing=True)):
        # Checked again under the lock: a reading may have arrived meanwhile.
        if sensor.state not in watched or not overdue(
            sensor.last_reading_at, sensor.updated_at, sensor.expected_interval_s
        ):
            continue
        before = sensor.state
        silent = now - _silent_since(sensor.last_reading_at, sensor.updated_at)
        sensor.state = SensorState.offline
        sensor.updated_at = now
        resources.record_change(
            session,
            entity_type=WHAT,
            row=sensor,
            action="state_changed",
            feature=sensor_feature(sensor),
            payload={
                "from": before.value,
                "to": SensorState.offline.value,
                "reason": f"silent for {silent.total_seconds():.0f} s; expected every "
                f"{sensor.expected_interval_s} s",
            },
            clock=clock,
            actor=SYSTEM,
        )
        gone.append(sensor.id)
    return gone


def purge_readings(session: Session, *, clock: Clock, policy: Policy, chunk: int = 500) -> int:
    """Delete readings older than the retention, sensor by sensor so each delete walks the key."""
    cutoff = clock.now() - policy.retention
    ids = list(session.scalars(select(Sensor.id).order_by(Sensor.id)))
    deleted = 0
    for i in range(0, len(ids), chunk):
        result = session.execute(
            delete(SensorReading).where(
                SensorReading.sensor_id.in_(ids[i : i + chunk]), SensorReading.at < cutoff
            )
        )
        deleted += int(getattr(result, "rowcount", 0) or 0)
    return deleted


def _take_sweep_lock(session: Session) -> bool:
    """One sweeper at a time across processes (PostGIS: an advisory lock; SQLite: the write lock)."""
    return db.try_lock(session, "commandpost.sweep")


def sweep(
    session: Session, *, clock: Clock, settings: Settings | None = None, purge: bool = True
) -> SweepReport:
    """One pass of the watch: silent sensors go offline (a blind spot on a severe warning), old
    readings go (with `purge`), unacknowledged orange/red warnings go up the duty roster. The caller
    commits."""
    if not _take_sweep_lock(session):
        return SweepReport(skipped=True)
    policy = Policy.from_settings(settings)
    report = SweepReport()
    report.offline = mark_offline(session, clock=clock, policy=policy)
    report.blind_spots = watch_blind_spots(session, sensor_ids=report.offline, clock=clock)
    if purge:
        report.readings_deleted = purge_readings(session, clock=clock, policy=policy)
    report.escalated = warnings.escalate_unacknowledged(session, clock=clock, after=policy.ack_timeout)
    return report


def sweep_once(
    sessions: sessionmaker[Session], *, clock: Clock, settings: Settings, purge: bool
) -> SweepReport:
    """`sweep` in its own transaction, committed."""
    with sessions() as session:
        report = sweep(session, clock=clock, settings=settings, purge=purge)
        session.commit()
        return report
