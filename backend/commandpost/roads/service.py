"""Rules for the road layer: import from OpenStreetMap or hand-drawn GeoJSON, serve it by area and class."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from shapely.geometry.base import BaseGeometry
from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.orm import Session

from commandpost import db, geo, resources
from commandpost.clock import Clock
from commandpost.events import service as events
from commandpost.resources import Page
from commandpost.roads import osm
from commandpost.roads.models import RoadSegment
from commandpost.roads.osm import RoadClass, Segment
from commandpost.roads.schemas import ClassTotal, ImportReport

WHAT = "road_layer"
_BATCH = 2000
# Core insert: one multi-row statement per batch (the ORM bulk path splits batches at every None).
_TABLE = cast(Table, RoadSegment.__table__)


def list_roads(
    session: Session,
    *,
    bbox: geo.BBox | None = None,
    road_class: Sequence[RoadClass] | None = None,
    limit: int,
    offset: int = 0,
) -> Page[RoadSegment]:
    """Segments meeting the box, of the given classes (any class when none given), in id order."""
    stmt = select(RoadSegment).order_by(RoadSegment.id)
    if bbox is not None:
        stmt = stmt.where(db.bbox_filter(session, RoadSegment.__table__.c.geom, bbox))
    if road_class:
        stmt = stmt.where(RoadSegment.road_class.in_([c.value for c in road_class]))
    return resources.page(session, stmt, limit=limit, offset=offset)


def layer_summary(session: Session) -> tuple[int, int, frozenset[str]]:
    """The stored layer's segments, total length in whole metres, and where its segments came from."""
    count, metres = session.execute(select(func.count(), func.sum(RoadSegment.length_m))).one()
    sources = frozenset(s for s in session.scalars(select(RoadSegment.source).distinct()) if s)
    return int(count), round(float(metres or 0)), sources


def summary_of(segments: Sequence[Segment]) -> tuple[int, int, frozenset[str]]:
    """What `layer_summary` would say once these segments are stored."""
    return len(segments), round(sum(s.length_m for s in segments)), frozenset(s.source for s in segments)


def _store(
    session: Session,
    *,
    segments: Sequence[Segment],
    source: str,
    replace: bool,
    clipped: bool,
    clock: Clock,
) -> ImportReport:
    """Write segments (after emptying the layer when `replace`) and log one `road_layer.imported` event."""
    replaced = 0
    if replace:
        replaced = session.scalar(select(func.count()).select_from(RoadSegment)) or 0
        session.execute(delete(RoadSegment))
    rows: list[dict[str, Any]] = [
        {
            "osm_id": s.osm_id,
            "name": s.name,
            "ref": s.ref,
            "road_class": s.road_class.value,
            "oneway": s.oneway,
            "speed_kmh": s.speed_kmh,
            "length_m": s.length_m,
            "geom": geo.to_db(s.geometry),
            "source": s.source,
        }
        for s in segments
    ]
    for start in range(0, len(rows), _BATCH):
        session.execute(insert(_TABLE), rows[start : start + _BATCH])
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for s in segments:
        totals[s.road_class.value][0] += 1
        totals[s.road_class.value][1] += s.length_m
    report = ImportReport(
        source=source,
        segments=len(segments),
        km=round(sum(s.length_m for s in segments) / 1000, 3),
        oneway_segments=sum(s.oneway for s in segments),
        by_class={
            name: ClassTotal(segments=int(count), km=round(metres / 1000, 3))
            for name, (count, metres) in sorted(totals.items(), key=lambda item: -item[1][1])
        },
        replaced=replaced,
        clipped=clipped,
    )
    events.record(
        session,
        type=f"{WHAT}.imported",
        entity_type=WHAT,
        entity_id=None,
        payload=report.model_dump(mode="json"),
        clock=clock,
    )
    session.flush()
    return report


def import_osm(
    session: Session,
    *,
    path: str | Path,
    clip: BaseGeometry | None = None,
    replace: bool = True,
    clock: Clock,
) -> ImportReport:
    """Load the drivable roads of an OSM extract (optionally only inside `clip`) as the road layer.

    With `replace` the previous layer is removed in the same transaction, so readers see the old
    layer or the new one, never a mix. The caller commits. `clock` stamps the `road_layer.imported`
    event.
    """
    segments = osm.read_segments(path, clip=clip)
    return _store(
        session,
        segments=segments,
        source=Path(path).name,
        replace=replace,
        clipped=clip is not None,
        clock=clock,
    )


def load_geojson(
    session: Session, *, features: Sequence[dict[str, Any]], replace: bool = True, clock: Clock
) -> ImportReport:
    """Load hand-drawn GeoJSON roads (LineString features; properties name, ref, road_class, oneway,
    speed_kmh, source), split where they share a point so every drawn junction can be turned at."""
    segments = osm.geojson_segments(features)
    return _store(session, segments=segments, source="geojson", replace=replace, clipped=False, clock=clock)
