"""Emergency shelters (避难场所): where evacuated people go, and how many fit."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from commandpost.db import Base, Versioned


class Shelter(Versioned, Base):
    __tablename__ = "shelters"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(
        String(40), default="indoor", comment="indoor, outdoor, school, stadium…"
    )
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    capacity: Mapped[int]
    address: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str | None] = mapped_column(String(60))
    updated_at: Mapped[datetime]
