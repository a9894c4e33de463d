"""Base map layers drawn from gis_data: the district boundary, towns, the chemical park, water."""

from __future__ import annotations

from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from commandpost.db import Base


class MapFeature(Base):
    __tablename__ = "map_features"
    __table_args__ = (UniqueConstraint("layer", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    layer: Mapped[str] = mapped_column(String(40), index=True, comment="boundary, towns, park, water…")
    ref: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(120))
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    geom: Mapped[WKBElement] = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=True))
