"""The OGC API – Features documents: landing page, conformance, collections."""

from __future__ import annotations

from typing import Any

from geojson_pydantic import Feature, FeatureCollection
from geojson_pydantic.geometries import Geometry
from pydantic import BaseModel, Field

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


class OgcLink(BaseModel):
    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class LandingPage(BaseModel):
    title: str
    description: str
    links: list[OgcLink]


class Conformance(BaseModel):
    conformsTo: list[str]


class SpatialExtent(BaseModel):
    bbox: list[list[float]] = Field(description="minLon, minLat, maxLon, maxLat (CRS84)")
    crs: str = CRS84


class TemporalExtent(BaseModel):
    interval: list[list[str | None]]
    trs: str = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


class Extent(BaseModel):
    spatial: SpatialExtent
    temporal: TemporalExtent | None = None


class CollectionOut(BaseModel):
    id: str
    title: str
    description: str
    links: list[OgcLink]
    extent: Extent
    itemType: str = "feature"
    crs: list[str] = [CRS84]


class Collections(BaseModel):
    links: list[OgcLink]
    collections: list[CollectionOut]


class Item(Feature[Geometry, dict[str, Any]]):
    """One feature: the layer's own GeoJSON Feature (its properties as the platform's layer has them)."""

    links: list[OgcLink] | None = None


class Items(FeatureCollection[Feature[Geometry, dict[str, Any]]]):
    """A page of a collection's features, with OGC API counts and `next`/`prev` links."""

    numberMatched: int = Field(description="features matching the query, all pages")
    numberReturned: int = Field(description="features on this page")
    timeStamp: str = Field(description="when the page was read")
    links: list[OgcLink]
