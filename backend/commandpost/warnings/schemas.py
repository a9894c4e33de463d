"""Early warnings in and out: GeoJSON features whose geometry is the warned area (a point or a polygon)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geojson_pydantic import Feature
from geojson_pydantic.geometries import Geometry
from pydantic import BaseModel, Field

from commandpost import geo
from commandpost.incidents.models import IncidentType, ResponseLevel
from commandpost.schemas import InModel, LayerPage, SiteIn
from commandpost.warnings.models import WARNING_RANK, Warning, WarningLevel, WarningSource, WarningStatus


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class WarningCreate(InModel):
    """A warning issued by hand by the duty officer (sensor warnings come from the alarm rules)."""

    level: WarningLevel = Field(description="blue (IV) < yellow (III) < orange (II) < red (I)")
    title: str = Field(min_length=1, max_length=160, examples=["台风“海葵”黄色预警"])
    description: str | None = Field(default=None, max_length=10_000)
    area: SiteIn = Field(description="the warned place: GeoJSON Point or (Multi)Polygon, WGS 84")
    hazard_source_id: int | None = Field(default=None, ge=1, description="the major hazard source concerned")
    issued_by: str = Field(min_length=1, max_length=100, examples=["值班员 林晓"])

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "level": "orange",
                    "title": "石化园区可燃气体浓度持续升高",
                    "description": "园区东侧多点可燃气体浓度超过 25% LEL",
                    "area": {
                        "type": "Polygon",
                        "coordinates": [
                            [
                                [118.92, 25.12],
                                [118.94, 25.12],
                                [118.94, 25.14],
                                [118.92, 25.14],
                                [118.92, 25.12],
                            ]
                        ],
                    },
                    "issued_by": "值班员 林晓",
                }
            ]
        }
    }


class WarningAction(InModel):
    by: str = Field(min_length=1, max_length=100, description="who does it", examples=["值班员 林晓"])
    version: int | None = Field(
        default=None, ge=1, description="the version you read, if you want it checked"
    )


class Escalation(WarningAction):
    to_level: WarningLevel = Field(description="a more severe level than the current one")


class OpenIncident(WarningAction):
    type: IncidentType
    response_level: ResponseLevel | None = Field(
        default=None, description="defaults to the warning's colour: red I, orange II, yellow III, blue IV"
    )
    title: str | None = Field(
        default=None, min_length=1, max_length=160, description="defaults to the warning's"
    )


def warning_feature(warning: Warning) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": warning.id,
        "geometry": geo.to_geojson(warning.area),
        "properties": {
            "id": warning.id,
            "level": str(warning.level),
            "rank": WARNING_RANK[warning.level],
            "source": str(warning.source),
            "title": warning.title,
            "description": warning.description,
            "status": str(warning.status),
            "hazard_source_id": warning.hazard_source_id,
            "sensor_id": warning.sensor_id,
            "incident_id": warning.incident_id,
            "issued_at": _iso(warning.issued_at),
            "issued_by": warning.issued_by,
            "acknowledged_at": _iso(warning.acknowledged_at),
            "acknowledged_by": warning.acknowledged_by,
            "cleared_at": _iso(warning.cleared_at),
            "cleared_by": warning.cleared_by,
            "roster_calls": warning.roster_calls or [],
            "blind_detectors": warning.blind_detectors or [],
            "exercise_id": warning.exercise_id,
            "version": warning.version,
            "updated_at": _iso(warning.updated_at),
        },
    }


class WarningProperties(BaseModel):
    id: int
    level: WarningLevel
    rank: int = Field(description="severity, 4 for red down to 1 for blue")
    source: WarningSource
    title: str
    description: str | None
    status: WarningStatus
    hazard_source_id: int | None
    sensor_id: int | None
    incident_id: int | None
    issued_at: datetime
    issued_by: str | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    cleared_at: datetime | None
    cleared_by: str | None
    exercise_id: int | None
    version: int
    updated_at: datetime


WarningFeature = Feature[Geometry, WarningProperties]
WarningLayer = LayerPage[WarningFeature]
