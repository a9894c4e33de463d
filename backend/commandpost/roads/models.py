"""The road layer routing runs on: segments with class, direction and speed."""

from __future__ import annotations

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import BigInteger, Boolean, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from commandpost.db import Base


class RoadSegment(Base):
    __tablename__ = "road_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    osm_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), index=True)
    name: Mapped[str | None] = mapped_column(String(120))
    ref: Mapped[str | None] = mapped_column(String(40), comment="road number, e.g. G15")
    road_class: Mapped[str] = mapped_column(String(24), comment="OSM highway=*: motorway, trunk, primary…")
    oneway: Mapped[bool] = mapped_column(Boolean, default=False, comment="drivable only in drawing direction")
    speed_kmh: Mapped[float] = mapped_column(Float)
    length_m: Mapped[float] = mapped_column(Float)
    geom: Mapped[WKBElement] = mapped_column(Geometry("LINESTRING", srid=4326, spatial_index=True))
    source: Mapped[str] = mapped_column(String(60), comment="osm, or approximation for hand-drawn demo roads")
