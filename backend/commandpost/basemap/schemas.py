"""Base map features out: plain GeoJSON with the source's properties."""

from __future__ import annotations

from typing import Any

from geojson_pydantic import Feature, FeatureCollection
from geojson_pydantic.geometries import Geometry
from pydantic import BaseModel, Field

from commandpost import geo
from commandpost.basemap.models import MapFeature


def map_feature(row: MapFeature) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": row.id,
        "geometry": geo.to_geojson(row.geom),
        "properties": {"ref": row.ref, "name": row.name, "layer": row.layer, **row.properties},
    }


class BaseLayerCount(BaseModel):
    layer: str = Field(examples=["towns"])
    features: int


class BaseMap(BaseModel):
    layers: list[BaseLayerCount]
    bbox: list[float] | None = Field(description="the district's extent: west, south, east, north")


class MapProperties(BaseModel, extra="allow"):
    """The source's properties, beside these."""

    ref: str
    name: str | None
    layer: str


MapFeatureOut = Feature[Geometry, MapProperties]
MapLayer = FeatureCollection[MapFeatureOut]
