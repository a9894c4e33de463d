"""Dispatch: response plans and their checklists, team assignments, material requests."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commandpost.db import Base, Versioned
from commandpost.incidents.models import Incident, IncidentType, ResponseLevel


class ResponsePlan(Versioned, Base):
    """A response plan (应急预案) for one incident type at one response level: editable data.

    `needs`: [{need, label, capabilities: [...], min_headcount}] — what must be sent;
    `actions`: [{code, action, role, within_minutes}] — what must be done, by whom, how soon.
    """

    __tablename__ = "response_plans"
    __table_args__ = (UniqueConstraint("incident_type", "response_level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_type: Mapped[IncidentType]
    response_level: Mapped[ResponseLevel]
    name: Mapped[str] = mapped_column(String(160))
    needs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime]


class ChecklistItem(Versioned, Base):
    """One action of an incident's open plan, with its deadline from when the level was set."""

    __tablename__ = "checklist_items"
    __table_args__ = (UniqueConstraint("incident_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    response_level: Mapped[ResponseLevel]
    code: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(60))
    opened_at: Mapped[datetime]
    due_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(1000))

    incident: Mapped[Incident] = relationship()


class AssignmentStatus(StrEnum):
    dispatched = "dispatched"
    en_route = "en_route"
    on_scene = "on_scene"
    returning = "returning"
    completed = "completed"  # back and available again
    cancelled = "cancelled"  # recalled before reaching the scene


class Assignment(Versioned, Base):
    """A team sent to an incident. A team has at most one active assignment (a partial unique index)."""

    __tablename__ = "assignments"
    __table_args__ = (
        Index(
            "uq_assignments_active_team",
            "team_id",
            unique=True,
            postgresql_where=text("active"),
            sqlite_where=text("active = 1"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    need: Mapped[str | None] = mapped_column(String(60), comment="the plan's need this team fills")
    status: Mapped[AssignmentStatus]
    active: Mapped[bool] = mapped_column(default=True)
    eta_s: Mapped[float | None]
    distance_m: Mapped[float | None]
    route: Mapped[WKBElement | None] = mapped_column(Geometry("LINESTRING", srid=4326, spatial_index=False))
    legs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    assigned_by: Mapped[str | None] = mapped_column(String(100))
    assigned_at: Mapped[datetime]
    status_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    exercise_id: Mapped[int | None] = mapped_column(index=True)
    updated_at: Mapped[datetime]


class AllocationStatus(StrEnum):
    reserved = "reserved"
    dispatched = "dispatched"
    delivered = "delivered"
    cancelled = "cancelled"


class MaterialRequest(Versioned, Base):
    """Materials asked for an incident: `items` [{material, quantity, allocated, shortage}]."""

    __tablename__ = "material_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    requested_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime]
    exercise_id: Mapped[int | None] = mapped_column(index=True)
    updated_at: Mapped[datetime]

    allocations: Mapped[list[MaterialAllocation]] = relationship(
        back_populates="request", order_by="MaterialAllocation.id"
    )


class MaterialAllocation(Versioned, Base):
    """Part of a request served from one depot: reserved → dispatched → delivered, or cancelled."""

    __tablename__ = "material_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("material_requests.id", ondelete="CASCADE"), index=True
    )
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    depot_id: Mapped[int] = mapped_column(ForeignKey("depots.id"), index=True)
    material_code: Mapped[str] = mapped_column(ForeignKey("materials.code"))
    quantity: Mapped[float] = mapped_column(Numeric(14, 3, asdecimal=False))
    status: Mapped[AllocationStatus]
    eta_s: Mapped[float | None]
    distance_m: Mapped[float | None]
    reserved_at: Mapped[datetime]
    dispatched_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    exercise_id: Mapped[int | None] = mapped_column(index=True)
    updated_at: Mapped[datetime]

    request: Mapped[MaterialRequest] = relationship(back_populates="allocations")
