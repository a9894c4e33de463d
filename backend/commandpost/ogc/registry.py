"""The collections served, one per layer of the map (live features only)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from commandpost.depots import service as depots
from commandpost.depots.schemas import depot_feature
from commandpost.hazards import service as hazards
from commandpost.incidents import service as incidents
from commandpost.incidents.schemas import incident_feature
from commandpost.ogc.service import Collection
from commandpost.resources import Page
from commandpost.roads import service as roads
from commandpost.roads.schemas import road_feature
from commandpost.sensors import service as sensors
from commandpost.sensors.schemas import sensor_feature
from commandpost.shelters import service as shelters
from commandpost.shelters.schemas import shelter_feature
from commandpost.teams import service as teams
from commandpost.teams.schemas import team_feature
from commandpost.warnings import service as warnings
from commandpost.warnings.schemas import warning_feature

ALL = 10**9


def _each(
    to_feature: Callable[[Any], dict[str, Any]],
) -> Callable[[Session, Sequence[Any]], list[dict[str, Any]]]:
    return lambda session, rows: [to_feature(row) for row in rows]


def _hazard_features(session: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
    to_feature = hazards.feature_maker(session, Page(items=rows, total=len(rows), limit=ALL, offset=0))
    return [to_feature(row) for row in rows]


COLLECTIONS: tuple[Collection, ...] = (
    Collection(
        "teams",
        "Rescue teams",
        "救援队伍",
        "Point",
        lambda s, bbox: teams.list_teams(s, bbox=bbox, limit=ALL).items,
        _each(team_feature),
        time="position_at",
    ),
    Collection(
        "depots",
        "Supply depots",
        "物资储备库",
        "Point",
        lambda s, bbox: depots.list_depots(s, bbox=bbox, limit=ALL).items,
        _each(depot_feature),
    ),
    Collection(
        "hazard-sources",
        "Major hazard sources",
        "重大危险源",
        "Polygon",
        lambda s, bbox: hazards.list_sources(s, bbox=bbox, limit=ALL).items,
        _hazard_features,
    ),
    Collection(
        "sensors",
        "Gas detectors",
        "气体探测器",
        "Point",
        lambda s, bbox: sensors.list_sensors(s, bbox=bbox, limit=ALL).items,
        _each(sensor_feature),
        time="last_reading_at",
    ),
    Collection(
        "shelters",
        "Shelters",
        "避难场所",
        "Point",
        lambda s, bbox: shelters.list_shelters(s, bbox=bbox, limit=ALL).items,
        _each(shelter_feature),
    ),
    Collection(
        "incidents",
        "Incidents",
        "事件",
        "Point",
        lambda s, bbox: incidents.list_incidents(s, bbox=bbox, limit=ALL).items,
        _each(incident_feature),
        time="reported_at",
    ),
    Collection(
        "warnings",
        "Warnings",
        "预警",
        "Polygon",
        lambda s, bbox: warnings.list_warnings(s, bbox=bbox, limit=ALL).items,
        _each(warning_feature),
        time="issued_at",
    ),
    Collection(
        "roads",
        "Roads",
        "道路",
        "LineString",
        lambda s, bbox: roads.list_roads(s, bbox=bbox, limit=ALL).items,
        _each(road_feature),
    ),
)
