"""The OGC API – Features documents: landing page, conformance, collections."""

from __future__ import annotations

from pydantic import BaseModel, Field

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


class Link(BaseModel):
    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class LandingPage(BaseModel):
    title: str
    description: str
    links: list[Link]


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
    links: list[Link]
    extent: Extent
    itemType: str = "feature"
    crs: list[str] = [CRS84]


class Collections(BaseModel):
    links: list[Link]
    collections: list[CollectionOut]
