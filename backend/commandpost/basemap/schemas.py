"""Base map features out: plain GeoJSON with the source's properties."""

from __future__ import annotations

from typing import Any

from commandpost import geo
from commandpost.basemap.models import MapFeature


def map_feature(row: MapFeature) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": row.id,
        "geometry": geo.to_geojson(row.geom),
        "properties": {"ref": row.ref, "name": row.name, "layer": row.layer, **row.properties},
    }
