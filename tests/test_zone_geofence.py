"""An active threat zone is a live geofence: its roads close for routing while it is active, teams on
their way are re-routed round it, and a team inside it, or reporting a position inside it, is warned."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx2 as httpx
from fastapi.testclient import TestClient
from shapely.geometry import LineString, shape
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from websockets.sync.client import connect

from commandpost.clock import FrozenClock
from commandpost.config import Settings
from commandpost.events.models import Event
from dispatch_support import A, B, C, E, incident, load_grid, served, team

# 1° of latitude ≈ 110.8 km here: 200 m, 1 km and 1.2 km south of the spill at B (inside the
# 1.5 km protective-action square a north wind puts south of it), and 3 km south (outside).
SOUTH_200M = (B[0], B[1] - 200 / 110_800)
SOUTH_1KM = (B[0], B[1] - 1000 / 110_800)
SOUTH_1200M = (B[0], B[1] - 1200 / 110_800)
SOUTH_3KM = (B[0], B[1] - 3000 / 110_800)
CHLORINE_AT_NIGHT: dict[str, Any] = {
    "model": "erg",
    "un_number": "UN1017",
    "spill": "small",
    "daytime": False,
    "wind_speed_ms": 3,
    "wind_from_deg": 0,  # a north wind: the gas goes south
    "by": "值班员 林晓",
}


def route(client: TestClient, start: tuple[float, float], end: tuple[float, float]) -> dict[str, Any]:
    response = client.get(
        "/api/v1/route", params={"from": f"{start[0]},{start[1]}", "to": f"{end[0]},{end[1]}"}
    )
    assert response.status_code == 200, response.text
    feature: dict[str, Any] = response.json()
    return feature


def roads_of(feature: dict[str, Any]) -> list[str | None]:
    return [leg["road"] for leg in feature["properties"]["legs"] if leg["kind"] == "road"]


def draw(client: TestClient, incident_id: int) -> dict[str, Any]:
    response = client.post(f"/api/v1/incidents/{incident_id}/threat-zones", json=CHLORINE_AT_NIGHT)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def warnings_of(engine: Engine) -> list[tuple[int | None, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Event.entity_id, Event.payload).where(Event.type == "team.zone_warning").order_by(Event.id)
        )
        return [(team_id, payload["why"]) for team_id, payload in rows]


def report(client: TestClient, team_id: int, at: tuple[float, float]) -> None:
    response = client.post(f"/api/v1/teams/{team_id}/position", json={"lon": at[0], "lat": at[1]})
    assert response.status_code == 200 and response.headers["Position-Applied"] == "true", response.text


def test_roads_inside_an_active_zone_are_closed_and_reopen_when_it_is_cleared(
    client: TestClient, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    load_grid(sessions, clock)
    before = route(client, A, C)
    assert roads_of(before) == ["南路"]
    spill = incident(client, B)

    zones = draw(client, spill)["features"]
    closure_id = zones[0]["properties"]["closure_id"]
    assert closure_id is not None and {z["properties"]["closure_id"] for z in zones} == {closure_id}
    closure = client.get(f"/api/v1/closures/{closure_id}").json()
    assert closure["properties"]["kind"] == "danger_zone" and closure["properties"]["incident_id"] == spill
    detour = route(client, A, C)  # 南路 and 中路 meet at B, the spill: round by the north
    assert roads_of(detour) == ["西路", "北路", "东路"]
    area = shape(zones[0]["geometry"]).union(shape(zones[1]["geometry"]))
    assert not LineString(detour["geometry"]["coordinates"]).intersects(area)

    cleared = client.post(f"/api/v1/threat-zones/{zones[0]['id']}/clear", json={"by": "指挥长"})
    assert cleared.status_code == 200, cleared.text
    assert client.get(f"/api/v1/closures/{closure_id}").json()["properties"]["active"] is False
    assert route(client, A, C)["properties"]["eta_s"] == before["properties"]["eta_s"]


def test_a_team_on_its_way_is_rerouted_round_a_new_zone_and_back_when_it_clears(
    client: TestClient, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    load_grid(sessions, clock)
    unit = team(client, "西路危化队", (118.901, 25.1001), ["hazmat"])
    scene = incident(client, (118.939, 25.1003))  # on 南路 just west of C: the way there passes B
    url = f"/api/v1/incidents/{scene}/assignments"
    assignment = client.post(url, json={"team_id": unit}).json()
    assert "南路" in roads_of(assignment)
    moved = client.post(f"{url}/{assignment['id']}/status", json={"status": "en_route"})
    assert moved.status_code == 200, moved.text

    drawn = draw(client, incident(client, B))
    assert drawn["rerouted_assignments"] == [assignment["id"]]
    rerouted = client.get(f"{url}/{assignment['id']}").json()
    assert "北路" in roads_of(rerouted)
    assert rerouted["properties"]["eta_s"] > assignment["properties"]["eta_s"] + 60

    cleared = client.post(f"/api/v1/threat-zones/{drawn['features'][0]['id']}/clear", json={}).json()
    assert cleared["rerouted_assignments"] == [assignment["id"]]
    back = client.get(f"{url}/{assignment['id']}").json()
    assert back["properties"]["eta_s"] == assignment["properties"]["eta_s"]


def test_teams_inside_a_zone_when_it_is_drawn_are_warned(
    client: TestClient, engine: Engine, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    load_grid(sessions, clock)
    near = team(client, "园区危化品救援队", SOUTH_200M, ["hazmat"])
    team(client, "界山镇专职消防队", E, ["firefighting"])  # 2.2 km up-wind: not inside
    drawn = draw(client, incident(client, B))
    assert drawn["warned_teams"] == [near]
    assert warnings_of(engine) == [(near, "drawn_over")]
    with engine.connect() as conn:
        payload = conn.execute(select(Event.payload).where(Event.type == "team.zone_warning")).scalar_one()
    # The team is in the protective-action square only (the 60 m isolation circle is 140 m away).
    assert payload["level"] == "protective_action" and payload["zone_id"] == drawn["features"][1]["id"]
    assert payload["feature"]["id"] == near


def test_a_team_reporting_a_position_inside_an_active_zone_is_warned_once_per_entry(
    client: TestClient, engine: Engine, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    load_grid(sessions, clock)
    driver = team(client, "界山镇专职消防队", E, ["firefighting"])
    fleet = [team(client, f"车队{i}", SOUTH_3KM, ["firefighting"]) for i in range(2)]
    drawn = draw(client, incident(client, B))
    assert drawn["warned_teams"] == []

    clock.advance(timedelta(seconds=5))
    report(client, driver, SOUTH_1KM)  # drives into the square
    assert warnings_of(engine) == [(driver, "entered")]
    clock.advance(timedelta(seconds=5))
    report(client, driver, SOUTH_1200M)  # still inside: no second warning
    assert warnings_of(engine) == [(driver, "entered")]

    clock.advance(timedelta(seconds=5))
    batch = client.post(
        "/api/v1/teams/positions",
        json={
            "positions": [
                {"team": fleet[0], "lon": SOUTH_1KM[0], "lat": SOUTH_1KM[1]},
                {"team": fleet[1], "lon": SOUTH_3KM[0] + 0.001, "lat": SOUTH_3KM[1]},  # stays outside
            ]
        },
    )
    assert batch.status_code == 200, batch.text
    assert warnings_of(engine) == [(driver, "entered"), (fleet[0], "entered")]

    # A dispatcher placing a team inside (an edit, not a report) warns it too.
    placed = client.patch(
        f"/api/v1/teams/{fleet[1]}",
        json={"position": {"type": "Point", "coordinates": list(SOUTH_1200M)}},
        headers={"If-Match": '"1"'},
    )
    assert placed.status_code == 200, placed.text
    assert warnings_of(engine)[-1] == (fleet[1], "entered")
    client.patch(
        f"/api/v1/teams/{fleet[1]}",
        json={"position": {"type": "Point", "coordinates": list(SOUTH_3KM)}},
        headers={"If-Match": '"2"'},
    )
    assert len(warnings_of(engine)) == 3

    # Once cleared, the zone warns no one.
    client.post(f"/api/v1/threat-zones/{drawn['features'][0]['id']}/clear", json={})
    clock.advance(timedelta(seconds=5))
    report(client, fleet[1], SOUTH_1KM)
    assert len(warnings_of(engine)) == 3


def test_the_warning_reaches_the_dashboard_stream_at_once(
    settings: Settings, engine: Engine, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    load_grid(sessions, clock)
    with served(settings, engine, clock) as base, httpx.Client(base_url=base) as http:
        body = {
            "name": "界山镇专职消防队",
            "kind": "professional",
            "tier": "district",
            "headcount": 10,
            "capabilities": ["firefighting"],
            "base": {"type": "Point", "coordinates": list(E)},
        }
        driver = http.post("/api/v1/teams", json=body).json()["id"]
        spill = http.post(
            "/api/v1/incidents",
            json={"type": "leak", "title": "氯气泄漏", "location": {"type": "Point", "coordinates": list(B)}},
        ).json()["id"]
        assert http.post(f"/api/v1/incidents/{spill}/threat-zones", json=CHLORINE_AT_NIGHT).status_code == 201
        address = base.removeprefix("http://")
        with connect(f"ws://{address}/api/v1/stream?layers=teams", open_timeout=10, max_size=None) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "snapshot"
            clock.advance(timedelta(seconds=5))
            moved = http.post(
                f"/api/v1/teams/{driver}/position", json={"lon": SOUTH_1KM[0], "lat": SOUTH_1KM[1]}
            )
            assert moved.status_code == 200, moved.text
            seen: list[dict[str, Any]] = []
            while not any(m.get("event") == "team.zone_warning" for m in seen):
                seen.append(json.loads(ws.recv(timeout=10)))
    warning = next(m for m in seen if m.get("event") == "team.zone_warning")
    assert warning["entity_id"] == driver and warning["payload"]["why"] == "entered"
    assert warning["payload"]["incident_id"] == spill
