"""Zones in operations: drawing a zone closes its roads, re-routes teams on their way and warns the
teams inside; clearing it reopens the roads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from commandpost import db, geo
from commandpost.clock import Clock
from commandpost.config import Settings
from commandpost.routing import flows as closing
from commandpost.routing import service as routing
from commandpost.routing.models import ClosureKind
from commandpost.routing.schemas import ClosureCreate
from commandpost.teams.models import Team
from commandpost.teams.schemas import team_feature
from commandpost.zones import geofence, service
from commandpost.zones.models import ThreatZone


@dataclass
class Outcome:
    """The zones changed, and what that did to the teams."""

    zones: list[ThreatZone]
    rerouted: list[int] = field(default_factory=list)
    warned: list[int] = field(default_factory=list)


def close_roads(
    session: Session, *, zones: list[ThreatZone], router: routing.Router, clock: Clock, actor: str | None
) -> list[int]:
    """Close every road meeting a run's zones (one `danger_zone` closure over their union) and give
    teams on their way a route around it; returns the re-routed assignments."""
    areas = [a for a in (geo.from_db(z.area) for z in zones) if a is not None]
    union = shapely.union_all(areas)
    head = zones[0]
    closure, rerouted = closing.close(
        session,
        data=ClosureCreate.model_validate(
            {
                "kind": ClosureKind.danger_zone,
                "area": geo.to_geojson(union),
                "incident_id": head.incident_id,
                "reason": f"threat zone ({head.model}): roads closed while it is active",
                "created_by": actor,
            }
        ),
        router=router,
        clock=clock,
    )
    for zone in zones:
        zone.closure_id = closure.id
    session.flush()
    return rerouted


def _teams_inside(session: Session, zones: list[ThreatZone]) -> list[Team]:
    areas = [a for a in (geo.from_db(z.area) for z in zones) if a is not None]
    union = shapely.union_all(areas)
    return list(
        session.scalars(
            select(Team).where(db.intersects_filter(session, Team.position, union.wkt)).order_by(Team.id)
        ).all()
    )


def warn_teams_inside(
    session: Session,
    *,
    zones: list[ThreatZone],
    clock: Clock,
    actor: str | None,
    already: frozenset[int] = frozenset(),
) -> list[int]:
    """Warn every team standing inside the zones just drawn (`team.zone_warning`), but those
    `already` warned for them."""
    teams = []
    for team in _teams_inside(session, zones):
        if team.id in already:
            continue
        at = routing.point_of(team.position)
        teams.append((team.id, (at.x, at.y), team_feature(team)))
    return geofence.warn_inside(session, zones=zones, teams=teams, clock=clock, actor=actor)


def draw(
    session: Session,
    *,
    incident_id: int,
    request: service.Request,
    settings: Settings,
    clock: Clock,
    router: routing.Router,
) -> Outcome:
    """Keep a model run's zones for an incident, close their roads (re-routing teams on their way)
    and warn the teams inside."""
    zones = service.save(session, incident_id=incident_id, request=request, settings=settings, clock=clock)
    if not zones:
        return Outcome(zones=zones)
    rerouted = close_roads(session, zones=zones, router=router, clock=clock, actor=request.by)
    warned = warn_teams_inside(session, zones=zones, clock=clock, actor=request.by)
    return Outcome(zones=zones, rerouted=rerouted, warned=warned)


def redraw(
    session: Session,
    *,
    zones: list[ThreatZone],
    request: service.Request,
    why: dict[str, Any],
    settings: Settings,
    clock: Clock,
    router: routing.Router,
    actor: str | None,
) -> Outcome:
    """Redraw a run's zones for a changed input (the wind): each zone keeps its id and level and gets
    its new shape (`zone.updated`); the closure follows it, and teams newly inside are warned."""
    inside_before = frozenset(t.id for t in _teams_inside(session, zones))
    redrawn = service.redraw(
        session, zones=zones, request=request, why=why, settings=settings, clock=clock, actor=actor
    )
    if not redrawn:
        return Outcome(zones=[])
    for closure_id in sorted({z.closure_id for z in zones if z.closure_id is not None}):
        # Lifted without re-routing: teams are re-routed once, on the network with the new closure.
        routing.lift(session, closure_id=closure_id, router=router, clock=clock, actor=actor)
    rerouted = close_roads(session, zones=zones, router=router, clock=clock, actor=actor)
    warned = warn_teams_inside(session, zones=zones, clock=clock, actor=actor, already=inside_before)
    return Outcome(zones=redrawn, rerouted=rerouted, warned=warned)


def clear(
    session: Session,
    *,
    zone_id: int,
    reason: str | None,
    by: str | None,
    clock: Clock,
    router: routing.Router,
) -> Outcome:
    """Clear a zone's run and reopen the roads it closed (teams on their way get the shorter route back)."""
    zones = service.clear(session, zone_id=zone_id, reason=reason, by=by, clock=clock)
    rerouted: list[int] = []
    for closure_id in sorted({z.closure_id for z in zones if z.closure_id is not None}):
        rerouted += closing.lift(session, closure_id=closure_id, router=router, clock=clock, actor=by)[1]
    return Outcome(zones=zones, rerouted=rerouted)
