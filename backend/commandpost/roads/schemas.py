"""Road segments out as GeoJSON features; what an import reports."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from commandpost import geo
from commandpost.roads.models import RoadSegment


class ClassTotal(BaseModel):
    segments: int
    km: float


class ImportReport(BaseModel):
    """What an import put in the road layer."""

    source: str = Field(description="the file, or `geojson`")
    segments: int
    km: float = Field(description="total length of the segments stored")
    oneway_segments: int
    by_class: dict[str, ClassTotal]
    replaced: int = Field(description="segments removed from the previous road layer")
    clipped: bool = False


def road_feature(road: RoadSegment) -> dict[str, Any]:
    """A segment as a GeoJSON Feature drawn in its driving direction."""
    return {
        "type": "Feature",
        "id": road.id,
        "geometry": geo.to_geojson(road.geom),
        "properties": {
            "id": road.id,
            "osm_id": road.osm_id,
            "name": road.name,
            "ref": road.ref,
            "road_class": road.road_class,
            "oneway": road.oneway,
            "speed_kmh": road.speed_kmh,
            "length_m": road.length_m,
            "source": road.source,
        },
    }
