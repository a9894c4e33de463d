"""Emergency shelters over HTTP: the layer, one shelter, versioned edits, bad input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from commandpost.events.models import Event

URL = "/api/v1/shelters"

STADIUM: dict[str, Any] = {
    "name": "泉港区体育中心",
    "kind": "stadium",
    "location": {"type": "Point", "coordinates": [118.9135, 25.1262]},
    "capacity": 6000,
    "address": "泉港区山腰街道",
    "town": "山腰街道",
}


def create(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post(URL, json={**STADIUM, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def event_types(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(Event.type).where(Event.entity_type == "shelter").order_by(Event.id)))


def test_created_shelter_is_on_the_layer_and_readable(client: TestClient, engine: Engine) -> None:
    created = client.post(URL, json=STADIUM)
    assert created.status_code == 201
    one = client.get(created.headers["Location"])
    assert one.status_code == 200 and one.headers["ETag"] == '"1"'
    assert one.json()["properties"]["capacity"] == 6000
    layer = client.get(URL).json()
    assert layer["numberMatched"] == 1
    assert layer["features"][0]["geometry"] == {"type": "Point", "coordinates": [118.9135, 25.1262]}
    assert create(client, name="school", kind="school")["properties"]["kind"] == "school"
    assert event_types(engine) == ["shelter.created", "shelter.created"]


def test_kind_defaults_to_indoor(client: TestClient) -> None:
    body = {k: v for k, v in STADIUM.items() if k != "kind"}
    assert client.post(URL, json=body).json()["properties"]["kind"] == "indoor"


def test_bbox_keeps_only_shelters_inside_the_box(client: TestClient) -> None:
    create(client, name="inside")
    create(client, name="outside", location={"type": "Point", "coordinates": [119.5, 25.5]})
    layer = client.get(URL, params={"bbox": "118.8,25.0,119.0,25.2"}).json()
    assert [f["properties"]["name"] for f in layer["features"]] == ["inside"]
    assert layer["numberMatched"] == 1
    assert client.get(URL, params={"bbox": "119,25,118,26"}).json()["field"] == "bbox"


def test_edit_and_stale_edit(client: TestClient, engine: Engine) -> None:
    shelter = create(client)
    url = f"{URL}/{shelter['id']}"
    edited = client.patch(url, json={"capacity": 8000}, headers={"If-Match": '"1"'})
    assert edited.status_code == 200 and edited.headers["ETag"] == '"2"'
    stale = client.patch(url, json={"capacity": 100, "version": 1})
    assert stale.status_code == 409
    assert stale.json()["current"]["properties"]["capacity"] == 8000
    assert client.patch(url, json={"capacity": 100}).status_code == 428
    assert client.get(url).json()["properties"]["capacity"] == 8000
    assert event_types(engine) == ["shelter.created", "shelter.updated"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"capacity": 0}, "capacity"),
        ({"capacity": -10}, "capacity"),
        ({"name": ""}, "name"),
        ({"location": {"type": "Polygon", "coordinates": []}}, "location"),
        ({"location": {"type": "Point", "coordinates": [181, 25]}}, "location"),
        ({"beds": 10}, "beds"),
    ],
)
def test_bad_create_is_a_problem_naming_the_field_and_writes_nothing(
    client: TestClient, engine: Engine, change: dict[str, Any], field: str
) -> None:
    response = client.post(URL, json={**STADIUM, **change})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"].startswith(field)
    assert client.get(URL).json()["numberMatched"] == 0
    assert event_types(engine) == []


def test_bad_edit_writes_nothing(client: TestClient, engine: Engine) -> None:
    shelter = create(client)
    url = f"{URL}/{shelter['id']}"
    for body, field in [
        ({"capacity": 0}, "capacity"),
        ({"capacity": None}, "capacity"),
        ({"name": None}, "name"),
    ]:
        response = client.patch(url, json={**body, "version": 1})
        assert response.status_code == 422, body
        assert response.json()["field"] == field
    stored = client.get(url)
    assert stored.headers["ETag"] == '"1"' and stored.json()["properties"]["capacity"] == 6000
    assert event_types(engine) == ["shelter.created"]


def test_unknown_shelter_is_404(client: TestClient) -> None:
    assert client.get(f"{URL}/999").status_code == 404
    assert client.patch(f"{URL}/999", json={"capacity": 5, "version": 1}).status_code == 404
