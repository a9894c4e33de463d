"""Rescue teams (救援队伍): who they are, what they can do, where they are, what they are doing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from commandpost.db import Base, Versioned


class TeamKind(StrEnum):
    fire_rescue = "fire_rescue"
    hazmat = "hazmat"
    medical = "medical"
    forest_fire = "forest_fire"
    water_rescue = "water_rescue"
    mine_rescue = "mine_rescue"
    professional = "professional"
    enterprise = "enterprise"
    volunteer = "volunteer"


class TeamTier(StrEnum):
    """The "20+10+5+N" model: national, district, department, town and enterprise teams."""

    national = "national"
    district = "district"
    department = "department"
    town = "town"
    enterprise = "enterprise"


class TeamStatus(StrEnum):
    available = "available"
    dispatched = "dispatched"
    en_route = "en_route"
    on_scene = "on_scene"
    returning = "returning"
    off_duty = "off_duty"


class Capability(StrEnum):
    """The controlled vocabulary that response plans match against."""

    firefighting = "firefighting"
    foam = "foam"
    hazmat = "hazmat"
    decontamination = "decontamination"
    gas_detection = "gas_detection"
    leak_sealing = "leak_sealing"
    high_angle = "high_angle"
    confined_space = "confined_space"
    search_rescue = "search_rescue"
    structural_collapse = "structural_collapse"
    water_rescue = "water_rescue"
    flood_control = "flood_control"
    forest_firefighting = "forest_firefighting"
    medical = "medical"
    electrical = "electrical"
    mine_rescue = "mine_rescue"
    logistics = "logistics"
    communications = "communications"


# Which status may follow which; "off duty" is reachable only from a team at rest.
STATUS_TRANSITIONS: dict[TeamStatus, frozenset[TeamStatus]] = {
    TeamStatus.available: frozenset({TeamStatus.dispatched, TeamStatus.off_duty}),
    TeamStatus.dispatched: frozenset({TeamStatus.en_route, TeamStatus.available}),
    TeamStatus.en_route: frozenset({TeamStatus.on_scene, TeamStatus.available}),
    TeamStatus.on_scene: frozenset({TeamStatus.returning}),
    TeamStatus.returning: frozenset({TeamStatus.available, TeamStatus.dispatched}),
    TeamStatus.off_duty: frozenset({TeamStatus.available}),
}


class Team(Versioned, Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True, comment="key in the source data")
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[TeamKind]
    tier: Mapped[TeamTier]
    headcount: Mapped[int]
    capabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    vehicles: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    equipment: Mapped[list[str]] = mapped_column(JSON, default=list)
    base: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    position: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    position_at: Mapped[datetime | None]
    status: Mapped[TeamStatus] = mapped_column(default=TeamStatus.available, index=True)
    town: Mapped[str | None] = mapped_column(String(60))
    contact_name: Mapped[str | None] = mapped_column(String(60))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime]
