"""Major hazard sources (重大危险源): installations holding dangerous chemicals above GB 18218-2018 limits."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commandpost.db import Base, Versioned


class HazardGrade(StrEnum):
    """GB 18218-2018 grade from the R value: I (R ≥ 100, most severe) … IV (R < 10)."""

    I = "I"  # noqa: E741 - the standard's own name
    II = "II"
    III = "III"
    IV = "IV"


class RiskColour(StrEnum):
    red = "red"
    orange = "orange"
    yellow = "yellow"
    blue = "blue"


class HazardSource(Versioned, Base):
    __tablename__ = "hazard_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    enterprise: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(120))
    # A tank farm is often drawn as a polygon, a single vessel as a point.
    site: Mapped[WKBElement] = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=True))
    # Computed from the chemicals by GB 18218-2018 (commandpost.hazards.gb18218); grade is None below S = 1.
    grade: Mapped[HazardGrade | None]
    s_value: Mapped[float | None] = mapped_column(Numeric(14, 4, asdecimal=False))
    r_value: Mapped[float | None] = mapped_column(Numeric(10, 2, asdecimal=False))
    risk_colour: Mapped[RiskColour | None]
    # Set when an officer chose the colour instead of the grade's: the colour then stays until cleared.
    risk_colour_reason: Mapped[str | None] = mapped_column(Text)
    exposed_population: Mapped[int | None] = mapped_column(comment="people within 500 m (GB 18218 α)")
    updated_at: Mapped[datetime]

    chemicals: Mapped[list[StoredChemical]] = relationship(
        back_populates="hazard_source", cascade="all, delete-orphan", order_by="StoredChemical.id"
    )


class StoredChemical(Base):
    __tablename__ = "stored_chemicals"

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_source_id: Mapped[int] = mapped_column(
        ForeignKey("hazard_sources.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    cas: Mapped[str | None] = mapped_column(String(20))
    quantity_t: Mapped[float] = mapped_column(Numeric(14, 3, asdecimal=False))
    category: Mapped[str | None] = mapped_column(String(8), comment="GB 18218-2018 table 2 symbol, e.g. W2")

    hazard_source: Mapped[HazardSource] = relationship(back_populates="chemicals")
