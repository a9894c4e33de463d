"""Incidents (事件/事故): something that needs a response, with its timeline."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commandpost.db import Base, Versioned


class IncidentType(StrEnum):
    leak = "leak"
    fire = "fire"
    explosion = "explosion"
    hazmat_transport = "hazmat_transport"
    forest_fire = "forest_fire"
    flood = "flood"
    typhoon = "typhoon"
    traffic = "traffic"
    other = "other"


class ResponseLevel(StrEnum):
    """Response level I (most severe) … IV."""

    I = "I"  # noqa: E741 - the standard's own name
    II = "II"
    III = "III"
    IV = "IV"


class IncidentStatus(StrEnum):
    reported = "reported"
    confirmed = "confirmed"
    responding = "responding"
    contained = "contained"
    closed = "closed"


INCIDENT_FLOW: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    IncidentStatus.reported: frozenset({IncidentStatus.confirmed, IncidentStatus.closed}),
    IncidentStatus.confirmed: frozenset({IncidentStatus.responding, IncidentStatus.closed}),
    IncidentStatus.responding: frozenset({IncidentStatus.contained}),
    IncidentStatus.contained: frozenset({IncidentStatus.closed, IncidentStatus.responding}),
    IncidentStatus.closed: frozenset(),  # only reopened, with a reason (service.reopen)
}


class Incident(Versioned, Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[IncidentType]
    title: Mapped[str] = mapped_column(String(160))
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    response_level: Mapped[ResponseLevel | None]
    status: Mapped[IncidentStatus] = mapped_column(default=IncidentStatus.reported, index=True)
    description: Mapped[str | None] = mapped_column(Text)
    hazard_source_id: Mapped[int | None] = mapped_column(ForeignKey("hazard_sources.id", ondelete="SET NULL"))
    reported_by: Mapped[str | None] = mapped_column(String(100))
    reported_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    contained_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    exercise_id: Mapped[int | None] = mapped_column(index=True, comment="set for drill incidents")
    # The wind an officer typed for the scene; when unset, the nearest weather station's gives it.
    wind_speed_ms: Mapped[float | None]
    wind_from_deg: Mapped[float | None]
    wind_set_by: Mapped[str | None] = mapped_column(String(100))
    wind_set_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    timeline: Mapped[list[TimelineEntry]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="TimelineEntry.id"
    )


class TimelineEntry(Base):
    """One line of an incident's log: an officer's note or a recorded action."""

    __tablename__ = "incident_timeline"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(40), default="note")
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(100))

    incident: Mapped[Incident] = relationship(back_populates="timeline")
