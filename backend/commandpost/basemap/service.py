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
) -> tuple[MapFeature, str]:
    """Create or replace one base map feature, keyed by (layer, ref); says created, updated or unchanged."""
    shape = geo.parse_geojson(geometry, field=f"{layer}.{ref}.geometry")
    row = session.scalar(select(MapFeature).where(MapFeature.layer == layer, MapFeature.ref == ref))
    outcome = "created" if row is None else "updated"
    if row is None:
        row = MapFeature(layer=layer, ref=ref)
        session.add(row)
    else:
        stored = geo.from_db(row.geom)
        same_shape = stored is not None and stored.equals_exact(shape, 1e-9)
        if row.name == name and row.properties == properties and same_shape:
            return row, "unchanged"
    row.name = name
    row.properties = properties
    row.geom = geo.to_db(shape)
    return row, outcome


def district_bounds(session: Session) -> geo.BBox | None:
    """The district boundary's box, to frame the map."""
    rows = session.scalars(select(MapFeature).where(MapFeature.layer == "boundary")).all()
    return geo.bounds_of(g for g in (geo.from_db(r.geom) for r in rows) if g is not None)
