"""Road closures: a closed segment, a closed area, or a danger zone that no route may enter."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from commandpost.db import Base, Versioned


class ClosureKind(StrEnum):
    road = "road"  # one segment of the road layer, both directions
    area = "area"  # every segment touching a drawn polygon
    danger_zone = "danger_zone"  # likewise, for a toxic/fire/blast zone around an incident


class Closure(Versioned, Base):
    __tablename__ = "road_closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ClosureKind]
    segment_id: Mapped[int | None] = mapped_column(comment="the closed road segment (kind road)")
    # The closed segment's line, or the area / zone polygon: what the map draws.
    geom: Mapped[WKBElement] = mapped_column(Geometry(srid=4326, spatial_index=True))
    reason: Mapped[str | None] = mapped_column(String(300))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True, index=True)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(100))
    exercise_id: Mapped[int | None] = mapped_column(index=True)
    updated_at: Mapped[datetime]
