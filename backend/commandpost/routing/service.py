"""Rules for routing: the road graph of this process kept in step with the road layer and closures,
travel times and routes on it, and closing or reopening roads."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from commandpost import db, geo, resources
from commandpost.clock import Clock
from commandpost.errors import Conflict, InvalidInput, Unavailable
from commandpost.events.models import Event
from commandpost.incidents.models import Incident
from commandpost.resources import Page
from commandpost.roads.models import RoadSegment
from commandpost.routing.graph import Field, Network, RoadGraph, Snaps, Travel
from commandpost.routing.models import Closure, ClosureKind
from commandpost.routing.schemas import ClosureCreate, closure_feature

WHAT = "closure"


# --- the graph of this process -----------------------------------------------------------


def load_graph(session: Session, *, version: Any = None) -> RoadGraph:
    """The whole road layer as a graph (every segment, open or not)."""
    rows = session.execute(
        select(
            RoadSegment.id,
            RoadSegment.name,
            RoadSegment.ref,
            RoadSegment.oneway,
            RoadSegment.speed_kmh,
            RoadSegment.length_m,
            RoadSegment.geom,
        ).order_by(RoadSegment.id)
    ).all()
    lines = shapely.from_wkb([r.geom.data for r in rows]) if rows else []
    return RoadGraph(
        ids=[r.id for r in rows],
        names=[r.name or r.ref for r in rows],
        oneway=[bool(r.oneway) for r in rows],
        speed_kmh=[float(r.speed_kmh) for r in rows],
        length_m=[float(r.length_m) for r in rows],
        lines=list(lines),
        version=version,
    )


def _stamps(session: Session) -> tuple[tuple[int, int], tuple[int, int]]:
    """What the graph depends on, cheaply: road imports (count, last event) and closures (count, versions).

    Closure versions only grow, so any closure created or lifted anywhere, in any order of commits,
    changes the stamp; so does a road import.
    """
    road = Event.entity_type == "road_layer"
    row = session.execute(
        select(
            select(func.count()).select_from(Event).where(road).scalar_subquery(),
            select(func.max(Event.id)).where(road).scalar_subquery(),
            select(func.count()).select_from(Closure).scalar_subquery(),
            select(func.coalesce(func.sum(Closure.version), 0)).scalar_subquery(),
        )
    ).one()
    return (int(row[0] or 0), int(row[1] or 0)), (int(row[2] or 0), int(row[3] or 0))


def active_closures(session: Session) -> list[Closure]:
    return list(session.scalars(select(Closure).where(Closure.active.is_(True)).order_by(Closure.id)))


def blocked_mask(session: Session, graph: RoadGraph, *, extra: Sequence[Closure] = ()) -> NDArray[np.bool_]:
    """Which segments the active closures (and `extra` ones not yet stored) close."""
    return mask_for(graph, [*active_closures(session), *extra])


def danger_zones(closures: Sequence[Closure]) -> list[BaseGeometry]:
    """The areas of the danger-zone closures in force: a route ends at their edge."""
    zones = []
    for closure in closures:
        if closure.active and closure.kind is ClosureKind.danger_zone:
            area = geo.from_db(closure.geom)
            if area is not None:
                zones.append(area)
    return zones


def mask_for(graph: RoadGraph, closures: Sequence[Closure]) -> NDArray[np.bool_]:
    mask = np.zeros(len(graph), dtype=bool)
    for closure in closures:
        if not closure.active:
            continue
        if closure.kind is ClosureKind.road and closure.segment_id is not None:
            index = graph.index_of_id.get(closure.segment_id)
            if index is not None:
                mask[index] = True
        else:
            area = geo.from_db(closure.geom)
            if area is not None:
                mask[graph.segments_meeting(area)] = True
    return mask


# A point farther than this from every open road is not routed from or to (MAX_OFF_ROAD_M in Settings).
MAX_OFF_ROAD_M = 2000.0


class Router:
    """The road network of this process, rebuilt when the road layer is re-imported and re-masked
    when a closure changes (in this process or another: it checks the stamps on every use)."""

    def __init__(self, *, max_off_road_m: float = MAX_OFF_ROAD_M) -> None:
        self.max_off_road_m = max_off_road_m
        self._lock = threading.Lock()
        self._graph: RoadGraph | None = None
        self._net: Network | None = None
        # What callers that route often keep for the life of this process, by name (dispatch keeps
        # the teams' details here, keyed by their version).
        self.memo: dict[str, Any] = {}

    def network(self, session: Session) -> Network:
        """The network as committed now."""
        road, closures = _stamps(session)
        version = (road, closures)
        net = self._net
        if net is not None and net.version == version:
            return net
        with self._lock:
            if self._graph is None or self._graph.version != road:
                self._graph = load_graph(session, version=road)
            if self._net is None or self._net.version != version:
                older = self._net
                in_force = active_closures(session)
                self._net = self._graph.network(
                    mask_for(self._graph, in_force),
                    version=version,
                    zones=danger_zones(in_force),
                    max_off_road_m=self.max_off_road_m,
                )
                if older is not None:
                    self._net.inherit_snaps(older)
            return self._net


# --- travel times and routes -------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """Travel from many points to one target on one network.

    `approach` is set when the target lies in a danger zone: routes end at the zone's edge (each
    route says where, and how far from the target). `target_reason` says why nothing reaches the
    target, if so.
    """

    net: Network
    field: Field
    sources: Snaps
    travel: Travel
    target: Snaps
    goal: NDArray[np.float64]  # the target point itself (1×2 lon/lat)
    approach: dict[str, Any] | None = None
    target_reason: str | None = None

    def route(self, i: int) -> dict[str, Any] | None:
        route = self.net.route(self.field, self.sources, self.travel, i, self.target)
        if route is not None and self.approach is not None:
            end = np.array([route["geometry"]["coordinates"][-1]], dtype=np.float64)
            proj = self.net.graph.projection
            gap = proj.forward(end)[0] - proj.forward(self.goal)[0]
            route["approach"] = {
                "type": "Point",
                "coordinates": end[0].tolist(),
                "distance_to_target_m": round(float(np.hypot(*gap)), 1),
                **self.approach,
            }
        return route

    def reason(self, i: int) -> str | None:
        """Why source i cannot be routed to the target (None when it can)."""
        if math.isfinite(float(self.travel.seconds[i])):
            return None
        if self.target_reason is not None:
            return self.target_reason
        off = float(self.sources.off_m[i])
        if self.sources.seg[i] < 0:
            return "no open road to start from"
        if off > self.net.max_off_road_m:
            return (
                f"the start is {_km(off)} from the nearest open road (limit {_km(self.net.max_off_road_m)})"
            )
        return "no open road leads from the start to the target (closures or one-way roads cut it off)"


def _km(metres: float) -> str:
    return f"{metres / 1000:.1f} km"


def point_of(element: Any) -> Point:
    """A stored POINT column as a Shapely point."""
    geom = geo.from_db(element)
    if not isinstance(geom, Point):  # pragma: no cover - the columns routed from are POINT
        raise InvalidInput("expected a point", field="location")
    return geom


def lonlat_of(points: Sequence[BaseGeometry]) -> NDArray[np.float64]:
    return np.array([[p.x, p.y] for p in points], dtype=np.float64).reshape(-1, 2)


def reach(
    net: Network, *, target: BaseGeometry, sources: NDArray[np.float64], field: str = "location"
) -> Reach:
    """Time and distance from every source (k×2 lon/lat) to the target point, in one search.

    A source or target farther from the nearest open road than the network's limit is unreachable
    (no long walk from the sea); a target inside a danger zone is approached to the zone's edge:
    each route ends where a road into the zone meets its edge (or, when none does, at the open road
    nearest to the target), and none crosses the zone.
    """
    snapped = net.snap(lonlat_of([target]))
    if snapped.seg[0] < 0:
        raise Unavailable(
            "no open road to route on: load a road layer (`commandpost load` or `import-roads`)", field=field
        )
    approach: dict[str, Any] | None = None
    target_reason: str | None = None
    fld: Field | None = None
    zone = next((z for z in net.zones if z.covers(target)), None)
    if zone is not None:
        # Routes end at the zone's edge: where the roads into it meet it, or failing that (no road
        # crosses its edge) at the open road nearest to the target.
        at = lonlat_of([target])
        edge = Snaps(seg=np.full(1, -1), frac=np.zeros(1), off_m=np.zeros(1), lonlat=at, on_road=at)
        fld = net.field_to_edge(zone, edge)
        if fld is not None:
            snapped = edge
        else:
            on_road = snapped.on_road.copy()
            snapped = Snaps(
                seg=snapped.seg, frac=snapped.frac, off_m=np.zeros(1), lonlat=on_road, on_road=on_road
            )
        approach = {"why": "the target is inside a danger zone: routes end at the zone's edge"}
    elif float(snapped.off_m[0]) > net.max_off_road_m:
        target_reason = (
            f"the destination is {_km(float(snapped.off_m[0]))} from the nearest open road "
            f"(limit {_km(net.max_off_road_m)})"
        )
    if fld is None:
        fld = net.field_to(snapped)
    placed = net.snap(sources)
    travel = net.travel(fld, placed, snapped)
    too_far = placed.off_m > net.max_off_road_m
    if target_reason is not None:
        too_far = np.ones(len(placed), dtype=bool)
    if too_far.any():
        travel = Travel(
            seconds=np.where(too_far, np.inf, travel.seconds),
            metres=np.where(too_far, np.inf, travel.metres),
            via=np.where(too_far, -2, travel.via),
            backward=travel.backward,
        )
    return Reach(
        net=net,
        field=fld,
        sources=placed,
        travel=travel,
        target=snapped,
        goal=lonlat_of([target]),
        approach=approach,
        target_reason=target_reason,
    )


def route_feature(route: dict[str, Any] | None, **properties: Any) -> dict[str, Any]:
    """A computed route as a GeoJSON Feature (geometry null when there is no route; then `reason`
    may say why). A route to a target inside a danger zone carries its `approach` point."""
    if route is None:
        return {
            "type": "Feature",
            "geometry": None,
            "properties": {"reason": None, **properties, "reachable": False},
        }
    return {
        "type": "Feature",
        "geometry": route["geometry"],
        "properties": {
            **properties,
            "reachable": True,
            "eta_s": route["seconds"],
            "distance_m": route["metres"],
            "legs": route["legs"],
            "segment_ids": route["segments"],
            "approach": route.get("approach"),
        },
    }


def route_between(
    session: Session, *, router: Router, start: BaseGeometry, end: BaseGeometry
) -> dict[str, Any]:
    """The fastest open route from `start` to `end` as a Feature with per-leg times, or, when there
    is none, a Feature without geometry saying why."""
    found = reach(router.network(session), target=end, sources=lonlat_of([start]), field="to")
    route = found.route(0)
    return route_feature(route) if route is not None else route_feature(None, reason=found.reason(0))


# --- closures ----------------------------------------------------------------------------


def list_closures(
    session: Session,
    *,
    bbox: geo.BBox | None = None,
    active: bool | None = True,
    incident_id: int | None = None,
    limit: int,
    offset: int = 0,
) -> Page[Closure]:
    """Closures in the box (the active ones unless told otherwise), newest first."""
    stmt = select(Closure).order_by(Closure.id.desc())
    if active is not None:
        stmt = stmt.where(Closure.active.is_(active))
    if incident_id is not None:
        stmt = stmt.where(Closure.incident_id == incident_id)
    if bbox is not None:
        stmt = stmt.where(db.bbox_filter(session, Closure.__table__.c.geom, bbox))
    return resources.page(session, stmt, limit=limit, offset=offset)


def get(session: Session, *, closure_id: int) -> Closure:
    """One closure, or NotFound."""
    return resources.fetch(session, Closure, closure_id, what=WHAT)


def create(session: Session, *, data: ClosureCreate, router: Router, clock: Clock) -> tuple[Closure, Network]:
    """Close a road segment, an area or a danger zone; returns it and the network with it closed."""
    current = router.network(session)
    if data.kind is ClosureKind.road:
        if data.segment_id is None:
            raise InvalidInput("a road closure names the segment: segment_id", field="segment_id")
        if data.area is not None:
            raise InvalidInput("a road closure takes segment_id, not an area", field="area")
        segment = session.get(RoadSegment, data.segment_id)
        if segment is None:
            raise InvalidInput(f"road segment {data.segment_id} does not exist", field="segment_id")
        geom = segment.geom
    else:
        if data.area is None:
            raise InvalidInput(f"a {data.kind.value} closure needs an area (GeoJSON Polygon)", field="area")
        if data.segment_id is not None:
            raise InvalidInput(
                f"a {data.kind.value} closure takes an area, not segment_id", field="segment_id"
            )
        geom = geo.to_db(geo.parse_geojson(data.area, field="area", allowed=("Polygon", "MultiPolygon")))
    exercise_id = None
    if data.incident_id is not None:
        incident = session.get(Incident, data.incident_id)
        if incident is None:
            raise InvalidInput(f"incident {data.incident_id} does not exist", field="incident_id")
        exercise_id = incident.exercise_id
    now = clock.now()
    closure = Closure(
        kind=data.kind,
        segment_id=data.segment_id,
        geom=geom,
        reason=data.reason,
        incident_id=data.incident_id,
        active=True,
        created_by=data.created_by,
        created_at=now,
        exercise_id=exercise_id,
        updated_at=now,
    )
    session.add(closure)
    session.flush()
    mask = current.blocked | mask_for(current.graph, [closure])
    net = current.with_closed(mask, zones=[*current.zones, *danger_zones([closure])])
    net.inherit_snaps(current)
    newly = int(mask.sum() - current.blocked.sum())
    resources.record_change(
        session,
        entity_type=WHAT,
        row=closure,
        action="created",
        feature=closure_feature(closure),
        payload={"segments_closed": newly},
        clock=clock,
        actor=data.created_by,
    )
    return closure, net


def lift(
    session: Session, *, closure_id: int, router: Router, clock: Clock, actor: str | None = None
) -> tuple[Closure, Network | None]:
    """Reopen what a closure closed; returns it and the network without it (None if it was already lifted)."""
    closure = get(session, closure_id=closure_id)
    if not closure.active:
        return closure, None
    current = router.network(session)
    now = clock.now()
    try:
        with session.begin_nested():
            closure.active = False
            closure.lifted_at = now
            closure.lifted_by = actor
            closure.updated_at = now
    except StaleDataError as exc:  # lifted (or edited) by someone else after we read it
        raise Conflict(f"closure {closure_id} changed while you worked; try again", field="id") from exc
    others = list(session.scalars(select(Closure).where(Closure.active.is_(True), Closure.id != closure.id)))
    net = current.with_closed(mask_for(current.graph, others), zones=danger_zones(others))
    resources.record_change(
        session,
        entity_type=WHAT,
        row=closure,
        action="lifted",
        feature=closure_feature(closure),
        clock=clock,
        actor=actor,
    )
    return closure, net
