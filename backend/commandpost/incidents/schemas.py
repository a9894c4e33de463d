"""Incidents in and out: GeoJSON features at the incident's location, with their timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geojson_pydantic import Feature, Point
from pydantic import BaseModel, Field, field_validator

from commandpost import geo
from commandpost.incidents.models import Incident, IncidentStatus, IncidentType, ResponseLevel, TimelineEntry
from commandpost.schemas import InModel, LayerPage, PointIn, UpdateModel, not_null


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class IncidentCreate(InModel):
    type: IncidentType
    title: str = Field(min_length=1, max_length=160, examples=["泉港石化园区储罐泄漏"])
    location: PointIn = Field(description="where it is (GeoJSON Point, WGS 84)")
    response_level: ResponseLevel | None = Field(default=None, description="I (most severe) … IV")
    description: str | None = Field(default=None, max_length=10_000)
    hazard_source_id: int | None = Field(default=None, ge=1, description="the major hazard source involved")
    reported_by: str | None = Field(default=None, max_length=100, examples=["值班员 林晓"])

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "type": "leak",
                    "title": "泉港石化园区储罐区苯乙烯泄漏",
                    "location": {"type": "Point", "coordinates": [118.93, 25.13]},
                    "response_level": "III",
                    "description": "3号储罐底阀渗漏，现场有刺激性气味",
                    "reported_by": "值班员 林晓",
                }
            ]
        }
    }


# Fields a PATCH may not set to null: the incident always has them.
_REQUIRED = ("title", "location")


class IncidentUpdate(UpdateModel):
    """Fields to change; status changes go through `/incidents/{id}/status` so the flow applies."""

    title: str | None = Field(default=None, min_length=1, max_length=160)
    description: str | None = Field(default=None, max_length=10_000)
    response_level: ResponseLevel | None = None
    hazard_source_id: int | None = Field(default=None, ge=1)
    location: PointIn | None = None

    _required = field_validator(*_REQUIRED)(not_null)


class IncidentStatusChange(InModel):
    status: IncidentStatus
    by: str | None = Field(default=None, max_length=100, description="who made the change")
    stand_down: bool = Field(
        default=False,
        description="when closing: release the teams still sent and return the stock still reserved "
        "(without it, closing an incident that holds any is refused with 409 listing them)",
    )
    version: int | None = Field(
        default=None, ge=1, description="the version you read, if you want it checked"
    )


class Reopening(InModel):
    """A closed incident reopened by the duty officer, who says why."""

    by: str = Field(min_length=1, max_length=100, examples=["值班员 林晓"])
    reason: str = Field(min_length=1, max_length=1000, examples=["现场复燃，需重新处置"])
    version: int | None = Field(
        default=None, ge=1, description="the version you read, if you want it checked"
    )


class NoteIn(InModel):
    text: str = Field(min_length=1, max_length=10_000, examples=["消防救援大队已到达现场，开始围堵"])
    author: str | None = Field(default=None, max_length=100, examples=["值班员 林晓"])


def entry_dict(entry: TimelineEntry) -> dict[str, Any]:
    """A stored log line (a note or a status change) as it appears on the timeline."""
    return {
        "at": entry.at.isoformat(),
        "kind": entry.kind,
        "text": entry.text,
        "author": entry.author,
        "entry_id": entry.id,
    }


def incident_feature(incident: Incident, *, timeline: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The incident as a GeoJSON Feature; `timeline` is added to the properties when given."""
    properties: dict[str, Any] = {
        "id": incident.id,
        "type": str(incident.type),
        "title": incident.title,
        "status": str(incident.status),
        "response_level": str(incident.response_level) if incident.response_level else None,
        "description": incident.description,
        "hazard_source_id": incident.hazard_source_id,
        "reported_by": incident.reported_by,
        "reported_at": _iso(incident.reported_at),
        "confirmed_at": _iso(incident.confirmed_at),
        "contained_at": _iso(incident.contained_at),
        "closed_at": _iso(incident.closed_at),
        "exercise_id": incident.exercise_id,
        "version": incident.version,
        "updated_at": _iso(incident.updated_at),
    }
    if timeline is not None:
        properties["timeline"] = timeline
    return {
        "type": "Feature",
        "id": incident.id,
        "geometry": geo.to_geojson(incident.location),
        "properties": properties,
    }


class TimelineItem(BaseModel):
    """One line of the incident's timeline: a log line (`entry_id`) or an event (`event_id`, `type`)."""

    at: datetime
    kind: str = Field(description="note, status, warning… for log lines; `event` for events")
    text: str
    author: str | None
    entry_id: int | None = None
    event_id: int | None = None
    type: str | None = Field(default=None, description="the event's type", examples=["incident.created"])
    entity_type: str | None = Field(
        default=None, description="for events: what changed (assignment, closure…)"
    )
    entity_id: int | None = None
    details: dict[str, Any] | None = Field(
        default=None, description="for events: what the dashboard words the line from (old → new values…)"
    )


class IncidentProperties(BaseModel):
    id: int
    type: IncidentType
    title: str
    status: IncidentStatus
    response_level: ResponseLevel | None
    description: str | None
    hazard_source_id: int | None
    reported_by: str | None
    reported_at: datetime
    confirmed_at: datetime | None
    contained_at: datetime | None
    closed_at: datetime | None
    exercise_id: int | None = Field(description="the drill it belongs to; null when live")
    version: int
    updated_at: datetime
    timeline: list[TimelineItem] | None = Field(
        default=None, description="on single-incident answers: the log and events, oldest first"
    )


IncidentFeature = Feature[Point, IncidentProperties]
IncidentLayer = LayerPage[IncidentFeature]


class Timeline(BaseModel):
    incident_id: int
    items: list[TimelineItem]
