"""Road segments out as GeoJSON features; what an import reports."""

from __future__ import annotations

from typing import Any

from geojson_pydantic import Feature, LineString
from pydantic import BaseModel, Field

from commandpost import geo
from commandpost.roads.models import RoadSegment
from commandpost.schemas import LayerPage


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


class RoadProperties(BaseModel):
    id: int
    osm_id: int | None
    name: str | None
    ref: str | None
    road_class: str = Field(examples=["primary"])
    oneway: bool = Field(description="drivable only in the drawing direction")
    speed_kmh: float
    length_m: float
    source: str


RoadFeature = Feature[LineString, RoadProperties]
RoadLayer = LayerPage[RoadFeature]
