"""What the routing and dispatch tests share: a small hand-drawn road grid, builders, a real server.

The grid (lon 118.90–118.94, lat 25.10–25.12; ≈ 2 km per block):

    D ──北路── E ──北路(one-way E→F)── F
    │          │                       │
   西路       中路                    东路
    │          │                       │
    A ──南路── B ────────南路───────── C
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from commandpost.app import create_app
from commandpost.background import Jobs
from commandpost.clock import Clock
from commandpost.config import Settings
from commandpost.roads import service as roads
from commandpost.roads.models import RoadSegment
from tests_support import uvicorn_in_thread

A, B, C = (118.90, 25.10), (118.92, 25.10), (118.94, 25.10)
D, E, F = (118.90, 25.12), (118.92, 25.12), (118.94, 25.12)


def _road(name: str, a: tuple[float, float], b: tuple[float, float], **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"name": name, "road_class": "primary", "speed_kmh": 60, **props},
        "geometry": {"type": "LineString", "coordinates": [list(a), list(b)]},
    }


GRID = [
    _road("南路", A, B),
    _road("南路", B, C),
    _road("北路", D, E),
    _road("北路", E, F, oneway=True),
    _road("西路", A, D),
    _road("中路", B, E),
    _road("东路", C, F),
]


def load_grid(
    sessions: sessionmaker[Session], clock: Clock, features: list[dict[str, Any]] | None = None
) -> None:
    with sessions() as session:
        roads.load_geojson(session, features=features or GRID, clock=clock)
        session.commit()


def segment_id(session: Session, a: tuple[float, float], b: tuple[float, float]) -> int:
    """The id of the stored segment drawn from a to b."""
    for road in session.scalars(select(RoadSegment)):
        from commandpost import geo

        line = geo.from_db(road.geom)
        assert line is not None
        coords = list(line.coords)
        if coords[0] == a and coords[-1] == b:
            return road.id
    raise AssertionError(f"no segment {a} → {b}")


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def team(client: TestClient, name: str, at: tuple[float, float], capabilities: list[str], **more: Any) -> int:
    body = {
        "name": name,
        "kind": "professional",
        "tier": "district",
        "headcount": 10,
        "capabilities": capabilities,
        "base": point(*at),
        **more,
    }
    response = client.post("/api/v1/teams", json=body)
    assert response.status_code == 201, response.text
    team_id: int = response.json()["id"]
    return team_id


def incident(client: TestClient, at: tuple[float, float], **more: Any) -> int:
    body = {"type": "leak", "title": "丙烯泄漏", "location": point(*at), **more}
    response = client.post("/api/v1/incidents", json=body)
    assert response.status_code == 201, response.text
    incident_id: int = response.json()["id"]
    return incident_id


def plan(
    client: TestClient,
    needs: list[dict[str, Any]],
    *,
    actions: list[dict[str, Any]] | None = None,
    incident_type: str = "leak",
    level: str = "IV",
) -> None:
    response = client.put(
        f"/api/v1/response-plans/{incident_type}/{level}",
        json={"name": f"{incident_type} {level}", "needs": needs, "actions": actions or []},
    )
    assert response.status_code in (200, 201), response.text


@contextmanager
def served(settings: Settings, engine: Engine, clock: Clock) -> Iterator[str]:
    """The app on a real uvicorn server on a loopback port, in a thread; yields its base URL."""
    with uvicorn_in_thread(create_app(settings, clock=clock, engine=engine, jobs=Jobs.untimed)) as address:
        yield f"http://{address}"
