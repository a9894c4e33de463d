"""Rules for routing: the road graph of this process kept in step with the road layer and closures,
travel times and routes on it, and closing or reopening roads."""

from __future__ import annotations

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


def blocked_mask(session: Session, graph: RoadGraph, *, extra: Sequence[Closure] = ()) -> NDArray[np.bool_]:
    """Which segments the active closures (and `extra` ones not yet stored) close."""
    closures = list(session.scalars(select(Closure).where(Closure.active.is_(True))))
    return mask_for(graph, [*closures, *extra])


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


class Router:
    """The road network of this process, rebuilt when the road layer is re-imported and re-masked
    when a closure changes (in this process or another: it checks the stamps on every use)."""

    def __init__(self) -> None:
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
                self._net = self._graph.network(blocked_mask(session, self._graph), version=version)
                if older is not None:
                    self._net.inherit_snaps(older)
            return self._net


# --- travel times and routes -------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """Travel from many points to one target on one network."""

    net: Network
    field: Field
    sources: Snaps
    travel: Travel

    def route(self, i: int) -> dict[str, Any] | None:
        return self.net.route(self.field, self.sources, self.travel, i)


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
    """Time and distance from every source (k×2 lon/lat) to the target point, in one search."""
    snapped = net.snap(lonlat_of([target]))
    if snapped.seg[0] < 0:
        raise Unavailable(
            "no open road to route on: load a road layer (`commandpost load` or `import-roads`)", field=field
        )
    fld = net.field_to(snapped)
    placed = net.snap(sources)
    return Reach(net=net, field=fld, sources=placed, travel=net.travel(fld, placed))


def route_feature(route: dict[str, Any] | None, **properties: Any) -> dict[str, Any]:
    """A computed route as a GeoJSON Feature (geometry null when there is no route)."""
    if route is None:
        return {"type": "Feature", "geometry": None, "properties": {**properties, "reachable": False}}
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
        },
    }


def route_between(
    session: Session, *, router: Router, start: BaseGeometry, end: BaseGeometry
) -> dict[str, Any]:
    """The fastest open route from `start` to `end` as a Feature with per-leg times."""
    found = reach(router.network(session), target=end, sources=lonlat_of([start]), field="to")
    return route_feature(found.route(0))


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
    net = current.graph.network(mask)
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
    closure.active = False
    closure.lifted_at = now
    closure.lifted_by = actor
    closure.updated_at = now
    try:
        session.flush()
    except StaleDataError as exc:  # lifted (or edited) by someone else after we read it
        session.rollback()
        raise Conflict(f"closure {closure_id} changed while you worked; try again", field="id") from exc
    others = list(session.scalars(select(Closure).where(Closure.active.is_(True), Closure.id != closure.id)))
    net = current.graph.network(mask_for(current.graph, others))
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
