"""Drivable road segments from an OpenStreetMap extract (.osm.pbf, .osm, .osm.bz2, .o5m).

A segment is a piece of a drivable way between two graph vertices: a way's end nodes and every
node that two ways (or one way twice) pass through. Routing builds its graph from segment
endpoints, so a crossing that is not a vertex here cannot be turned at.

Direction is the drawing direction: `oneway=-1` ways are reversed at import, so `oneway`
always means "drivable start → end only".
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import shapely
from osmium.filter import EntityFilter, KeyFilter
from pyproj import Geod
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from commandpost import geo
from commandpost.errors import InvalidGeometry, InvalidInput


class RoadClass(StrEnum):
    """OSM `highway=*` values a fire engine can drive on."""

    motorway = "motorway"
    motorway_link = "motorway_link"
    trunk = "trunk"
    trunk_link = "trunk_link"
    primary = "primary"
    primary_link = "primary_link"
    secondary = "secondary"
    secondary_link = "secondary_link"
    tertiary = "tertiary"
    tertiary_link = "tertiary_link"
    unclassified = "unclassified"
    residential = "residential"
    living_street = "living_street"
    service = "service"
    road = "road"


# Speed when a way says nothing usable in maxspeed (km/h).
DEFAULT_SPEED_KMH: dict[RoadClass, float] = {
    RoadClass.motorway: 100,
    RoadClass.motorway_link: 60,
    RoadClass.trunk: 80,
    RoadClass.trunk_link: 50,
    RoadClass.primary: 60,
    RoadClass.primary_link: 40,
    RoadClass.secondary: 50,
    RoadClass.secondary_link: 40,
    RoadClass.tertiary: 40,
    RoadClass.tertiary_link: 30,
    RoadClass.unclassified: 30,
    RoadClass.residential: 30,
    RoadClass.living_street: 10,
    RoadClass.service: 15,
    RoadClass.road: 30,
}

# Not through-roads: the lanes of a car park and private driveways.
EXCLUDED_SERVICE = frozenset({"parking_aisle", "driveway"})
NO_ACCESS = frozenset({"no", "private"})
IMPLIED_ONEWAY = frozenset({RoadClass.motorway, RoadClass.motorway_link})
ROUNDABOUT = frozenset({"roundabout", "circular"})
MAX_SPEED_KMH = 200.0

_GEOD = Geod(ellps="WGS84")
_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$", re.IGNORECASE)
_TO_KMH = {"mph": 1.609344, "knots": 1.852}
_TAGS = (
    "highway",
    "name",
    "ref",
    "oneway",
    "junction",
    "maxspeed",
    "access",
    "motor_vehicle",
    "area",
    "service",
)


@dataclass(frozen=True)
class Segment:
    """One drivable piece of road between two graph vertices, ready to store."""

    osm_id: int | None
    name: str | None
    ref: str | None
    road_class: RoadClass
    oneway: bool
    speed_kmh: float
    length_m: float
    geometry: LineString
    # OSM node ids of the two ends (None for an end made by clipping or for hand-drawn roads).
    start_node: int | None = None
    end_node: int | None = None
    source: str = "osm"


@dataclass
class _Way:
    osm_id: int | None
    name: str | None
    ref: str | None
    road_class: RoadClass
    oneway: bool
    speed_kmh: float
    keys: list[Hashable]  # one vertex key per point: OSM node id, or a coordinate
    coords: list[tuple[float, float]]
    source: str = "osm"


# --- tags ------------------------------------------------------------------------------------


def parse_maxspeed(value: str | None) -> float | None:
    """`50`, `50 km/h`, `30 mph`, `50;30` (the lowest) in km/h; None for `FR:urban`, `none`, `signals`…"""
    if not value:
        return None
    speeds = []
    for part in value.split(";"):
        match = _SPEED.match(part)
        if match is None:
            continue
        speed = float(match.group(1)) * _TO_KMH.get((match.group(2) or "").lower(), 1.0)
        if 0 < speed <= MAX_SPEED_KMH:
            speeds.append(speed)
    return round(min(speeds), 1) if speeds else None


def road_class_of(tags: dict[str, str]) -> RoadClass | None:
    """The way's class if a motor vehicle may drive it, else None."""
    try:
        road_class = RoadClass(tags.get("highway", ""))
    except ValueError:
        return None
    if tags.get("area") == "yes":
        return None
    if tags.get("access") in NO_ACCESS or tags.get("motor_vehicle") in NO_ACCESS:
        return None
    if road_class is RoadClass.service and tags.get("service") in EXCLUDED_SERVICE:
        return None
    return road_class


def direction_of(tags: dict[str, str], road_class: RoadClass) -> tuple[bool, bool]:
    """(oneway, reverse): `oneway=-1` is one-way against the drawing direction."""
    value = tags.get("oneway", "").lower()
    if value in ("yes", "true", "1"):
        return True, False
    if value in ("-1", "reverse"):
        return True, True
    if value in ("no", "false", "0"):
        return False, False
    implied = road_class in IMPLIED_ONEWAY or tags.get("junction") in ROUNDABOUT
    return implied, False


def _clean(value: str | None, size: int) -> str | None:
    value = (value or "").strip()
    return value[:size] or None


def _way(
    osm_id: int | None, tags: dict[str, str], keys: list[Hashable], coords: list[tuple[float, float]]
) -> _Way | None:
    road_class = road_class_of(tags)
    if road_class is None:
        return None
    oneway, reverse = direction_of(tags, road_class)
    if reverse:
        keys, coords = keys[::-1], coords[::-1]
    return _Way(
        osm_id=osm_id,
        name=_clean(tags.get("name"), 120),
        ref=_clean(tags.get("ref"), 40),
        road_class=road_class,
        oneway=oneway,
        speed_kmh=parse_maxspeed(tags.get("maxspeed")) or DEFAULT_SPEED_KMH[road_class],
        keys=keys,
        coords=coords,
    )


# --- reading OSM -----------------------------------------------------------------------------


def _read_ways(path: Path) -> Iterator[_Way]:
    """Drivable ways with their node ids and locations; a node missing from the extract breaks the way."""
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(EntityFilter(osmium.osm.WAY))
        .with_filter(KeyFilter("highway"))
    )
    for way in processor:
        if not isinstance(way, osmium.osm.Way):
            continue
        tags = {key: value for key in _TAGS if (value := way.tags.get(key)) is not None}
        if road_class_of(tags) is None:
            continue
        keys: list[Hashable] = []
        coords: list[tuple[float, float]] = []
        for node in way.nodes:
            location = node.location
            if not location.valid():
                yield from _as_way(way.id, tags, keys, coords)
                keys, coords = [], []
            elif not keys or keys[-1] != node.ref:  # skip the same node twice in a row
                keys.append(node.ref)
                coords.append((location.lon, location.lat))
        yield from _as_way(way.id, tags, keys, coords)


def _as_way(
    osm_id: int, tags: dict[str, str], keys: list[Hashable], coords: list[tuple[float, float]]
) -> Iterator[_Way]:
    if len(keys) >= 2 and (piece := _way(osm_id, tags, keys, coords)) is not None:
        yield piece


def _split(ways: Sequence[_Way]) -> Iterator[tuple[_Way, list[Hashable], list[tuple[float, float]]]]:
    """Cut every way at its vertices: its ends and each point other ways (or itself again) pass through."""
    uses = Counter(key for way in ways for key in way.keys)
    for way in ways:
        start = 0
        last = len(way.keys) - 1
        for i in range(1, last + 1):
            if i == last or uses[way.keys[i]] >= 2:
                yield way, way.keys[start : i + 1], way.coords[start : i + 1]
                start = i


def lengths_m(lines: Sequence[BaseGeometry]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Geodesic length (WGS 84 ellipsoid) of each WGS 84 line, in metres."""
    if not lines:
        return np.zeros(0)
    coords, index = shapely.get_coordinates(np.asarray(lines, dtype=object), return_index=True)
    same = index[1:] == index[:-1]
    _, _, dist = _GEOD.inv(
        coords[:-1, 0][same], coords[:-1, 1][same], coords[1:, 0][same], coords[1:, 1][same]
    )
    totals = np.bincount(index[1:][same], weights=np.abs(dist), minlength=len(lines))
    return totals.astype(np.float64)


def _oriented_parts(piece: BaseGeometry, original: LineString) -> list[LineString]:
    """The line parts of a clipped geometry, each drawn in the original's direction."""
    if piece.geom_type == "MultiLineString":
        piece = shapely.line_merge(piece, directed=True)
    parts = [g for g in getattr(piece, "geoms", [piece]) if g.geom_type == "LineString" and g.length > 0]
    out = []
    for part in parts:
        head, tail = part.coords[0], part.coords[-1]
        if original.project(shapely.Point(head)) > original.project(shapely.Point(tail)):
            part = LineString(part.coords[::-1])
        out.append(part)
    return out


def _segments(
    pieces: Iterable[tuple[_Way, list[Hashable], list[tuple[float, float]]]], clip: BaseGeometry | None
) -> list[Segment]:
    rows: list[tuple[_Way, LineString, Hashable, Hashable]] = []
    for way, keys, coords in pieces:
        rows.append((way, LineString(coords), keys[0], keys[-1]))
    if clip is not None and rows:
        shapely.prepare(clip)
        lines = np.asarray([r[1] for r in rows], dtype=object)
        keep = shapely.intersects(clip, lines)
        inside = shapely.contains_properly(clip, lines)
        clipped: list[tuple[_Way, LineString, Hashable, Hashable]] = []
        for (way, line, head, tail), touches, whole in zip(rows, keep, inside, strict=True):
            if whole:
                clipped.append((way, line, head, tail))
            elif touches:
                for part in _oriented_parts(line.intersection(clip), line):
                    clipped.append(
                        (
                            way,
                            part,
                            head if part.coords[0] == line.coords[0] else None,
                            tail if part.coords[-1] == line.coords[-1] else None,
                        )
                    )
        rows = clipped
    lengths = lengths_m([r[1] for r in rows])
    return [
        Segment(
            osm_id=way.osm_id,
            name=way.name,
            ref=way.ref,
            road_class=way.road_class,
            oneway=way.oneway,
            speed_kmh=way.speed_kmh,
            length_m=round(float(length), 2),
            geometry=line,
            start_node=head if isinstance(head, int) else None,
            end_node=tail if isinstance(tail, int) else None,
            source=way.source,
        )
        for (way, line, head, tail), length in zip(rows, lengths, strict=True)
        if length > 0
    ]


def read_segments(path: str | Path, *, clip: BaseGeometry | None = None) -> list[Segment]:
    """Drivable road segments of an OSM file, split at graph vertices; with `clip`, only what lies inside."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"no OSM file at {path}", field="path")
    try:
        ways = list(_read_ways(path))
    except RuntimeError as exc:  # libosmium: unknown format, truncated or corrupt file
        raise InvalidInput(f"cannot read {path.name} as OpenStreetMap data: {exc}", field="path") from exc
    return _segments(_split(ways), clip)


# --- hand-drawn GeoJSON roads ----------------------------------------------------------------


def _coordinate_key(xy: tuple[float, float]) -> Hashable:
    # Points within ~1 cm are the same junction.
    return (round(xy[0], 7), round(xy[1], 7))


def geojson_segments(features: Sequence[dict[str, Any]]) -> list[Segment]:
    """Segments from GeoJSON LineString features (properties: name, ref, road_class, oneway, speed_kmh),
    split where lines share a point, so a drawn crossing is a junction."""
    ways: list[_Way] = []
    for i, feature in enumerate(features):
        where = f"features[{i}]"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise InvalidInput("expected a GeoJSON Feature", field=where)
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise InvalidInput("properties must be an object", field=f"{where}.properties")
        line = geo.parse_geojson(
            feature.get("geometry"), field=f"{where}.geometry", allowed=("LineString", "MultiLineString")
        )
        try:
            road_class = RoadClass(str(props.get("road_class")))
        except ValueError as exc:
            known = ", ".join(c.value for c in RoadClass)
            raise InvalidInput(
                f"road_class {props.get('road_class')!r} is not one of: {known}",
                field=f"{where}.properties.road_class",
            ) from exc
        oneway = props.get("oneway", False)
        if not isinstance(oneway, bool):
            raise InvalidInput("oneway must be true or false", field=f"{where}.properties.oneway")
        speed = props.get("speed_kmh")
        if speed is not None and (
            isinstance(speed, bool) or not isinstance(speed, int | float) or not 0 < speed <= MAX_SPEED_KMH
        ):
            raise InvalidInput(
                f"speed_kmh must be a number in (0, {MAX_SPEED_KMH:g}]", field=f"{where}.properties.speed_kmh"
            )
        texts = {}
        for key in ("name", "ref", "source"):
            value = props.get(key)
            if value is not None and not isinstance(value, str):
                raise InvalidInput(f"{key} must be text", field=f"{where}.properties.{key}")
            texts[key] = value
        source = _clean(texts["source"], 60) or "approximation"
        for part in getattr(line, "geoms", [line]):
            coords = [(float(x), float(y)) for x, y, *_ in part.coords]
            keys = [_coordinate_key(xy) for xy in coords]
            ways.append(
                _Way(
                    osm_id=props.get("osm_id") if isinstance(props.get("osm_id"), int) else None,
                    name=_clean(texts["name"], 120),
                    ref=_clean(texts["ref"], 40),
                    road_class=road_class,
                    oneway=oneway,
                    speed_kmh=float(speed) if speed is not None else DEFAULT_SPEED_KMH[road_class],
                    keys=keys,
                    coords=coords,
                    source=source,
                )
            )
    return _segments(_split(ways), None)


# --- clip boundaries -------------------------------------------------------------------------


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [
        g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon | MultiPolygon) and not g.is_empty
    ]
    return shapely.union_all(parts)


def _read_poly(text: str) -> BaseGeometry:
    """Osmosis polygon format: a name line, then rings (`!` marks a hole), each closed by END."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    shells: list[Polygon] = []
    holes: list[Polygon] = []
    ring: list[tuple[float, float]] | None = None
    hole = False
    for line in lines[1:]:
        if ring is None:
            if line == "END":
                break
            ring, hole = [], line.startswith("!")
        elif line == "END":
            if len(ring) >= 3:
                (holes if hole else shells).append(Polygon(ring))
            ring = None
        else:
            x, y = line.split()[:2]
            ring.append((float(x), float(y)))
    area = shapely.union_all(shells)
    return area.difference(shapely.union_all(holes)) if holes else area


def read_boundary(path: str | Path) -> BaseGeometry:
    """A clip area from a GeoJSON file (the union of its polygons, WGS 84) or an Osmosis .poly file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read boundary {path}: {exc.strerror}", field="clip") from exc
    if path.suffix.lower() == ".poly":
        try:
            area = _read_poly(text)
        except ValueError as exc:
            raise InvalidGeometry(f"{path.name} is not an Osmosis .poly file: {exc}", field="clip") from exc
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidGeometry(f"{path.name} is not GeoJSON: {exc}", field="clip") from exc
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "FeatureCollection":
            geometries = [f.get("geometry") for f in data.get("features") or [] if isinstance(f, dict)]
        elif kind == "Feature":
            geometries = [data.get("geometry")]
        else:
            geometries = [data]
        shapes = []
        for geometry in geometries:
            if geometry is None:
                continue
            try:
                shapes.append(geo.parse_geojson(geometry, field="clip", allowed=("Polygon", "MultiPolygon")))
            except InvalidGeometry as exc:
                if "invalid geometry" not in exc.detail:
                    raise
                shapes.append(shapely.geometry.shape(geometry))  # self-touching rings: repaired below
        area = shapely.union_all(shapes) if shapes else shapely.GeometryCollection()
    area = _polygonal(area)
    if area.is_empty or not math.isfinite(area.area) or area.area == 0:
        raise InvalidGeometry(f"{path.name} holds no polygon to clip with", field="clip")
    return area
