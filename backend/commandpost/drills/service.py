"""Rules for exercises: created from a scenario, played on their own clock, injects fired through the
real services under the exercise's id (so nothing of a drill reaches the live picture)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandpost import geo
from commandpost.clock import Clock
from commandpost.depots.models import Depot
from commandpost.drills import scenario
from commandpost.drills.context import ExerciseClock, get, require_open
from commandpost.drills.models import (
    DrillSensorState,
    Exercise,
    ExerciseStatus,
    ImprovementItem,
    Inject,
    Observation,
    Rating,
)
from commandpost.errors import InvalidInput, InvalidTransition, NotFound
from commandpost.events import service as events
from commandpost.hazards.models import HazardSource
from commandpost.incidents import flows as incident_flows
from commandpost.incidents import service as incidents
from commandpost.incidents.schemas import IncidentCreate, IncidentUpdate
from commandpost.roads.models import RoadSegment
from commandpost.routing import flows as closure_flows
from commandpost.routing.models import ClosureKind
from commandpost.routing.schemas import ClosureCreate
from commandpost.sensors import alarms
from commandpost.sensors.models import Sensor, SensorState
from commandpost.sensors.schemas import sensor_feature
from commandpost.teams.models import Team

WHAT = "exercise"
DIRECTOR = "drill director"
MIN_SPEED, MAX_SPEED = 1.0, 60.0
DEFAULT_RAMP_STEP = 30.0

# Which table each kind of scenario reference names, and the field that holds it.
_REFERENCES: dict[str, tuple[type[Any], str]] = {
    "sensor": (Sensor, "detector"),
    "hazard_source": (HazardSource, "major hazard source"),
    "team": (Team, "team"),
    "depot": (Depot, "depot"),
}


def check_district(session: Session, parsed: scenario.Parsed) -> None:
    """Add a problem for every team, depot, detector, hazard source or road the district lacks."""
    data = parsed.data
    if not isinstance(data, dict):
        return
    wanted: list[tuple[scenario.Path_, str, str]] = []
    setting: dict[str, Any] = data["setting"] if isinstance(data.get("setting"), dict) else {}
    for kind in ("teams", "depots"):
        for i, ref in enumerate(setting.get(kind) or []):
            wanted.append((("setting", kind, i), kind[:-1], ref))
    for i, inject in enumerate(data.get("injects") or []):
        if isinstance(inject, dict):
            for name in ("sensor", "hazard_source", "team", "depot", "road"):
                if isinstance(inject.get(name), str):
                    wanted.append((("injects", i, name), name, inject[name]))
    for path, kind, ref in wanted:
        if kind == "road":
            found = session.scalar(select(RoadSegment.id).where(RoadSegment.ref == ref).limit(1))
            if found is None:
                parsed.problem(path, f"no road segment has ref {ref!r} in the district's road layer")
            continue
        model, name = _REFERENCES[kind]
        if session.scalar(select(model.id).where(model.ref == ref)) is None:
            parsed.problem(path, f"the district has no {name} {ref!r}")
    parsed.problems.sort(key=lambda p: (p.line, p.field))


def refuse(parsed: scenario.Parsed) -> None:
    """InvalidInput listing every problem of the scenario, if it has any."""
    if parsed.problems:
        first = parsed.problems[0]
        count = len(parsed.problems)
        raise InvalidInput(
            f"the scenario has {count} problem{'s' if count > 1 else ''}; first: {first}",
            field=f"scenario.{first.field}" if first.field else "scenario",
            extra={"errors": [p.as_dict() for p in parsed.problems]},
        )


def plan(data: dict[str, Any]) -> list[tuple[float, str, str | None, dict[str, Any]]]:
    """The scenario's injects in firing order as (offset s, kind, key, spec); a ramp becomes its readings."""
    planned: list[tuple[float, int, int, str, str | None, dict[str, Any]]] = []
    for n, inject in enumerate(data["injects"]):
        at = scenario.seconds(inject["at"])
        spec = {k: v for k, v in inject.items() if k not in ("at", "kind", "key")}
        if inject["kind"] == "ramp":
            over = scenario.seconds(inject["over"])
            every = scenario.seconds(inject.get("every", DEFAULT_RAMP_STEP)) or DEFAULT_RAMP_STEP
            steps = max(1, int(over // every))
            for k in range(steps + 1):
                value = inject["from"] + (inject["to"] - inject["from"]) * k / steps
                reading = {"sensor": inject["sensor"], "value": round(value, 6), "ramp": inject.get("key")}
                planned.append((at + over * k / steps, n, k, "reading", None, reading))
        else:
            planned.append((at, n, 0, inject["kind"], inject.get("key"), spec))
    planned.sort(key=lambda p: (p[0], p[1], p[2]))
    return [(at, kind, key, spec) for at, _, _, kind, key, spec in planned]


def create(
    session: Session, *, text: str, file: str, clock: Clock, name: str | None = None, by: str | None = None
) -> Exercise:
    """Create an exercise from a scenario (every problem refused at once); its clock waits for start."""
    parsed = scenario.parse(text, file=file)
    check_district(session, parsed)
    refuse(parsed)
    data: dict[str, Any] = parsed.data
    starts_at = datetime.fromisoformat(data["setting"]["start"])
    now = clock.now()
    exercise = Exercise(
        name=name or data["title"],
        scenario_id=data["id"],
        scenario=data,
        status=ExerciseStatus.ready,
        speed=1.0,
        starts_at=starts_at,
        anchor_wall=None,
        anchor_at=starts_at,
        created_at=now,
        created_by=by,
        refs={
            "incidents": {},
            "closures": {},
            "out_of_service": [],
            "weather": data["setting"].get("weather", {}),
        },
        updated_at=now,
    )
    session.add(exercise)
    session.flush()
    for seq, (offset, kind, key, spec) in enumerate(plan(data)):
        session.add(
            Inject(
                exercise_id=exercise.id,
                seq=seq,
                kind=kind,
                key=key,
                offset_s=offset,
                due_at=starts_at + timedelta(seconds=offset),
                spec=spec,
            )
        )
    _record(
        session,
        exercise,
        "created",
        clock=ExerciseClock.of(exercise, wall=clock),
        actor=by,
        payload={"scenario": data["id"], "title": data["title"]},
    )
    return exercise


def _record(
    session: Session,
    exercise: Exercise,
    action: str,
    *,
    clock: Clock,
    actor: str | None,
    payload: dict[str, Any] | None = None,
) -> None:
    session.flush()
    events.record(
        session,
        type=f"{WHAT}.{action}",
        entity_type=WHAT,
        entity_id=exercise.id,
        payload={**(payload or {}), "exercise": exercise_dict(exercise, clock=clock)},
        clock=clock,
        actor=actor,
        exercise_id=exercise.id,
    )


def exercise_dict(exercise: Exercise, *, clock: Clock) -> dict[str, Any]:
    """An exercise as the director's console shows it; `clock` reads the exercise's time."""
    now = clock.now()
    return {
        "id": exercise.id,
        "name": exercise.name,
        "scenario_id": exercise.scenario_id,
        "status": exercise.status.value,
        "speed": exercise.speed,
        "starts_at": exercise.starts_at.isoformat(),
        "now": now.isoformat(),
        "elapsed_s": (now - exercise.starts_at).total_seconds(),
        "weather": exercise.refs.get("weather", {}),
        "incidents": exercise.refs.get("incidents", {}),
        "out_of_service": exercise.refs.get("out_of_service", []),
        "version": exercise.version,
    }


def _set_speed(speed: float | None) -> float | None:
    if speed is not None and not MIN_SPEED <= speed <= MAX_SPEED:
        raise InvalidInput(f"speed must be between ×{MIN_SPEED:g} and ×{MAX_SPEED:g}", field="speed")
    return speed


def _reanchor(exercise: Exercise, *, wall: Clock) -> None:
    """Fix the exercise clock where it stands now, so a change of speed or state starts from there."""
    exercise.anchor_at = ExerciseClock.of(exercise, wall=wall).now()
    exercise.anchor_wall = wall.now()


def _change(
    session: Session,
    *,
    exercise_id: int,
    wall: Clock,
    allowed: tuple[ExerciseStatus, ...],
    to: ExerciseStatus,
    action: str,
    by: str | None,
    speed: float | None = None,
) -> Exercise:
    exercise = get(session, exercise_id=exercise_id, for_update=True)
    _set_speed(speed)
    if exercise.status not in allowed:
        raise InvalidTransition(
            f"exercise {exercise_id} is {exercise.status.value}; it cannot be {action}", field="status"
        )
    _reanchor(exercise, wall=wall)
    if to is ExerciseStatus.running and exercise.started_at is None:
        exercise.started_at = wall.now()
    if to is ExerciseStatus.finished:
        exercise.finished_at = exercise.anchor_at
    exercise.status = to
    if speed is not None:
        exercise.speed = speed
    exercise.updated_at = wall.now()
    _record(session, exercise, action, clock=ExerciseClock.of(exercise, wall=wall), actor=by)
    return exercise


def start(
    session: Session, *, exercise_id: int, wall: Clock, speed: float | None = None, by: str | None = None
) -> Exercise:
    """Start a ready exercise: its clock reads the scenario's start time and runs at `speed`."""
    return _change(
        session,
        exercise_id=exercise_id,
        wall=wall,
        allowed=(ExerciseStatus.ready,),
        to=ExerciseStatus.running,
        action="started",
        by=by,
        speed=speed,
    )


def pause(session: Session, *, exercise_id: int, wall: Clock, by: str | None = None) -> Exercise:
    """Pause a running exercise: its clock stands still and no inject fires."""
    return _change(
        session,
        exercise_id=exercise_id,
        wall=wall,
        allowed=(ExerciseStatus.running,),
        to=ExerciseStatus.paused,
        action="paused",
        by=by,
    )


def resume(session: Session, *, exercise_id: int, wall: Clock, by: str | None = None) -> Exercise:
    """Resume a paused exercise from where its clock stood."""
    return _change(
        session,
        exercise_id=exercise_id,
        wall=wall,
        allowed=(ExerciseStatus.paused,),
        to=ExerciseStatus.running,
        action="resumed",
        by=by,
    )


def set_speed(
    session: Session, *, exercise_id: int, speed: float, wall: Clock, by: str | None = None
) -> Exercise:
    """Change how fast the exercise clock runs (×1…×60), from the time it reads now."""
    exercise = get(session, exercise_id=exercise_id)
    allowed = (ExerciseStatus.ready, ExerciseStatus.running, ExerciseStatus.paused)
    return _change(
        session,
        exercise_id=exercise_id,
        wall=wall,
        allowed=allowed,
        to=exercise.status,
        action="speed_changed",
        by=by,
        speed=speed,
    )


def stop(session: Session, *, exercise_id: int, wall: Clock, by: str | None = None) -> Exercise:
    """End the exercise: its clock stops for good; nothing more is fired or accepted in it."""
    allowed = (ExerciseStatus.ready, ExerciseStatus.running, ExerciseStatus.paused)
    return _change(
        session,
        exercise_id=exercise_id,
        wall=wall,
        allowed=allowed,
        to=ExerciseStatus.finished,
        action="finished",
        by=by,
    )


def list_exercises(session: Session) -> list[Exercise]:
    return list(session.scalars(select(Exercise).order_by(Exercise.id.desc())))


def injects(session: Session, *, exercise_id: int) -> list[Inject]:
    """The exercise's planned injects in firing order, fired or not."""
    get(session, exercise_id=exercise_id)
    return list(session.scalars(select(Inject).where(Inject.exercise_id == exercise_id).order_by(Inject.seq)))


def running_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Exercise.id).where(Exercise.status == ExerciseStatus.running)))


def next_due_wall(session: Session, *, exercise_id: int, wall: Clock) -> datetime | None:
    """When (wall clock) the exercise's next inject is due, if it runs and has one left."""
    exercise = get(session, exercise_id=exercise_id)
    due = session.scalar(
        select(Inject.due_at)
        .where(Inject.exercise_id == exercise_id, Inject.fired_at.is_(None))
        .order_by(Inject.seq)
        .limit(1)
    )
    return None if due is None else ExerciseClock.of(exercise, wall=wall).wall_time_of(due)


def fire_due(
    session: Session, *, exercise_id: int, wall: Clock, policy: alarms.Policy | None = None
) -> list[Inject]:
    """Fire every inject of a running exercise that its clock has reached, in plan order.

    Each fires as of its own planned time (its events carry that exercise time), so a replay at any
    speed writes the same log; the wall time it actually fired is kept to measure timing.
    """
    exercise = get(session, exercise_id=exercise_id, for_update=True)
    if exercise.status is not ExerciseStatus.running:
        return []
    now = ExerciseClock.of(exercise, wall=wall).now()
    due = list(
        session.scalars(
            select(Inject)
            .where(Inject.exercise_id == exercise_id, Inject.fired_at.is_(None), Inject.due_at <= now)
            .order_by(Inject.seq)
        )
    )
    for inject in due:
        # The inject happens at its planned time, whatever the moment it is played.
        at = ExerciseClock(
            wall=wall, anchor_at=inject.due_at, anchor_wall=None, speed=exercise.speed, running=False
        )
        outcome = _fire(session, exercise, inject, clock=at, policy=policy or alarms.Policy())
        inject.fired_at = inject.due_at
        inject.fired_wall = wall.now()
        inject.outcome = outcome
        session.flush()
        events.record(
            session,
            type=f"{WHAT}.inject_fired",
            entity_type=WHAT,
            entity_id=exercise.id,
            payload={
                "seq": inject.seq,
                "kind": inject.kind,
                "key": inject.key,
                "spec": inject.spec,
                "outcome": outcome,
            },
            clock=at,
            actor=DIRECTOR,
            exercise_id=exercise.id,
        )
    return due


def _fire(
    session: Session, exercise: Exercise, inject: Inject, *, clock: Clock, policy: alarms.Policy
) -> dict[str, Any]:
    spec = inject.spec
    refs = dict(exercise.refs)
    outcome: dict[str, Any]
    if inject.kind == "reading":
        outcome = drill_reading(
            session,
            exercise_id=exercise.id,
            sensor_ref=spec["sensor"],
            value=spec["value"],
            clock=clock,
            policy=policy,
        )
    elif inject.kind == "report":
        outcome = _report(session, exercise, inject, clock=clock)
        refs["incidents"] = {**refs.get("incidents", {}), inject.key: outcome["incident"]}
    elif inject.kind == "update":
        changes = IncidentUpdate(
            **{k: spec[k] for k in ("title", "description", "response_level") if k in spec}
        )
        incident_id = refs["incidents"][spec["incident"]]
        # The scene's news is not an edit of what someone read: it applies to the incident as it is.
        current = incidents.get(session, incident_id=incident_id).version
        incident_flows.edit(
            session,
            incident_id=incident_id,
            changes=changes,
            expected_version=current,
            clock=clock,
            actor=DIRECTOR,
        )
        outcome = {"incident": incident_id}
    elif inject.kind == "closure":
        outcome = _closure(session, exercise, spec, clock=clock)
        if inject.key:
            refs["closures"] = {**refs.get("closures", {}), inject.key: outcome["closures"]}
    elif inject.kind == "wind":
        weather = {
            **refs.get("weather", {}),
            **{k: spec[k] for k in ("wind_from_deg", "wind_speed_ms") if k in spec},
        }
        refs["weather"] = weather
        outcome = {"weather": weather}
    elif inject.kind == "out_of_service":
        what = {"team": spec["team"]} if "team" in spec else {"depot": spec["depot"]}
        refs["out_of_service"] = [*refs.get("out_of_service", []), {**what, "reason": spec.get("reason")}]
        outcome = what
    elif inject.kind == "casualties":
        incident_id = refs["incidents"][spec["incident"]]
        figures: dict[str, Any] = {k: spec[k] for k in ("dead", "injured", "missing") if k in spec}
        text = "伤亡情况：" + "，".join(f"{_CASUALTY[k]} {v} 人" for k, v in figures.items())
        incidents.add_note(session, incident_id=incident_id, text=text, author=DIRECTOR, clock=clock)
        outcome = {"incident": incident_id, **figures}
    elif inject.kind == "unit_position":
        lon, lat = spec["position"]
        outcome = {"unit": spec["unit"], "position": [lon, lat]}
    else:  # the schema allows no other kind
        raise ValueError(f"unknown inject kind {inject.kind}")
    if refs != exercise.refs:
        exercise.refs = refs
    return outcome


_CASUALTY = {"dead": "死亡", "injured": "受伤", "missing": "失踪"}


def _report(session: Session, exercise: Exercise, inject: Inject, *, clock: Clock) -> dict[str, Any]:
    spec = inject.spec
    hazard_source_id = None
    if "hazard_source" in spec:
        source = session.scalars(select(HazardSource).where(HazardSource.ref == spec["hazard_source"])).one()
        hazard_source_id = source.id
        site = geo.from_db(source.site)
        assert site is not None
        point = site.representative_point()
        location = spec.get("location") or [point.x, point.y]
    else:
        location = spec["location"]
    data = IncidentCreate.model_validate(
        {
            "type": spec["type"],
            "title": spec["title"],
            "location": {"type": "Point", "coordinates": location},
            "response_level": spec.get("response_level"),
            "description": spec.get("description"),
            "hazard_source_id": hazard_source_id,
            "reported_by": spec.get("reported_by"),
        }
    )
    incident = incident_flows.report(session, data=data, clock=clock, exercise_id=exercise.id)
    return {"incident": incident.id}


def _closure(session: Session, exercise: Exercise, spec: dict[str, Any], *, clock: Clock) -> dict[str, Any]:
    incident_id = exercise.refs["incidents"][spec["incident"]]
    bodies: list[ClosureCreate] = []
    common = {"reason": spec.get("reason"), "incident_id": incident_id, "created_by": DIRECTOR}
    if "road" in spec:
        segments = session.scalars(
            select(RoadSegment.id).where(RoadSegment.ref == spec["road"]).order_by(RoadSegment.id)
        )
        bodies = [
            ClosureCreate.model_validate({"kind": ClosureKind.road, "segment_id": s, **common})
            for s in segments
        ]
    else:
        area = {"type": "Polygon", "coordinates": [spec["area"]]}
        bodies = [ClosureCreate.model_validate({"kind": ClosureKind.area, "area": area, **common})]
    made = [closure_flows.close(session, data=body, router=None, clock=clock)[0].id for body in bodies]
    return {"closures": made}


def drill_reading(
    session: Session, *, exercise_id: int, sensor_ref: str, value: float, clock: Clock, policy: alarms.Policy
) -> dict[str, Any]:
    """A detector reading inside a drill: the live alarm rules move the detector's DRILL state and
    issue or escalate the drill's warning at its source; the live detector is left as it is."""
    sensor = session.scalars(select(Sensor).where(Sensor.ref == sensor_ref)).one()
    row = session.get(DrillSensorState, (exercise_id, sensor.id))
    if row is None:
        row = DrillSensorState(exercise_id=exercise_id, sensor_id=sensor.id, state=SensorState.normal)
        session.add(row)
    before = row.state
    from_state = SensorState.normal if before in alarms.BLIND else before
    after = alarms.next_state(
        from_state, value, alarm_1=sensor.alarm_1, alarm_2=sensor.alarm_2, deadband=policy.deadband
    )
    now = clock.now()
    row.state, row.last_value, row.last_reading_at = after, value, now
    session.flush()
    outcome: dict[str, Any] = {"sensor": sensor.id, "value": value, "state": after.value}
    if after is before:
        return outcome
    feature = sensor_feature(sensor)
    feature["properties"] |= {"state": after.value, "last_value": value, "last_reading_at": now.isoformat()}
    events.record(
        session,
        type=f"{alarms.WHAT}.state_changed",
        entity_type=alarms.WHAT,
        entity_id=sensor.id,
        payload={
            "from": before.value,
            "to": after.value,
            "at": now.isoformat(),
            "value": value,
            "feature": feature,
        },
        clock=clock,
        actor=alarms.SYSTEM,
        exercise_id=exercise_id,
    )
    if alarms.SEVERITY[after] > alarms.SEVERITY[before]:
        states = {
            s.sensor_id: s.state
            for s in session.scalars(
                select(DrillSensorState).where(DrillSensorState.exercise_id == exercise_id)
            )
        }
        outcome["warnings"] = alarms.raise_warnings(
            session, peaks={sensor.id: after}, clock=clock, exercise_id=exercise_id, states=states
        )
    return outcome


# --- evaluation: observations and the improvement plan ----------------------------------------------


def _objective_ids(exercise: Exercise) -> list[str]:
    return [o["id"] for o in exercise.scenario.get("objectives", [])]


def _require_objective(exercise: Exercise, objective_id: str | None) -> None:
    if objective_id is not None and objective_id not in _objective_ids(exercise):
        known = ", ".join(_objective_ids(exercise)) or "none"
        raise InvalidInput(
            f"exercise {exercise.id} has no objective {objective_id!r} (it has: {known})",
            field="objective_id",
        )


def observe(
    session: Session,
    *,
    exercise_id: int,
    objective_id: str | None,
    evaluator: str,
    rating: Rating,
    text: str,
    wall: Clock,
) -> Observation:
    """An evaluator's observation, stamped with the exercise clock; only while the drill is open."""
    exercise = require_open(session, exercise_id=exercise_id)
    _require_objective(exercise, objective_id)
    clock = ExerciseClock.of(exercise, wall=wall)
    observation = Observation(
        exercise_id=exercise_id,
        objective_id=objective_id,
        at=clock.now(),
        evaluator=evaluator,
        rating=rating,
        text=text,
    )
    session.add(observation)
    session.flush()
    events.record(
        session,
        type=f"{WHAT}.observation_recorded",
        entity_type=WHAT,
        entity_id=exercise_id,
        payload={"observation": observation_dict(observation)},
        clock=clock,
        actor=evaluator,
        exercise_id=exercise_id,
    )
    return observation


def observations(session: Session, *, exercise_id: int) -> list[Observation]:
    get(session, exercise_id=exercise_id)
    stmt = (
        select(Observation)
        .where(Observation.exercise_id == exercise_id)
        .order_by(Observation.at, Observation.id)
    )
    return list(session.scalars(stmt))


def observation_dict(o: Observation) -> dict[str, Any]:
    return {
        "id": o.id,
        "objective_id": o.objective_id,
        "at": o.at.isoformat(),
        "evaluator": o.evaluator,
        "rating": o.rating.value,
        "text": o.text,
    }


IMPROVEMENT = "improvement_item"


def add_improvement(
    session: Session,
    *,
    exercise_id: int,
    objective_id: str | None,
    text: str,
    owner: str,
    due_at: datetime,
    clock: Clock,
    by: str | None = None,
) -> ImprovementItem:
    """An area for improvement from a drill becomes a task with an owner and a deadline on the
    platform's (live) clock: the fix happens after the drill, in the real world."""
    exercise = get(session, exercise_id=exercise_id)
    _require_objective(exercise, objective_id)
    now = clock.now()
    if due_at <= now:
        raise InvalidInput("the deadline must be in the future", field="due_at")
    item = ImprovementItem(
        exercise_id=exercise_id,
        objective_id=objective_id,
        text=text,
        owner=owner,
        due_at=due_at,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    session.flush()
    events.record(
        session,
        type=f"{IMPROVEMENT}.created",
        entity_type=IMPROVEMENT,
        entity_id=item.id,
        payload={"item": improvement_dict(item, now=now)},
        clock=clock,
        actor=by,
    )
    return item


def close_improvement(session: Session, *, item_id: int, by: str, clock: Clock) -> ImprovementItem:
    """Mark an improvement item done (once)."""
    item = session.get(ImprovementItem, item_id)
    if item is None:
        raise NotFound(f"improvement item {item_id} does not exist", field="id")
    if item.done_at is not None:
        raise InvalidTransition(
            f"improvement item {item_id} was already done at {item.done_at.isoformat()}", field="status"
        )
    now = clock.now()
    item.done_at, item.done_by, item.updated_at = now, by, now
    session.flush()
    events.record(
        session,
        type=f"{IMPROVEMENT}.done",
        entity_type=IMPROVEMENT,
        entity_id=item.id,
        payload={"item": improvement_dict(item, now=now)},
        clock=clock,
        actor=by,
    )
    return item


def improvements(
    session: Session, *, exercise_id: int | None = None, open_only: bool = False
) -> list[ImprovementItem]:
    """Improvement items, soonest deadline first (one drill's, or all)."""
    stmt = select(ImprovementItem).order_by(ImprovementItem.due_at, ImprovementItem.id)
    if exercise_id is not None:
        stmt = stmt.where(ImprovementItem.exercise_id == exercise_id)
    if open_only:
        stmt = stmt.where(ImprovementItem.done_at.is_(None))
    return list(session.scalars(stmt))


def improvement_dict(item: ImprovementItem, *, now: datetime) -> dict[str, Any]:
    """An item as tracked: done, open, or overdue (open past its deadline on the platform clock)."""
    status = "done" if item.done_at is not None else "overdue" if item.due_at < now else "open"
    return {
        "id": item.id,
        "exercise_id": item.exercise_id,
        "objective_id": item.objective_id,
        "text": item.text,
        "owner": item.owner,
        "due_at": item.due_at.isoformat(),
        "status": status,
        "done_at": item.done_at.isoformat() if item.done_at else None,
        "done_by": item.done_by,
        "version": item.version,
    }
