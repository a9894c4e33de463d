"""Zones kept against an incident: stored polygons with their events, what lies inside each, clearing them."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from commandpost.clock import FrozenClock
from commandpost.events.models import Event
from dispatch_support import B, E, incident, load_grid, point, team

# 1° of latitude ≈ 110.8 km here: these offsets put things 200 m and 1 km south of the spill at B.
SOUTH_200M = (B[0], B[1] - 200 / 110_800)
SOUTH_1KM = (B[0], B[1] - 1000 / 110_800)
CHLORINE_AT_NIGHT: dict[str, Any] = {
    "model": "erg",
    "un_number": "UN1017",
    "spill": "small",
    "daytime": False,
    "wind_speed_ms": 3,
    "wind_from_deg": 0,  # a north wind: the gas goes south
    "by": "值班员 林晓",
}


def zone_events(engine: Engine) -> list[tuple[str, str | None]]:
    with engine.connect() as conn:
        return [
            (t, a)
            for t, a in conn.execute(select(Event.type, Event.actor).where(Event.entity_type == "zone"))
        ]


@pytest.fixture
def scene(client: TestClient, sessions: sessionmaker[Session], clock: FrozenClock) -> dict[str, int]:
    load_grid(sessions, clock)
    shelter = client.post(
        "/api/v1/shelters",
        json={"name": "南埔中学", "kind": "school", "location": point(*SOUTH_1KM), "capacity": 800},
    )
    assert shelter.status_code == 201, shelter.text
    return {
        "incident": incident(client, B),
        "near": team(client, "园区危化品救援队", SOUTH_200M, ["hazmat"]),
        "far": team(client, "界山镇专职消防队", E, ["firefighting"]),
        "shelter": shelter.json()["id"],
    }


def test_zones_are_kept_for_the_incident_with_their_model_and_an_event_each(
    client: TestClient, engine: Engine, scene: dict[str, int]
) -> None:
    url = f"/api/v1/incidents/{scene['incident']}/threat-zones"
    saved = client.post(url, json=CHLORINE_AT_NIGHT)
    assert saved.status_code == 201, saved.text
    features = saved.json()["features"]
    assert [f["properties"]["level"] for f in features] == ["isolation", "protective_action"]
    props = features[1]["properties"]
    assert props["model"] == "erg" and props["distance_m"] == 1500 and props["status"] == "active"
    assert props["inputs"]["un_number"] == "1017" and "ERG 2024" in props["basis"]
    assert props["source"]["coordinates"] == list(B)  # the incident's own place
    assert features[0]["properties"]["run_id"] == props["run_id"]
    assert zone_events(engine) == [("zone.created", "值班员 林晓"), ("zone.created", "值班员 林晓")]
    listed = client.get(url).json()["features"]
    assert sorted(f["id"] for f in listed) == sorted(f["id"] for f in features)
    one = client.get(f"/api/v1/threat-zones/{features[0]['id']}")
    assert one.status_code == 200 and one.json()["geometry"]["type"] == "Polygon"


def test_inside_lists_what_each_zone_covers_with_distances(client: TestClient, scene: dict[str, int]) -> None:
    features = client.post(
        f"/api/v1/incidents/{scene['incident']}/threat-zones", json=CHLORINE_AT_NIGHT
    ).json()["features"]
    isolation, protective = (f["id"] for f in features)

    square = client.get(f"/api/v1/threat-zones/{protective}/inside")
    assert square.status_code == 200, square.text
    body = square.json()
    assert [t["id"] for t in body["teams"]] == [scene["near"]]  # the team 2.2 km up-wind is not inside
    assert body["teams"][0]["distance_m"] == pytest.approx(200, abs=2)
    assert [(s["id"], round(s["distance_m"] / 10) * 10) for s in body["shelters"]] == [
        (scene["shelter"], 1000)
    ]
    assert body["shelters"][0]["extra"]["capacity"] == 800

    circle = client.get(f"/api/v1/threat-zones/{isolation}/inside").json()
    # The 60 m circle holds only the roads through the spill point, not the team 200 m away.
    assert circle["teams"] == [] and circle["shelters"] == []
    assert {r["name"] for r in circle["road_segments"]} >= {"南路"}
    assert all(r["distance_m"] == 0 for r in circle["road_segments"])


def test_clearing_a_zone_clears_its_run_once(
    client: TestClient, engine: Engine, scene: dict[str, int]
) -> None:
    url = f"/api/v1/incidents/{scene['incident']}/threat-zones"
    first = client.post(url, json=CHLORINE_AT_NIGHT).json()["features"][0]["id"]
    cleared = client.post(
        f"/api/v1/threat-zones/{first}/clear", json={"reason": "泄漏已封堵", "by": "指挥长"}
    )
    assert cleared.status_code == 200, cleared.text
    assert [f["properties"]["status"] for f in cleared.json()["features"]] == ["cleared", "cleared"]
    assert client.get(url).json()["features"] == []
    assert len(client.get(url, params={"status": "cleared"}).json()["features"]) == 2
    assert [t for t, _ in zone_events(engine)].count("zone.cleared") == 2
    again = client.post(f"/api/v1/threat-zones/{first}/clear", json={})
    assert again.status_code == 409


def test_zones_for_an_unknown_incident_or_zone_are_404(client: TestClient) -> None:
    assert client.post("/api/v1/incidents/999/threat-zones", json=CHLORINE_AT_NIGHT).status_code == 404
    assert client.get("/api/v1/threat-zones/999").status_code == 404
    assert client.get("/api/v1/threat-zones/999/inside").status_code == 404
