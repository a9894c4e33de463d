"""Emergency shelters in and out: GeoJSON point features with their capacity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geojson_pydantic import Feature, Point
from pydantic import BaseModel, Field, field_validator

from commandpost import geo
from commandpost.schemas import InModel, LayerPage, PointIn, UpdateModel, not_null
from commandpost.shelters.models import Shelter


class ShelterCreate(InModel):
    ref: str | None = Field(default=None, max_length=64, description="your key for this shelter, if any")
    name: str = Field(min_length=1, max_length=120, examples=["泉港区体育中心"])
    kind: str = Field(
        default="indoor", min_length=1, max_length=40, description="indoor, outdoor, school, stadium…"
    )
    location: PointIn = Field(description="the entrance people are sent to (GeoJSON Point, WGS 84)")
    capacity: int = Field(gt=0, le=1_000_000, description="people it can hold")
    address: str | None = Field(default=None, max_length=200)
    town: str | None = Field(default=None, max_length=60)

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "泉港区体育中心",
                    "kind": "stadium",
                    "location": {"type": "Point", "coordinates": [118.9135, 25.1262]},
                    "capacity": 6000,
                    "address": "泉港区山腰街道",
                    "town": "山腰街道",
                }
            ]
        }
    }


class ShelterUpdate(UpdateModel):
    ref: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=120)
    kind: str | None = Field(default=None, min_length=1, max_length=40)
    location: PointIn | None = None
    capacity: int | None = Field(default=None, gt=0, le=1_000_000)
    address: str | None = Field(default=None, max_length=200)
    town: str | None = Field(default=None, max_length=60)

    _required = field_validator("name", "kind", "location", "capacity")(not_null)


def shelter_feature(shelter: Shelter) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": shelter.id,
        "geometry": geo.to_geojson(shelter.location),
        "properties": {
            "id": shelter.id,
            "ref": shelter.ref,
            "name": shelter.name,
            "kind": shelter.kind,
            "capacity": shelter.capacity,
            "address": shelter.address,
            "town": shelter.town,
            "version": shelter.version,
            "updated_at": shelter.updated_at.isoformat(),
        },
    }


class ShelterProperties(BaseModel):
    id: int
    ref: str | None
    name: str
    kind: str
    capacity: int
    address: str | None
    town: str | None
    version: int
    updated_at: datetime


ShelterFeature = Feature[Point, ShelterProperties]
ShelterLayer = LayerPage[ShelterFeature]
