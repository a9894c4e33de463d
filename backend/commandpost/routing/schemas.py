"""Closures and routes in and out: closures are GeoJSON features (the closed line or area)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geojson_pydantic import Feature, LineString
from geojson_pydantic.geometries import Geometry
from pydantic import BaseModel, Field

from commandpost import geo
from commandpost.routing.models import Closure, ClosureKind
from commandpost.schemas import AreaIn, InModel, LayerPage


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class ClosureCreate(InModel):
    """Close one road segment (`kind` road + `segment_id`) or everything in an area / danger zone (`area`)."""

    kind: ClosureKind
    segment_id: int | None = Field(default=None, ge=1, description="the road segment to close (kind road)")
    area: AreaIn | None = Field(default=None, description="the area to close (kind area or danger_zone)")
    reason: str | None = Field(default=None, max_length=300, examples=["塌方，双向封闭"])
    incident_id: int | None = Field(default=None, ge=1, description="the incident this closure belongs to")
    created_by: str | None = Field(default=None, max_length=100, examples=["调度员 陈静"])

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {"kind": "road", "segment_id": 12, "reason": "塌方，双向封闭", "created_by": "调度员 陈静"},
                {
                    "kind": "danger_zone",
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
                    "reason": "氯气泄漏毒害区",
                    "incident_id": 1,
                },
            ]
        }
    }


def closure_feature(closure: Closure) -> dict[str, Any]:
    """A closure as a GeoJSON Feature: the closed segment's line or the closed area."""
    return {
        "type": "Feature",
        "id": closure.id,
        "geometry": geo.to_geojson(closure.geom),
        "properties": {
            "id": closure.id,
            "kind": str(closure.kind),
            "segment_id": closure.segment_id,
            "reason": closure.reason,
            "incident_id": closure.incident_id,
            "active": closure.active,
            "created_by": closure.created_by,
            "created_at": _iso(closure.created_at),
            "lifted_at": _iso(closure.lifted_at),
            "lifted_by": closure.lifted_by,
            "exercise_id": closure.exercise_id,
            "version": closure.version,
            "updated_at": _iso(closure.updated_at),
        },
    }


class ClosureProperties(BaseModel):
    id: int
    kind: ClosureKind
    segment_id: int | None
    reason: str | None
    incident_id: int | None
    active: bool = Field(description="in force; false once lifted")
    created_by: str | None
    created_at: datetime
    lifted_at: datetime | None
    lifted_by: str | None
    exercise_id: int | None
    version: int
    updated_at: datetime


class ClosureChangeProperties(ClosureProperties):
    rerouted_assignments: list[int] = Field(description="the assignments whose teams were given a new route")


ClosureFeature = Feature[Geometry, ClosureProperties]
ClosureLayer = LayerPage[ClosureFeature]
ClosureChange = Feature[Geometry, ClosureChangeProperties]


class Leg(BaseModel):
    """A stretch of one road (or off the road network, to or from it) on a route."""

    road: str | None = Field(description="the road's name or number, if it has one")
    kind: str = Field(examples=["road", "off_road"])
    seconds: float
    metres: float


class RouteProperties(BaseModel):
    reachable: bool = Field(description="false: no open route (geometry null)")
    eta_s: float | None = None
    distance_m: float | None = None
    legs: list[Leg] | None = None
    segment_ids: list[int] | None = None


RouteFeature = Feature[LineString, RouteProperties]
