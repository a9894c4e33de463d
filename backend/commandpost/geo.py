"""Geometry at the edges: GeoJSON in and out, validation, WGS 84 storage, metres in a local CRS.

Schemas speak GeoJSON, services speak Shapely, models hold WKB; the conversions are here.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, overload

import numpy as np
import shapely
from geoalchemy2 import WKBElement
from geoalchemy2.shape import from_shape, to_shape
from pyproj import Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from commandpost.errors import InvalidGeometry, OutsideOperatingArea

WGS84 = 4326
BBox = tuple[float, float, float, float]


def _check_ranges(geom: BaseGeometry, field: str) -> None:
    coords = shapely.get_coordinates(geom)
    if coords.size == 0:
        raise InvalidGeometry("geometry is empty", field=field)
    if not np.isfinite(coords).all():
        raise InvalidGeometry("coordinates must be finite numbers (no NaN or infinity)", field=field)
    lons, lats = coords[:, 0], coords[:, 1]
    if not ((lons >= -180) & (lons <= 180)).all():
        bad = float(lons[(lons < -180) | (lons > 180)][0])
        raise InvalidGeometry(f"longitude {bad} is outside -180..180", field=field)
    if not ((lats >= -90) & (lats <= 90)).all():
        bad = float(lats[(lats < -90) | (lats > 90)][0])
        raise InvalidGeometry(f"latitude {bad} is outside -90..90", field=field)


def parse_geojson(
    geometry: dict[str, Any] | Any, *, field: str = "geometry", allowed: Sequence[str] | None = None
) -> BaseGeometry:
    """A GeoJSON geometry as a valid Shapely geometry in WGS 84, or `InvalidGeometry` naming the field."""
    if hasattr(geometry, "model_dump"):
        geometry = geometry.model_dump(exclude_none=True)
    try:
        geom = shape(geometry)
    except Exception as exc:
        raise InvalidGeometry(f"not a GeoJSON geometry: {exc}", field=field) from exc
    if allowed is not None and geom.geom_type not in allowed:
        raise InvalidGeometry(
            f"{geom.geom_type} not allowed here; expected {' or '.join(allowed)}", field=field
        )
    _check_ranges(geom, field)
    if not geom.is_valid:
        raise InvalidGeometry(f"invalid geometry: {explain_validity(geom)}", field=field)
    return geom


def check_operating_area(geom: BaseGeometry, area: BBox, *, field: str) -> None:
    """A place outside the operating area (the district plus a margin) is a typo, not a dispatch."""
    minx, miny, maxx, maxy = geom.bounds
    if minx < area[0] or miny < area[1] or maxx > area[2] or maxy > area[3]:
        box = ",".join(f"{v:.3f}" for v in area)
        raise OutsideOperatingArea(
            f"outside the operating area (lon,lat box {box}: the district plus the configured margin); "
            "check the coordinates are [lon, lat] in WGS 84",
            field=field,
        )


def point(lon: float, lat: float, *, field: str = "geometry") -> BaseGeometry:
    return parse_geojson({"type": "Point", "coordinates": [lon, lat]}, field=field)


@overload
def to_db(geom: None) -> None: ...
@overload
def to_db(geom: BaseGeometry) -> WKBElement: ...
def to_db(geom: BaseGeometry | None) -> WKBElement | None:
    """A Shapely geometry as the WKB a geometry column stores (WGS 84)."""
    if geom is None:
        return None
    element: WKBElement = from_shape(geom, srid=WGS84)
    return element


def from_db(element: WKBElement | None) -> BaseGeometry | None:
    return None if element is None else to_shape(element)


def to_geojson(element: WKBElement | BaseGeometry | None) -> dict[str, Any] | None:
    if element is None:
        return None
    if isinstance(element, WKBElement):
        lonlat = wkb_point(element.data)
        if lonlat is not None:
            return {"type": "Point", "coordinates": list(lonlat)}
    geom = element if isinstance(element, BaseGeometry) else to_shape(element)
    return dict(mapping(geom))


_EWKB_SRID_FLAG = 0x20000000
_WKB_POINT = 1


def wkb_point(data: bytes | memoryview | str) -> tuple[float, float] | None:
    """(lon, lat) of a 2-D (E)WKB point without building a Shapely object; None for anything else.

    Layers are mostly points, and this is an order of magnitude cheaper than a GEOS round trip.
    """
    if isinstance(data, str):
        data = bytes.fromhex(data)
    raw = bytes(data)
    if len(raw) < 21:
        return None
    order = "<" if raw[0] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", raw, 1)
    offset = 5
    if kind & _EWKB_SRID_FLAG:
        kind &= ~_EWKB_SRID_FLAG
        offset += 4
    if kind != _WKB_POINT or len(raw) != offset + 16:
        return None
    x, y = struct.unpack_from(order + "dd", raw, offset)
    return (x, y)


def wkb_to_geojson_many(blobs: Sequence[bytes | None]) -> list[dict[str, Any] | None]:
    """Vectorised WKB → GeoJSON for serving large layers."""
    geoms = shapely.from_wkb([b if b is None else bytes(b) for b in blobs])
    out: list[dict[str, Any] | None] = []
    for g in geoms:
        out.append(None if g is None else dict(mapping(g)))
    return out


@lru_cache(maxsize=8)
def _to_metric(metric_crs: str) -> Transformer:
    return Transformer.from_crs(WGS84, metric_crs, always_xy=True)


def to_metric(geom: BaseGeometry, metric_crs: str) -> BaseGeometry:
    """Project a WGS 84 geometry into a metric CRS such as UTM 50N (EPSG:32650)."""
    transformer = _to_metric(metric_crs)
    return shapely.transform(geom, lambda xy: _stack(transformer.transform(xy[:, 0], xy[:, 1])))


@lru_cache(maxsize=8)
def _from_metric(metric_crs: str) -> Transformer:
    return Transformer.from_crs(metric_crs, WGS84, always_xy=True)


def from_metric(geom: BaseGeometry, metric_crs: str) -> BaseGeometry:
    """Project a geometry in the configured metric CRS (metres) back to WGS 84."""
    transformer = _from_metric(metric_crs)
    return shapely.transform(geom, lambda xy: _stack(transformer.transform(xy[:, 0], xy[:, 1])))


def distance_m(a: BaseGeometry, b: BaseGeometry, metric_crs: str) -> float:
    return float(to_metric(a, metric_crs).distance(to_metric(b, metric_crs)))


def _stack(xy: tuple[Any, Any]) -> Any:
    return np.column_stack(xy)


def parse_bbox(text: str | None, *, field: str = "bbox") -> BBox | None:
    """`minLon,minLat,maxLon,maxLat` (RFC 7946 order) or `InvalidGeometry`."""
    if text is None or text == "":
        return None
    parts = text.split(",")
    if len(parts) != 4:
        raise InvalidGeometry("bbox needs four numbers: minLon,minLat,maxLon,maxLat", field=field)
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError as exc:
        raise InvalidGeometry("bbox values must be numbers", field=field) from exc
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise InvalidGeometry("bbox values must be finite", field=field)
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InvalidGeometry(
            "bbox must satisfy -180 ≤ minLon ≤ maxLon ≤ 180 and -90 ≤ minLat ≤ maxLat ≤ 90", field=field
        )
    return (minx, miny, maxx, maxy)


# --- Chinese map coordinates -------------------------------------------------------------
# Amap/Tencent publish GCJ-02, an obfuscated offset of WGS 84 inside China. The forward formula is
# public; the inverse has no closed form, so it is solved by fixed-point iteration (residual < 1e-7°).

_A = 6378245.0
_EE = 0.00669342162296594323


def _out_of_china(lon: float, lat: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _offset(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlon += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if _out_of_china(lon, lat):
        return lon, lat
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    if _out_of_china(lon, lat):
        return lon, lat
    wlon, wlat = lon, lat
    for _ in range(30):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dx, dy = glon - lon, glat - lat
        wlon, wlat = wlon - dx, wlat - dy
        if abs(dx) < 1e-9 and abs(dy) < 1e-9:
            break
    return wlon, wlat


# Baidu publishes BD-09, a second offset applied on top of GCJ-02 (public formula, closed-form inverse).
_X_PI = math.pi * 3000.0 / 180.0


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    if _out_of_china(lon, lat):
        return lon, lat
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    if _out_of_china(lon, lat):
        return lon, lat
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


_CHINESE_OFFSETS = {"GCJ02": gcj02_to_wgs84, "BD09": bd09_to_wgs84, "BD09LL": bd09_to_wgs84}
# China Geodetic Coordinate System 2000 by name; its frame agrees with WGS 84 to a few centimetres.
_NAMED = {"CGCS2000": "EPSG:4490"}


def convert_geometry(geom: BaseGeometry, source_crs: str, *, field: str = "crs") -> BaseGeometry:
    """A geometry from a source CRS (`WGS84`, `CGCS2000`, `GCJ02`, `BD09` or an EPSG code) in WGS 84;
    the Chinese offsets are only applied inside China, as the map services apply them."""
    crs = source_crs.upper().replace("-", "").replace("_", "").replace(" ", "")
    source_crs = _NAMED.get(crs, source_crs)
    if crs in ("WGS84", "EPSG:4326", "CRS84", "URN:OGC:DEF:CRS:OGC:1.3:CRS84"):
        return geom
    if crs in _CHINESE_OFFSETS:
        return shapely.transform(geom, _vectorise(_CHINESE_OFFSETS[crs]))
    try:
        transformer = Transformer.from_crs(source_crs, WGS84, always_xy=True)
    except CRSError as exc:
        raise InvalidGeometry(
            f"unknown coordinate system {source_crs!r}: use WGS84, CGCS2000, GCJ-02, BD-09 or an EPSG code",
            field=field,
        ) from exc
    return shapely.transform(geom, lambda xy: _stack(transformer.transform(xy[:, 0], xy[:, 1])))


def _vectorise(fn: Any) -> Any:
    def apply(xy: Any) -> Any:
        return np.array([fn(float(x), float(y)) for x, y in xy])

    return apply


def bounds_of(geoms: Iterable[BaseGeometry]) -> BBox | None:
    collection = shapely.GeometryCollection(list(geoms))
    if collection.is_empty:
        return None
    minx, miny, maxx, maxy = collection.bounds
    return (minx, miny, maxx, maxy)
