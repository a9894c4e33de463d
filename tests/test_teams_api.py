"""Rescue teams over HTTP: the layer, one team, edits under versions, status rules, bad input."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

FIRE_TEAM: dict[str, Any] = {
    "name": "泉港区消防救援大队",
    "kind": "fire_rescue",
    "tier": "national",
    "headcount": 88,
    "capabilities": ["firefighting", "foam", "hazmat"],
    "vehicles": [{"type": "foam tender", "count": 4}],
    "base": {"type": "Point", "coordinates": [118.9166, 25.1267]},
}


def create(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/teams", json={**FIRE_TEAM, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def test_created_team_appears_on_the_layer_at_its_base(client: TestClient) -> None:
    team = create(client)
    layer = client.get("/api/v1/teams").json()
    assert layer["type"] == "FeatureCollection"
    assert layer["numberMatched"] == 1
    feature = layer["features"][0]
    assert feature["id"] == team["id"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [118.9166, 25.1267]}
    assert feature["properties"]["status"] == "available"
    assert feature["properties"]["headcount"] == 88


def test_bbox_keeps_only_teams_inside_the_box(client: TestClient) -> None:
    create(client, name="inside")
    create(client, name="outside", base={"type": "Point", "coordinates": [119.5, 25.5]})
    layer = client.get("/api/v1/teams", params={"bbox": "118.8,25.0,119.0,25.2"}).json()
    assert [f["properties"]["name"] for f in layer["features"]] == ["inside"]
    assert layer["numberMatched"] == 1


def test_paging_walks_the_whole_layer(client: TestClient) -> None:
    for i in range(5):
        create(client, name=f"team {i}")
    first = client.get("/api/v1/teams", params={"limit": 2}).json()
    assert first["numberMatched"] == 5 and first["numberReturned"] == 2
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    second = client.get(nxt).json()
    assert [f["properties"]["name"] for f in second["features"]] == ["team 2", "team 3"]


def test_stale_edit_is_refused_with_the_current_state(client: TestClient) -> None:
    team = create(client)
    first = client.patch(f"/api/v1/teams/{team['id']}", json={"headcount": 90}, headers={"If-Match": '"1"'})
    assert first.status_code == 200
    assert first.headers["ETag"] == '"2"'
    second = client.patch(f"/api/v1/teams/{team['id']}", json={"headcount": 70, "version": 1})
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"
    assert second.json()["current"]["properties"]["headcount"] == 90
    assert client.get(f"/api/v1/teams/{team['id']}").json()["properties"]["headcount"] == 90


def test_edit_without_a_version_is_refused(client: TestClient) -> None:
    team = create(client)
    response = client.patch(f"/api/v1/teams/{team['id']}", json={"headcount": 90})
    assert response.status_code == 428
    assert response.json()["field"] == "version"


def test_status_follows_the_allowed_transitions(client: TestClient) -> None:
    team = create(client)
    url = f"/api/v1/teams/{team['id']}/status"
    assert client.post(url, json={"status": "on_scene"}).status_code == 409
    assert client.post(url, json={"status": "dispatched"}).json()["properties"]["status"] == "dispatched"
    assert client.post(url, json={"status": "en_route"}).json()["properties"]["status"] == "en_route"


def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(client: TestClient) -> None:
    cases = [
        ({**FIRE_TEAM, "base": {"type": "Point", "coordinates": [200, 25]}}, "base"),
        ({**FIRE_TEAM, "kind": "wizards"}, "kind"),
        ({**FIRE_TEAM, "headcount": -3}, "headcount"),
        ({**FIRE_TEAM, "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/teams", json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["field"].startswith(field)
    malformed = client.post(
        "/api/v1/teams", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert client.get("/api/v1/teams").json()["numberMatched"] == 0


def test_unknown_team_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/teams/999")
    assert response.status_code == 404
    assert response.json()["detail"] == "team 999 does not exist"
