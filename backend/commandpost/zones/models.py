"""Threat zones (影响区域) saved against an incident: one polygon per level of concern, ring or ERG area."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import JSON, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from commandpost.db import Base


class ZoneStatus(StrEnum):
    active = "active"
    cleared = "cleared"


class ThreatZone(Base):
    __tablename__ = "threat_zones"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    # The zones of one model run share it: they are drawn, replaced and cleared together.
    run_id: Mapped[str] = mapped_column(String(36), index=True)
    model: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(300))
    threshold: Mapped[float | None] = mapped_column(Float)
    threshold_unit: Mapped[str | None] = mapped_column(String(16))
    basis: Mapped[str | None] = mapped_column(Text)
    distance_m: Mapped[float] = mapped_column(Float)
    at_least: Mapped[bool] = mapped_column(default=False)
    area: Mapped[WKBElement] = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=True))
    source: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    reference: Mapped[str] = mapped_column(Text)
    status: Mapped[ZoneStatus] = mapped_column(default=ZoneStatus.active, index=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(100))
    cleared_at: Mapped[datetime | None]
    cleared_by: Mapped[str | None] = mapped_column(String(100))
    exercise_id: Mapped[int | None] = mapped_column(index=True, comment="set for a drill incident's zones")
    # No foreign key (SQLite cannot add one to this spatial table); closures are lifted, never deleted.
    closure_id: Mapped[int | None] = mapped_column(
        comment="the danger-zone closure that keeps routes out while the zone is active",
    )
