"""The live layers the dashboard lists, from the one registry: names, titles, geometry, legend."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_the_layer_list_names_every_live_layer_with_its_titles_and_legend(client: TestClient) -> None:
    response = client.get("/api/v1/layers")
    assert response.status_code == 200
    layers = {layer["name"]: layer for layer in response.json()["layers"]}
    assert list(layers) == [
        "incidents",
        "warnings",
        "teams",
        "hazard-sources",
        "sensors",
        "depots",
        "shelters",
        "routes",
        "closures",
    ]
    teams = layers["teams"]
    assert teams["title"] == {"zh-CN": "救援队伍", "en": "Rescue teams"}
    assert (teams["entity_type"], teams["geometry"], teams["path"]) == ("team", "Point", "teams")
    assert teams["legend"]["property"] == "status"
    assert teams["legend"]["values"] == [
        "available",
        "dispatched",
        "en_route",
        "on_scene",
        "returning",
        "off_duty",
    ]
    assert layers["hazard-sources"]["legend"] == {"property": "grade", "values": ["I", "II", "III", "IV"]}
    assert layers["routes"]["entity_type"] == "assignment" and layers["routes"]["path"] == "assignments"
    assert layers["depots"]["legend"] is None
    # Drills have their own incidents, warnings, routes and closures; the rest is the real map.
    assert [name for name, layer in layers.items() if layer["drills"]] == [
        "incidents",
        "warnings",
        "routes",
        "closures",
    ]
    # Every layer is served over HTTP where it says.
    for layer in layers.values():
        page = client.get(f"/api/v1/{layer['path']}")
        assert page.status_code == 200 and page.json()["type"] == "FeatureCollection", layer["name"]
