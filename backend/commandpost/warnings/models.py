"""Early warnings (预警), four colours: blue (IV), yellow (III), orange (II), red (I)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from commandpost.db import Base, Versioned


class WarningLevel(StrEnum):
    blue = "blue"
    yellow = "yellow"
    orange = "orange"
    red = "red"


WARNING_RANK = {WarningLevel.blue: 1, WarningLevel.yellow: 2, WarningLevel.orange: 3, WarningLevel.red: 4}


class WarningSource(StrEnum):
    sensor = "sensor"
    manual = "manual"


class WarningStatus(StrEnum):
    active = "active"
    acknowledged = "acknowledged"
    cleared = "cleared"


class Warning(Versioned, Base):
    __tablename__ = "warnings"

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[WarningLevel]
    source: Mapped[WarningSource]
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str | None] = mapped_column(Text)
    area: Mapped[WKBElement] = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=True))
    status: Mapped[WarningStatus] = mapped_column(default=WarningStatus.active, index=True)
    hazard_source_id: Mapped[int | None] = mapped_column(ForeignKey("hazard_sources.id", ondelete="SET NULL"))
    sensor_id: Mapped[int | None] = mapped_column(ForeignKey("sensors.id", ondelete="SET NULL"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime]
    issued_by: Mapped[str | None] = mapped_column(String(100))
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    cleared_at: Mapped[datetime | None]
    cleared_by: Mapped[str | None] = mapped_column(String(100))
    exercise_id: Mapped[int | None] = mapped_column(index=True)
    # Whom the duty roster called because nobody acknowledged it: [{step, person, role, phone, rank, at}].
    roster_calls: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=list)
    # The source's detectors offline or in fault while it is orange or red: [{sensor, ref, state, since}].
    blind_detectors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime]
