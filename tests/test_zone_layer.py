"""Threat zones are a live layer: listed with the others, served as GeoJSON, coloured by level of concern."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from commandpost.clock import FrozenClock
from dispatch_support import B, incident, load_grid

BLAST = {"model": "vce", "chemical": "74-98-6", "mass_kg": 10_000}  # 10 t of propane


def test_the_zones_layer_is_listed_with_its_legend_and_serves_active_zones_by_concern(
    client: TestClient, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    load_grid(sessions, clock)
    layers = {layer["name"]: layer for layer in client.get("/api/v1/layers").json()["layers"]}
    zones = layers["threat-zones"]
    assert zones["entity_type"] == "zone" and zones["path"] == "threat-zones"
    assert zones["legend"] == {"property": "concern", "values": ["severe", "serious", "mild"]}
    assert zones["title"] == {"zh-CN": "影响区域", "en": "Threat zones"}

    drawn = client.post(f"/api/v1/incidents/{incident(client, B)}/threat-zones", json=BLAST)
    assert drawn.status_code == 201, drawn.text
    layer = client.get("/api/v1/threat-zones").json()
    assert layer["numberMatched"] == 4
    # 0.5, 1, 3 and 5 psi: glass breaks (mild), houses partly demolished (serious), deaths (severe).
    by_level = {f["properties"]["level"]: f["properties"]["concern"] for f in layer["features"]}
    assert by_level == {"3.5 kPa": "mild", "6.9 kPa": "serious", "20.7 kPa": "severe", "34.5 kPa": "severe"}

    first = layer["features"][0]["id"]
    client.post(f"/api/v1/threat-zones/{first}/clear", json={})
    assert client.get("/api/v1/threat-zones").json()["numberMatched"] == 0
    assert client.get("/api/v1/threat-zones", params={"status": "cleared"}).json()["numberMatched"] == 4
