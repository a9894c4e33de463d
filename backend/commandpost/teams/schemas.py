"""Rescue teams in and out: GeoJSON features whose geometry is the team's current position."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from geojson_pydantic import Feature, Point
from pydantic import AwareDatetime, BaseModel, Field, StrictInt, field_validator

from commandpost import geo
from commandpost.schemas import InModel, LayerPage, PointIn, UpdateModel
from commandpost.teams.models import Capability, Team, TeamKind, TeamStatus, TeamTier


class Vehicle(InModel):
    type: str = Field(min_length=1, max_length=60, examples=["foam tender"])
    count: int = Field(ge=1, le=500)


def _unique(values: list[Capability] | None) -> list[Capability] | None:
    if values is not None and len(set(values)) != len(values):
        raise ValueError("capabilities must not repeat")
    return values


class TeamCreate(InModel):
    ref: str | None = Field(default=None, max_length=64, description="your key for this team, if any")
    name: str = Field(min_length=1, max_length=120, examples=["泉港区消防救援大队"])
    kind: TeamKind
    tier: TeamTier
    headcount: int = Field(ge=1, le=5000)
    capabilities: list[Capability] = Field(
        default_factory=list, examples=[["firefighting", "foam", "hazmat"]]
    )
    vehicles: list[Vehicle] = Field(default_factory=list)
    equipment: list[str] = Field(default_factory=list, examples=[["SCBA ×40", "thermal camera"]])
    base: PointIn = Field(description="home base (GeoJSON Point, WGS 84)")
    position: PointIn | None = Field(default=None, description="current position; defaults to the base")
    status: TeamStatus = TeamStatus.available
    town: str | None = Field(default=None, max_length=60)
    contact_name: str | None = Field(default=None, max_length=60)
    contact_phone: str | None = Field(default=None, max_length=40)

    _caps = field_validator("capabilities")(_unique)

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "泉港石化园区危化品救援队",
                    "kind": "hazmat",
                    "tier": "enterprise",
                    "headcount": 24,
                    "capabilities": ["hazmat", "foam", "decontamination", "gas_detection"],
                    "vehicles": [{"type": "foam tender", "count": 2}],
                    "equipment": ["SCBA ×24"],
                    "base": {"type": "Point", "coordinates": [118.93, 25.13]},
                }
            ]
        }
    }


class TeamUpdate(UpdateModel):
    """Fields to change; status changes go through `/teams/{id}/status` so their rules apply."""

    ref: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=120)
    kind: TeamKind | None = None
    tier: TeamTier | None = None
    headcount: int | None = Field(default=None, ge=1, le=5000)
    capabilities: list[Capability] | None = None
    vehicles: list[Vehicle] | None = None
    equipment: list[str] | None = None
    base: PointIn | None = None
    position: PointIn | None = None
    town: str | None = Field(default=None, max_length=60)
    contact_name: str | None = Field(default=None, max_length=60)
    contact_phone: str | None = Field(default=None, max_length=40)

    _caps = field_validator("capabilities")(_unique)


class StatusChange(InModel):
    status: TeamStatus
    version: int | None = Field(default=None, ge=1)


class PositionReport(InModel):
    """Where a unit is, from its vehicle terminal or a team leader's phone (WGS 84)."""

    lon: float = Field(ge=-180, le=180, examples=[118.9231])
    lat: float = Field(ge=-90, le=90, examples=[25.1423])
    at: AwareDatetime | None = Field(
        default=None, description="when the fix was taken, with its offset; default: when received"
    )
    heading: float | None = Field(default=None, ge=0, lt=360, description="degrees clockwise from north")
    speed: float | None = Field(default=None, ge=0, le=400, description="km/h")

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "lon": 118.9231,
                    "lat": 25.1423,
                    "at": "2026-11-22T10:00:00+08:00",
                    "heading": 90,
                    "speed": 42,
                }
            ]
        }
    }


TeamKey = Annotated[StrictInt, Field(ge=1)] | Annotated[str, Field(min_length=1, max_length=64)]

# One batch carries at most this many reports (a fleet gateway sends every unit each second).
MAX_POSITIONS = 10_000


class UnitPosition(PositionReport):
    team: TeamKey = Field(description="the team's id (a number) or its ref (a string)")

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [{"team": 12, "lon": 118.9231, "lat": 25.1423, "at": "2026-11-22T10:00:00+08:00"}]
        }
    }


class PositionBatch(InModel):
    positions: list[UnitPosition] = Field(min_length=1, max_length=MAX_POSITIONS)

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "positions": [
                        {"team": 12, "lon": 118.9231, "lat": 25.1423, "at": "2026-11-22T10:00:00+08:00"},
                        {"team": "T045", "lon": 118.8702, "lat": 25.1611, "at": "2026-11-22T10:00:01+08:00"},
                    ]
                }
            ]
        }
    }


class TeamProperties(InModel):
    id: int
    ref: str | None
    name: str
    kind: TeamKind
    tier: TeamTier
    headcount: int
    capabilities: list[Capability]
    vehicles: list[Vehicle]
    equipment: list[str]
    base: list[float] = Field(description="home base as [lon, lat]")
    status: TeamStatus
    position_at: datetime | None
    town: str | None
    contact_name: str | None
    contact_phone: str | None
    version: int
    updated_at: datetime


TeamFeature = Feature[Point, TeamProperties]
TeamLayer = LayerPage[TeamFeature]


class IgnoredReport(BaseModel):
    index: int = Field(description="the report's place in the batch, from 0")
    team: int | str
    reason: str


class PositionsTaken(BaseModel):
    """What a batch of position reports did."""

    received: int
    moved: int = Field(description="teams whose position changed")
    ignored: list[IgnoredReport] = Field(description="reports not applied, and why")


def team_feature(team: Team) -> dict[str, Any]:
    base = geo.to_geojson(team.base)  # the WKB fast path: this runs once per team on every layer read
    return {
        "type": "Feature",
        "id": team.id,
        "geometry": geo.to_geojson(team.position),
        "properties": {
            "id": team.id,
            "ref": team.ref,
            "name": team.name,
            "kind": str(team.kind),
            "tier": str(team.tier),
            "headcount": team.headcount,
            "capabilities": team.capabilities,
            "vehicles": team.vehicles,
            "equipment": team.equipment,
            "base": list(base["coordinates"]) if base is not None else None,
            "status": str(team.status),
            "position_at": team.position_at.isoformat() if team.position_at else None,
            "town": team.town,
            "contact_name": team.contact_name,
            "contact_phone": team.contact_phone,
            "version": team.version,
            "updated_at": team.updated_at.isoformat(),
        },
    }
