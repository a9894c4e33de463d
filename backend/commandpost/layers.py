"""The live layers of the map, each listed once: what it shows, how it is read, and how it looks.

The stream's snapshot and filter, `GET /api/v1/layers`, the dashboard's layer list and legend, the
OGC API collections and the exports all come from `LAYERS` (the last two also from
`REFERENCE_LAYERS`). Adding a layer is one entry here plus its domain folder.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from commandpost import geo
from commandpost.depots import service as depots
from commandpost.depots.schemas import depot_feature
from commandpost.dispatch import service as dispatch
from commandpost.dispatch.schemas import assignment_feature
from commandpost.events.schemas import StreamLayers
from commandpost.hazards import service as hazards
from commandpost.hazards.models import HazardGrade
from commandpost.incidents import service as incidents
from commandpost.incidents.models import IncidentStatus
from commandpost.incidents.schemas import incident_feature
from commandpost.resources import Page
from commandpost.roads import service as roads
from commandpost.roads.schemas import road_feature
from commandpost.routing import service as routing
from commandpost.routing.schemas import closure_feature
from commandpost.sensors import service as sensors
from commandpost.sensors.models import SensorState
from commandpost.sensors.schemas import sensor_feature
from commandpost.shelters import service as shelters
from commandpost.shelters.schemas import shelter_feature
from commandpost.teams import service as teams
from commandpost.teams.models import TeamStatus
from commandpost.teams.schemas import team_feature
from commandpost.warnings import service as warnings
from commandpost.warnings.models import WarningLevel
from commandpost.warnings.schemas import warning_feature
from commandpost.zones import service as zones

ALL = 10**9

Geometry = Literal["Point", "LineString", "Polygon", "Geometry"]
# The rows of a layer in the box (None: everywhere), with one drill's own rows when `exercise_id` is set.
Rows = Callable[[Session, geo.BBox | None, int | None], Sequence[Any]]
# Rows → GeoJSON Features (one call per read, so a layer can fetch what its rows share at once).
Features = Callable[[Session, Sequence[Any]], list[dict[str, Any]]]


@dataclass(frozen=True)
class Legend:
    """What a layer's colours stand for: the values of one feature property."""

    property: str
    values: tuple[str, ...]

    @classmethod
    def of(cls, property: str, values: type[StrEnum], *, reverse: bool = False) -> Legend:
        listed = [v.value for v in values]
        return cls(property=property, values=tuple(reversed(listed) if reverse else listed))


@dataclass(frozen=True)
class Layer:
    name: str
    entity_type: str
    title_zh: str
    title_en: str
    geometry: Geometry
    # Where the layer is served as a paged FeatureCollection, under /api/v1.
    path: str
    rows: Rows
    features: Features
    # Whether a drill has its own features on this layer (shown beside the live ones in that drill).
    drills: bool = False
    legend: Legend | None = None
    # The row attribute (also the feature property) that places a feature in time, if any: what an
    # OGC API client's `datetime` filters on.
    time: str | None = None

    def read(self, session: Session, bbox: geo.BBox | None, exercise_id: int | None) -> list[dict[str, Any]]:
        return self.features(session, self.rows(session, bbox, exercise_id))


def _each(to_feature: Callable[[Any], dict[str, Any]]) -> Features:
    return lambda session, rows: [to_feature(row) for row in rows]


def _live_and_drill(
    list_rows: Callable[..., Page[Any]],
) -> Rows:
    """A drill is played against the real map: its own rows beside the live ones."""

    def rows(session: Session, bbox: geo.BBox | None, exercise_id: int | None) -> Sequence[Any]:
        found = list(list_rows(session, bbox=bbox, limit=ALL).items)
        if exercise_id is not None:
            found += list_rows(session, bbox=bbox, exercise_id=exercise_id, limit=ALL).items
        return found

    return rows


def _hazard_features(session: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
    to_feature = hazards.feature_maker(session, Page(items=rows, total=len(rows), limit=ALL, offset=0))
    return [to_feature(row) for row in rows]


def _assignment_features(session: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
    names = dispatch.team_names(session, [a.team_id for a in rows])
    return [assignment_feature(a, team_name=names.get(a.team_id)) for a in rows]


def _seen_in(exercise_id: int | None, rows: Sequence[Any]) -> list[Any]:
    """Live rows, and the drill's own when `exercise_id` is set."""
    return [r for r in rows if r.exercise_id is None or r.exercise_id == exercise_id]


LAYERS: tuple[Layer, ...] = (
    Layer(
        name="incidents",
        entity_type=incidents.WHAT,
        title_zh="事件",
        title_en="Incidents",
        geometry="Point",
        path="incidents",
        rows=_live_and_drill(incidents.list_incidents),
        features=_each(incident_feature),
        drills=True,
        legend=Legend.of("status", IncidentStatus),
        time="reported_at",
    ),
    Layer(
        name="warnings",
        entity_type=warnings.WHAT,
        title_zh="预警",
        title_en="Warnings",
        geometry="Polygon",
        path="warnings",
        rows=_live_and_drill(warnings.list_warnings),
        features=_each(warning_feature),
        drills=True,
        legend=Legend.of("level", WarningLevel, reverse=True),  # red first
        time="issued_at",
    ),
    Layer(
        name="teams",
        entity_type=teams.WHAT,
        title_zh="救援队伍",
        title_en="Rescue teams",
        geometry="Point",
        path="teams",
        rows=lambda session, bbox, _: teams.list_teams(session, bbox=bbox, limit=ALL).items,
        features=_each(team_feature),
        legend=Legend.of("status", TeamStatus),
        time="position_at",
    ),
    Layer(
        name="hazard-sources",
        entity_type=hazards.WHAT,
        title_zh="重大危险源",
        title_en="Major hazard sources",
        geometry="Polygon",
        path="hazard-sources",
        rows=lambda session, bbox, _: hazards.list_sources(session, bbox=bbox, limit=ALL).items,
        features=_hazard_features,
        legend=Legend.of("grade", HazardGrade),
    ),
    Layer(
        name="sensors",
        entity_type=sensors.WHAT,
        title_zh="气体探测器",
        title_en="Gas detectors",
        geometry="Point",
        path="sensors",
        rows=lambda session, bbox, _: sensors.list_sensors(session, bbox=bbox, limit=ALL).items,
        features=_each(sensor_feature),
        legend=Legend.of("state", SensorState),
        time="last_reading_at",
    ),
    Layer(
        name="depots",
        entity_type=depots.WHAT,
        title_zh="物资储备库",
        title_en="Supply depots",
        geometry="Point",
        path="depots",
        rows=lambda session, bbox, _: depots.list_depots(session, bbox=bbox, limit=ALL).items,
        features=_each(depot_feature),
    ),
    Layer(
        name="shelters",
        entity_type=shelters.WHAT,
        title_zh="避难场所",
        title_en="Shelters",
        geometry="Point",
        path="shelters",
        rows=lambda session, bbox, _: shelters.list_shelters(session, bbox=bbox, limit=ALL).items,
        features=_each(shelter_feature),
    ),
    Layer(
        name="routes",
        entity_type=dispatch.WHAT,
        title_zh="行进路线",
        title_en="Routes",
        geometry="LineString",
        path="assignments",
        # Teams still out; few enough that the box is not applied.
        rows=lambda session, _, exercise_id: _seen_in(
            exercise_id, dispatch.list_assignments(session, active=True, limit=ALL).items
        ),
        features=_assignment_features,
        drills=True,
    ),
    Layer(
        name="closures",
        entity_type=routing.WHAT,
        title_zh="道路封闭",
        title_en="Road closures",
        geometry="Geometry",
        path="closures",
        # Closures in force (the default), live ones and the drill's own.
        rows=_live_and_drill(routing.list_closures),
        features=_each(closure_feature),
        drills=True,
    ),
    Layer(
        name="threat-zones",
        entity_type=zones.WHAT,
        title_zh="影响区域",
        title_en="Threat zones",
        geometry="Polygon",
        path="threat-zones",
        rows=_live_and_drill(zones.list_zones),
        features=_each(zones.zone_feature),
        drills=True,
        time="created_at",
        legend=Legend.of("concern", zones.Concern),
    ),
)

# Reference layers served beside the live ones (OGC API collections, exports) but not streamed: they
# change by a load or an import, not by events a map applies feature by feature.
REFERENCE_LAYERS: tuple[Layer, ...] = (
    Layer(
        name="roads",
        entity_type=roads.WHAT,
        title_zh="道路",
        title_en="Roads",
        geometry="LineString",
        path="roads",
        rows=lambda session, bbox, _: roads.list_roads(session, bbox=bbox, limit=ALL).items,
        features=_each(road_feature),
    ),
)

LAYER_ENTITY: dict[str, str] = {layer.name: layer.entity_type for layer in LAYERS}
_BY_NAME: dict[str, Layer] = {layer.name: layer for layer in LAYERS}


def _read(
    session: Session, name: str, bbox: geo.BBox | None, exercise_id: int | None
) -> list[dict[str, Any]]:
    return _BY_NAME[name].read(session, bbox, exercise_id)


# What the live stream is given: it knows the layers only through this.
STREAM_LAYERS = StreamLayers(entity_of=LAYER_ENTITY, read=_read)


# --- GET /api/v1/layers ----------------------------------------------------------------------


class LegendOut(BaseModel):
    property: str = Field(description="the feature property the colours stand for", examples=["status"])
    values: list[str] = Field(examples=[["available", "dispatched"]])


class LayerOut(BaseModel):
    name: str = Field(
        description="the layer's name in the stream's `layers` and its snapshot", examples=["teams"]
    )
    entity_type: str = Field(description="the `entity_type` of the events that update it", examples=["team"])
    title: dict[str, str] = Field(examples=[{"zh-CN": "救援队伍", "en": "Rescue teams"}])
    geometry: Geometry
    path: str = Field(description="its paged GeoJSON layer, under /api/v1", examples=["teams"])
    drills: bool = Field(description="a drill has its own features on it (ask with exercise_id)")
    legend: LegendOut | None


class LayersOut(BaseModel):
    layers: list[LayerOut]


router = APIRouter(prefix="/layers", tags=["layers"])


@router.get("", summary="The live layers: names, titles, geometry, legend, and the events that update them")
def list_layers() -> LayersOut:
    return LayersOut(
        layers=[
            LayerOut(
                name=layer.name,
                entity_type=layer.entity_type,
                title={"zh-CN": layer.title_zh, "en": layer.title_en},
                geometry=layer.geometry,
                path=layer.path,
                drills=layer.drills,
                legend=LegendOut(property=layer.legend.property, values=list(layer.legend.values))
                if layer.legend
                else None,
            )
            for layer in LAYERS
        ]
    )
