"""The base map: what the district looks like under the live layers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commandpost import geo
from commandpost.basemap.models import MapFeature
from commandpost.errors import NotFound


def layers(session: Session) -> list[dict[str, Any]]:
    """Each base layer with its feature count."""
    rows = session.execute(
        select(MapFeature.layer, func.count()).group_by(MapFeature.layer).order_by(MapFeature.layer)
    ).all()
    return [{"layer": layer, "features": count} for layer, count in rows]


def features(session: Session, *, layer: str) -> list[MapFeature]:
    """Every feature of one base layer, or NotFound if the layer was never loaded."""
    rows = list(session.scalars(select(MapFeature).where(MapFeature.layer == layer).order_by(MapFeature.id)))
    if not rows:
        known = ", ".join(item["layer"] for item in layers(session)) or "none loaded"
        raise NotFound(f"no base layer called {layer!r} (layers: {known})", field="layer")
    return rows


def upsert(
    session: Session,
    *,
    layer: str,
    ref: str,
    name: str | None,
    properties: dict[str, Any],
    geometry: dict[str, Any],
) -> MapFeature:
    """Create or replace one base map feature, keyed by (layer, ref)."""
    geom = geo.to_db(geo.parse_geojson(geometry, field=f"{layer}.{ref}.geometry"))
    row = session.scalar(select(MapFeature).where(MapFeature.layer == layer, MapFeature.ref == ref))
    if row is None:
        row = MapFeature(layer=layer, ref=ref)
        session.add(row)
    row.name = name
    row.properties = properties
    row.geom = geom
    return row


def district_bounds(session: Session) -> geo.BBox | None:
    """The district boundary's box, to frame the map."""
    rows = session.scalars(select(MapFeature).where(MapFeature.layer == "boundary")).all()
    return geo.bounds_of(g for g in (geo.from_db(r.geom) for r in rows) if g is not None)
