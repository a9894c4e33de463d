"""Active threat zones as a live geofence for teams: a team inside one is warned, once per entry.

Kept apart from `service` (models, geometry, inside lists) so that the teams' position path can use
it without importing the rest of the zones domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from commandpost import geo
from commandpost.clock import Clock
from commandpost.events import service as events
from commandpost.zones.models import ThreatZone, ZoneStatus

# The warning a team gets: on the teams layer, so it reaches the dashboard and the team's own stream.
WARNING = "team.zone_warning"
DRAWN_OVER = "drawn_over"  # the zone was drawn (or redrawn) over where the team stands
ENTERED = "entered"  # the team reported a position inside the zone


@dataclass(frozen=True)
class Fence:
    """One active zone, ready for point tests."""

    zone_id: int
    incident_id: int
    run_id: str
    level: str
    label: str
    model: str
    area: BaseGeometry
    size: float
    exercise_id: int | None


@dataclass(frozen=True)
class Moved:
    """A team's position before and after a report (lon, lat), and its feature after it."""

    team_id: int
    before: tuple[float, float] | None
    after: tuple[float, float]
    feature: dict[str, Any]


def fences(session: Session, *, zones: Sequence[ThreatZone] | None = None) -> list[Fence]:
    """The given zones (the active ones when not given), smallest (most severe) first."""
    rows = (
        zones
        if zones is not None
        else session.scalars(select(ThreatZone).where(ThreatZone.status == ZoneStatus.active)).all()
    )
    out = []
    for zone in rows:
        area = geo.from_db(zone.area)
        if area is None or area.is_empty:
            continue
        shapely.prepare(area)
        out.append(
            Fence(
                zone_id=zone.id,
                incident_id=zone.incident_id,
                run_id=zone.run_id,
                level=zone.level,
                label=zone.label,
                model=zone.model,
                area=area,
                size=area.area,
                exercise_id=zone.exercise_id,
            )
        )
    return sorted(out, key=lambda f: f.size)


def _payload(why: str, hit: list[Fence], at: tuple[float, float], feature: dict[str, Any]) -> dict[str, Any]:
    worst = hit[0]
    return {
        "why": why,
        "zone_id": worst.zone_id,
        "incident_id": worst.incident_id,
        "run_id": worst.run_id,
        "model": worst.model,
        "level": worst.level,
        "label": worst.label,
        "zones": [{"id": f.zone_id, "level": f.level, "label": f.label} for f in hit],
        "position": list(at),
        "message": f"inside threat zone {worst.label} of incident {worst.incident_id}: leave it or hold "
        "for orders",
        "feature": feature,
    }


def _record(
    session: Session,
    entries: list[tuple[int, dict[str, Any], int | None]],
    *,
    clock: Clock,
    actor: str | None,
) -> list[int]:
    by_exercise: dict[int | None, list[tuple[int | None, dict[str, Any]]]] = {}
    for team_id, payload, exercise_id in entries:
        by_exercise.setdefault(exercise_id, []).append((team_id, payload))
    for exercise_id, group in by_exercise.items():
        events.record_many(
            session,
            type=WARNING,
            entity_type="team",
            entries=group,
            clock=clock,
            actor=actor,
            exercise_id=exercise_id,
        )
    return [team_id for team_id, _, _ in entries]


def warn_entering(
    session: Session, *, moved: Sequence[Moved], clock: Clock, actor: str | None = None
) -> list[int]:
    """Warn each team whose new position lies in an active zone its old one was not in (one
    `team.zone_warning` per team, naming the most severe zone); returns the teams warned."""
    if not moved:
        return []
    active = fences(session)
    if not active:
        return []
    after = np.array([m.after for m in moved], dtype=np.float64)
    before = np.array([m.before if m.before is not None else (np.nan, np.nan) for m in moved])
    hits: list[list[Fence]] = [[] for _ in moved]
    for fence in active:
        now_in = shapely.contains_xy(fence.area, after[:, 0], after[:, 1])
        if not now_in.any():
            continue
        was_in = shapely.contains_xy(fence.area, before[:, 0], before[:, 1])
        for i in np.flatnonzero(now_in & ~was_in):
            hits[int(i)].append(fence)
    entries = [
        (m.team_id, _payload(ENTERED, hit, m.after, m.feature), hit[0].exercise_id)
        for m, hit in zip(moved, hits, strict=True)
        if hit
    ]
    return _record(session, entries, clock=clock, actor=actor)


def warn_inside(
    session: Session,
    *,
    zones: Sequence[ThreatZone],
    teams: Sequence[tuple[int, tuple[float, float], dict[str, Any]]],
    clock: Clock,
    actor: str | None = None,
) -> list[int]:
    """Warn each of `teams` (id, position, feature) standing inside any of `zones`, just drawn: one
    `team.zone_warning` per team, naming the most severe zone it is in; returns the teams warned."""
    drawn = fences(session, zones=zones)
    entries = []
    for team_id, at, feature in teams:
        hit = [f for f in drawn if shapely.contains_xy(f.area, at[0], at[1])]
        if hit:
            entries.append((team_id, _payload(DRAWN_OVER, hit, at, feature), hit[0].exercise_id))
    return _record(session, entries, clock=clock, actor=actor)
