"""From alarm to zone: an orange or red warning at a hazard source holding a toxic chemical gets the
ERG zone of its worst chemical proposed in the current wind, and one call keeps it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from commandpost.clock import FrozenClock
from dispatch_support import B, load_grid, point, team

SOUTH_1KM = (B[0], B[1] - 1000 / 110_800)
PROPOSAL = "/api/v1/threat-zones/proposal/for-warning"


def chlorine_tanks(client: TestClient) -> int:
    source = client.post(
        "/api/v1/hazard-sources",
        json={
            "enterprise": "某氯碱企业",
            "name": "液氯储罐区",
            "site": point(*B),
            "chemicals": [{"name": "氯", "cas": "7782-50-5", "quantity_t": 50}],
        },
    )
    assert source.status_code == 201, source.text
    source_id: int = source.json()["id"]
    return source_id


def warning(client: TestClient, source_id: int, level: str) -> int:
    response = client.post(
        "/api/v1/warnings",
        json={
            "level": level,
            "title": "液氯储罐区有毒气体报警",
            "area": point(*B),
            "hazard_source_id": source_id,
            "issued_by": "值班员 林晓",
        },
    )
    assert response.status_code == 201, response.text
    warning_id: int = response.json()["id"]
    return warning_id


def test_a_red_warning_gets_the_erg_zone_proposed_in_the_stations_wind(client: TestClient) -> None:
    red = warning(client, chlorine_tanks(client), "red")
    no_wind = client.get(PROPOSAL, params={"warning_id": red})
    assert no_wind.status_code == 422 and no_wind.json()["field"] == "wind_speed_ms"

    station = client.post(
        "/api/v1/sensors",
        json={
            "ref": "WX-1",
            "kind": "weather_station",
            "location": point(B[0], B[1] + 0.02),
            "alarm_1": 10.8,
            "alarm_2": 17.2,
        },
    )
    assert station.status_code == 201, station.text
    read = client.post(
        "/api/v1/sensors/readings", json={"readings": [{"sensor": "WX-1", "value": 3, "direction_deg": 0}]}
    )
    assert read.status_code == 200, read.text
    proposed = client.get(PROPOSAL, params={"warning_id": red})
    assert proposed.status_code == 200, proposed.text
    body: dict[str, Any] = proposed.json()
    assert body["model"] == "erg" and body["inputs"]["proposed_for"] == "氯"
    assert body["inputs"]["wind"]["source"] == "station" and body["inputs"]["wind_from_deg"] == 0
    # ERG 2024 Table 3, chlorine, rail tank car, day (the test clock), moderate wind: 1,000 m and 6.3 km.
    assert [z["distance_m"] for z in body["zones"]] == [1000, 6300]


def test_a_yellow_warning_or_one_without_a_source_gets_no_proposal(client: TestClient) -> None:
    yellow = warning(client, chlorine_tanks(client), "yellow")
    refused = client.get(PROPOSAL, params={"warning_id": yellow, "wind_speed_ms": 3, "wind_from_deg": 0})
    assert refused.status_code == 409 and refused.json()["field"] == "warning_id"
    assert (
        client.get(PROPOSAL, params={"warning_id": 999, "wind_speed_ms": 3, "wind_from_deg": 0}).status_code
        == 404
    )


def test_one_call_keeps_the_proposed_zone_for_a_new_incident_and_warns_the_teams_inside(
    client: TestClient, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    load_grid(sessions, clock)
    source_id = chlorine_tanks(client)
    orange = warning(client, source_id, "orange")
    inside = team(client, "园区危化品救援队", SOUTH_1KM, ["hazmat"])
    accepted = client.post(
        "/api/v1/threat-zones/proposal/accept",
        json={"warning_id": orange, "wind_speed_ms": 3, "wind_from_deg": 0, "by": "值班员 林晓"},
    )
    assert accepted.status_code == 201, accepted.text
    body = accepted.json()
    assert [f["properties"]["level"] for f in body["features"]] == ["isolation", "protective_action"]
    assert body["warned_teams"] == [inside]
    incident_id = body["features"][0]["properties"]["incident_id"]
    incident = client.get(f"/api/v1/incidents/{incident_id}").json()
    assert incident["properties"]["hazard_source_id"] == source_id
    assert client.get(f"/api/v1/warnings/{orange}").json()["properties"]["incident_id"] == incident_id
    listed = client.get(f"/api/v1/incidents/{incident_id}/threat-zones").json()["features"]
    assert len(listed) == 2 and all(f["properties"]["closure_id"] for f in listed)
