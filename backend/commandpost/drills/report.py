"""The after-action report of a drill: its timeline, each objective met or missed with the measured
time, and the response times, all read back from the drill's own events (exercise time)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandpost.clock import Clock
from commandpost.dispatch.models import Assignment
from commandpost.drills import scenario, service
from commandpost.drills.context import ExerciseClock, get
from commandpost.drills.models import Exercise, ExerciseStatus, Inject
from commandpost.events.models import Event
from commandpost.incidents.models import Incident
from commandpost.teams.models import Team
from commandpost.warnings.models import WARNING_RANK, WarningLevel


@dataclass(frozen=True, slots=True)
class Span:
    """One measured response: from one moment to the next, in seconds of exercise time."""

    what: str
    subject: str
    start: datetime
    end: datetime | None

    @property
    def seconds(self) -> float | None:
        return None if self.end is None else (self.end - self.start).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "from": self.start.isoformat(),
            "to": self.end.isoformat() if self.end else None,
            "seconds": self.seconds,
        }


def _warning_waits(events: list[Event]) -> list[tuple[str, Span]]:
    """Each time a drill warning waited to be acknowledged: from issue (or a rise in level) to
    acknowledgement, with the level it waited at."""
    waits: list[tuple[str, Span]] = []
    open_wait: dict[int, tuple[str, datetime]] = {}
    for e in events:
        if e.entity_type != "warning" or e.entity_id is None:
            continue
        action = e.type.split(".", 1)[1]
        level = str(((e.payload or {}).get("feature") or {}).get("properties", {}).get("level", ""))
        if action in ("issued", "escalated"):
            since = open_wait.get(e.entity_id, (level, e.at))[1] if action == "escalated" else e.at
            # A rise restarts the wait: the new level must be acknowledged anew.
            open_wait[e.entity_id] = (level, e.at if action == "escalated" else since)
        elif action == "acknowledged" and e.entity_id in open_wait:
            level_at, since = open_wait.pop(e.entity_id)
            waits.append((level_at, Span("alarm_to_acknowledged", f"warning {e.entity_id}", since, e.at)))
    for warning_id, (level_at, since) in open_wait.items():
        waits.append((level_at, Span("alarm_to_acknowledged", f"warning {warning_id}", since, None)))
    waits.sort(key=lambda w: w[1].start)
    return waits


def _summary(e: Event) -> str:
    payload = e.payload or {}
    props = (payload.get("feature") or {}).get("properties", {})
    if e.type == "exercise.inject_fired":
        spec = payload.get("spec", {})
        label = payload.get("key") or spec.get("sensor") or spec.get("incident") or spec.get("unit") or ""
        return f"inject {payload.get('kind')} {label}".strip() + (
            f": {spec['note']}" if spec.get("note") else ""
        )
    for name in ("title", "name"):
        if props.get(name):
            detail = props.get("status") or props.get("level") or ""
            return f"{props[name]}" + (f" ({detail})" if detail else "")
    if "from" in payload and "to" in payload:
        return f"{payload['from']} → {payload['to']}"
    return ""


def build(session: Session, *, exercise_id: int, wall: Clock) -> dict[str, Any]:
    """The report as JSON-ready data."""
    exercise = get(session, exercise_id=exercise_id)
    clock = ExerciseClock.of(exercise, wall=wall)
    now = clock.now()
    events = list(session.scalars(select(Event).where(Event.exercise_id == exercise_id).order_by(Event.id)))
    incidents = list(
        session.scalars(select(Incident).where(Incident.exercise_id == exercise_id).order_by(Incident.id))
    )
    assignments = list(
        session.scalars(
            select(Assignment).where(Assignment.exercise_id == exercise_id).order_by(Assignment.id)
        )
    )
    teams = {
        t.id: t for t in session.scalars(select(Team).where(Team.id.in_([a.team_id for a in assignments])))
    }
    on_scene_at = _on_scene_times(events)
    waits = _warning_waits(events)
    first_dispatch = [
        Span(
            "incident_to_first_dispatch",
            f"incident {i.id} {i.title}",
            i.reported_at,
            min((a.assigned_at for a in assignments if a.incident_id == i.id), default=None),
        )
        for i in incidents
    ]
    to_scene = [
        Span(
            "dispatch_to_on_scene",
            f"{teams[a.team_id].name} → incident {a.incident_id}",
            a.assigned_at,
            on_scene_at.get(a.id),
        )
        for a in assignments
    ]
    by_key = {
        key: i for key, i_id in exercise.refs.get("incidents", {}).items() for i in incidents if i.id == i_id
    }
    objectives = [
        _objective(
            o,
            exercise=exercise,
            now=now,
            by_key=by_key,
            waits=waits,
            assignments=assignments,
            teams=teams,
            on_scene_at=on_scene_at,
        )
        for o in exercise.scenario.get("objectives", [])
    ]
    injects = list(
        session.scalars(select(Inject).where(Inject.exercise_id == exercise_id).order_by(Inject.seq))
    )
    seen = [service.observation_dict(o) for o in service.observations(session, exercise_id=exercise_id)]
    for objective in objectives:
        objective["observations"] = [o for o in seen if o["objective_id"] == objective["id"]]
    plan = [
        service.improvement_dict(i, now=wall.now())
        for i in service.improvements(session, exercise_id=exercise_id)
    ]
    return {
        "exercise": {
            "id": exercise.id,
            "name": exercise.name,
            "scenario_id": exercise.scenario_id,
            "exercise_type": exercise.scenario.get("exercise_type", "functional"),
            "status": exercise.status.value,
            "starts_at": exercise.starts_at.isoformat(),
            "now": now.isoformat(),
            "elapsed_s": (now - exercise.starts_at).total_seconds(),
            "finished": exercise.status is ExerciseStatus.finished,
        },
        "objectives": objectives,
        "response_times": {
            "alarm_to_acknowledged": _series([w for _, w in waits]),
            "incident_to_first_dispatch": _series(first_dispatch),
            "dispatch_to_on_scene": _series(to_scene),
        },
        "observations": seen,
        "improvement_plan": plan,
        "injects": {
            "planned": len(injects),
            "fired": sum(1 for i in injects if i.fired_at is not None),
        },
        "timeline": [
            {
                "at": e.at.isoformat(),
                "offset_s": (e.at - exercise.starts_at).total_seconds(),
                "type": e.type,
                "entity": f"{e.entity_type} {e.entity_id}" if e.entity_id is not None else e.entity_type,
                "summary": _summary(e),
                "actor": e.actor,
            }
            for e in events
        ],
    }


def _on_scene_times(events: list[Event]) -> dict[int, datetime]:
    found: dict[int, datetime] = {}
    for e in events:
        if e.entity_id is None or e.type != "assignment.status_changed":
            continue
        if (e.payload or {}).get("to") == "on_scene":
            found.setdefault(e.entity_id, e.at)
    return found


def _series(spans: list[Span]) -> dict[str, Any]:
    done = [s.seconds for s in spans if s.seconds is not None]
    return {
        "count": len(done),
        "waiting": len(spans) - len(done),
        "median_s": median(done) if done else None,
        "max_s": max(done) if done else None,
        "items": [s.as_dict() for s in spans],
    }


def _objective(
    objective: dict[str, Any],
    *,
    exercise: Exercise,
    now: datetime,
    by_key: dict[str, Incident],
    waits: list[tuple[str, Span]],
    assignments: list[Assignment],
    teams: dict[int, Team],
    on_scene_at: dict[int, datetime],
) -> dict[str, Any]:
    """Met when the measured time is within the target; missed when over it, or when it never
    happened and the target (or the drill) is over; otherwise still open."""
    within = scenario.seconds(objective["within"])
    measure = objective["measure"]
    start: datetime | None = None
    end: datetime | None = None
    incident = by_key.get(objective.get("incident", ""))
    if measure == "warning_acknowledged":
        floor = WARNING_RANK[WarningLevel(objective.get("level", "blue"))]
        relevant = [
            w
            for level, w in waits
            if level in WarningLevel.__members__ and WARNING_RANK[WarningLevel(level)] >= floor
        ]
        if relevant:
            start, end = relevant[0].start, relevant[0].end
    elif incident is not None:
        start = incident.reported_at
        mine = [a for a in assignments if a.incident_id == incident.id]
        if measure == "incident_confirmed":
            end = incident.confirmed_at
        elif measure == "incident_contained":
            end = incident.contained_at
        elif measure == "first_dispatch":
            end = min((a.assigned_at for a in mine), default=None)
        elif measure == "team_on_scene":
            needed = objective.get("capability_needed")
            end = min(
                (
                    on_scene_at[a.id]
                    for a in mine
                    if a.id in on_scene_at
                    and (needed is None or needed in (teams[a.team_id].capabilities or []))
                ),
                default=None,
            )
    measured = None if start is None or end is None else (end - start).total_seconds()
    if measured is not None:
        result = "met" if measured <= within else "missed"
    elif exercise.status is ExerciseStatus.finished or (
        start is not None and (now - start).total_seconds() > within
    ):
        result = "missed"
    else:
        result = "open"
    return {
        "id": objective["id"],
        "text": objective["text"],
        "capability": objective.get("capability"),
        "measure": measure,
        "target_s": within,
        "measured_s": measured,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "result": result,
    }


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}" if whole >= 60 else f"{whole} s"


def to_html(report: dict[str, Any]) -> str:
    """The report as one self-contained HTML page (no script, no remote file: it opens offline)."""
    e = html.escape
    x = report["exercise"]
    rows = "".join(
        f"<tr class='{e(o['result'])}'><td>{e(o['text'])}</td><td>{e(o['capability'] or '')}</td>"
        f"<td>{_duration(o['target_s'])}</td><td>{_duration(o['measured_s'])}</td><td>{e(o['result'])}</td></tr>"
        for o in report["objectives"]
    )
    times = "".join(
        f"<tr><td>{e(name.replace('_', ' '))}</td><td>{s['count']}</td><td>{s['waiting']}</td>"
        f"<td>{_duration(s['median_s'])}</td><td>{_duration(s['max_s'])}</td></tr>"
        for name, s in report["response_times"].items()
    )
    seen = "".join(
        f"<tr><td>{_duration(_offset(o['at'], x['starts_at']))}</td><td>{e(o['objective_id'] or '')}</td>"
        f"<td>{e(o['evaluator'])}</td><td>{e(o['rating'])}</td><td>{e(o['text'])}</td></tr>"
        for o in report["observations"]
    )
    plan = "".join(
        f"<tr class='{e(i['status'])}'><td>{e(i['text'])}</td><td>{e(i['objective_id'] or '')}</td>"
        f"<td>{e(i['owner'])}</td><td>{e(i['due_at'])}</td><td>{e(i['status'])}</td></tr>"
        for i in report["improvement_plan"]
    )
    timeline = "".join(
        f"<tr><td>{_duration(t['offset_s'])}</td><td>{e(t['type'])}</td><td>{e(t['entity'])}</td>"
        f"<td>{e(t['summary'])}</td><td>{e(t['actor'] or '')}</td></tr>"
        for t in report["timeline"]
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>演练评估报告 · {e(x["name"])}</title>
<style>
body{{font:14px/1.5 system-ui,sans-serif;margin:2em;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}} th{{background:#f2f2f2}}
tr.met td:last-child{{color:#17692b;font-weight:bold}}
tr.missed td:last-child,tr.overdue td:last-child{{color:#b3261e;font-weight:bold}}
</style></head><body>
<h1>演练评估报告（After-action report）</h1>
<p>{e(x["name"])} · scenario <code>{e(x["scenario_id"])}</code> · {e(x["exercise_type"])} ·
exercise #{x["id"]} · {e(x["status"])} · began {e(x["starts_at"])} · elapsed {_duration(x["elapsed_s"])}</p>
<h2>Objectives</h2>
<table><tr><th>Objective</th><th>Capability</th><th>Target</th><th>Measured</th><th>Result</th></tr>{rows}</table>
<h2>Response times</h2>
<table><tr><th>Step</th><th>Done</th><th>Still waiting</th><th>Median</th><th>Longest</th></tr>{times}</table>
<h2>Evaluators' observations</h2>
<table><tr><th>Time</th><th>Objective</th><th>Evaluator</th><th>Rating</th><th>Observation</th></tr>{seen}</table>
<h2>Timeline</h2>
<table><tr><th>Time</th><th>Event</th><th>What</th><th>Summary</th><th>By</th></tr>{timeline}</table>
<h2>Improvement plan</h2>
<table><tr><th>Area for improvement</th><th>Objective</th><th>Owner</th><th>Due</th><th>Status</th></tr>
{plan}</table>
</body></html>
"""


def _offset(at: str, starts_at: str) -> float:
    return (datetime.fromisoformat(at) - datetime.fromisoformat(starts_at)).total_seconds()
