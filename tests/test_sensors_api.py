"""Sensors over HTTP: the layer and its filters, unit from kind, threshold rules, edits, bad input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from commandpost.events.models import Event
from tests_support import create_hazard_source

URL = "/api/v1/sensors"

GAS_DETECTOR: dict[str, Any] = {
    "ref": "QG-GAS-0107",
    "kind": "combustible_gas",
    "substance": "丙烯",
    "cas": "115-07-1",
    "location": {"type": "Point", "coordinates": [118.9231, 25.1423]},
    "alarm_1": 20,
    "alarm_2": 50,
    "expected_interval_s": 30,
}

H2S_DETECTOR: dict[str, Any] = {
    "ref": "QG-H2S-0001",
    "kind": "toxic_gas",
    "substance": "硫化氢",
    "cas": "7783-06-4",
    "location": {"type": "Point", "coordinates": [118.9240, 25.1410]},
    "alarm_1": 10,
    "alarm_2": 20,
}


def hazard_source(client: TestClient, ref: str = "QG-HS-001") -> int:
    return create_hazard_source(client, ref)


def create(client: TestClient, base: dict[str, Any] = GAS_DETECTOR, **overrides: Any) -> dict[str, Any]:
    response = client.post(URL, json={**base, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def event_types(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(Event.type).where(Event.entity_type == "sensor").order_by(Event.id)))


def test_created_sensor_takes_its_unit_from_its_kind(client: TestClient, engine: Engine) -> None:
    created = client.post(URL, json=GAS_DETECTOR)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"{URL}/{created.json()['id']}"
    one = client.get(created.headers["Location"])
    assert one.headers["ETag"] == '"1"'
    feature = one.json()
    assert feature["geometry"] == {"type": "Point", "coordinates": [118.9231, 25.1423]}
    props = feature["properties"]
    assert props["unit"] == "%LEL"
    assert props["state"] == "normal"
    assert (props["alarm_1"], props["alarm_2"], props["expected_interval_s"]) == (20, 50, 30)
    assert create(client, H2S_DETECTOR)["properties"]["unit"] == "ppm"
    assert (
        create(client, kind="temperature", ref="T-1", unit="°C", alarm_1=80, alarm_2=120)["properties"][
            "unit"
        ]
        == "°C"
    )
    assert event_types(engine) == ["sensor.created"] * 3


def test_layer_bbox_and_filters(client: TestClient) -> None:
    tanks = hazard_source(client)
    create(client, ref="watching", hazard_source_id=tanks)
    create(client, H2S_DETECTOR, ref="toxic")
    create(client, ref="far", location={"type": "Point", "coordinates": [119.5, 25.5]})

    def refs(**params: Any) -> list[str]:
        layer = client.get(URL, params=params)
        assert layer.status_code == 200, layer.text
        return [f["properties"]["ref"] for f in layer.json()["features"]]

    assert refs() == ["watching", "toxic", "far"]
    assert refs(bbox="118.9,25.1,119.0,25.2") == ["watching", "toxic"]
    assert refs(hazard_source_id=tanks) == ["watching"]
    assert refs(kind="toxic_gas") == ["toxic"]
    assert refs(state="normal") == ["watching", "toxic", "far"]
    assert refs(state="alarm_2") == []
    page = client.get(URL, params={"limit": 2, "offset": 2}).json()
    assert page["numberMatched"] == 3 and [f["properties"]["ref"] for f in page["features"]] == ["far"]


BAD_CREATES = [
    ({"unit": "ppm"}, "unit", "%LEL"),
    ({**H2S_DETECTOR, "substance": None}, "substance", "substance"),
    ({**H2S_DETECTOR, "substance": "  "}, "substance", ""),
    ({"alarm_1": 0}, "alarm_1", ""),
    ({"alarm_1": -5}, "alarm_1", ""),
    ({"alarm_1": 20, "alarm_2": 20}, "alarm_2", "above the first"),
    ({"kind": "temperature", "alarm_1": 120, "alarm_2": 80}, "alarm_2", "above the first"),
    ({"alarm_1": 30, "alarm_2": 50}, "alarm_1", "GB/T 50493-2019"),
    ({"alarm_1": 20, "alarm_2": 60}, "alarm_2", "GB/T 50493-2019"),
    ({"alarm_1": 20, "alarm_2": 120}, "alarm_2", "50 %LEL"),
    ({"hazard_source_id": 999}, "hazard_source_id", "999"),
    ({"expected_interval_s": 0}, "expected_interval_s", ""),
    ({"cas": "115-07-2"}, "cas", "check digit"),
    ({"kind": "radiation"}, "kind", ""),
    ({"location": {"type": "Point", "coordinates": [118.9, 95.0]}}, "location", ""),
    ({"calibration_due": "2027-01-01T00:00:00"}, "calibration_due", ""),
    ({"colour": "red"}, "colour", ""),
]


@pytest.mark.parametrize(("change", "field", "said"), BAD_CREATES)
def test_bad_create_is_a_problem_naming_the_field_and_writes_nothing(
    client: TestClient, engine: Engine, change: dict[str, Any], field: str, said: str
) -> None:
    response = client.post(URL, json={**GAS_DETECTOR, **change})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["field"] == field
    assert said in problem["detail"]
    assert client.get(URL).json()["numberMatched"] == 0
    assert event_types(engine) == []


def test_thresholds_above_the_combustible_limits_are_fine_for_other_kinds(client: TestClient) -> None:
    assert create(client, H2S_DETECTOR, alarm_1=30, alarm_2=60)["properties"]["alarm_2"] == 60
    pressure = create(client, kind="pressure", ref="P-1", substance=None, cas=None, alarm_1=1.6, alarm_2=2.5)
    assert pressure["properties"]["unit"] == "MPa"
    assert pressure["properties"]["alarm_1"] == 1.6


def test_edit_is_checked_against_the_sensor_as_it_would_be(client: TestClient, engine: Engine) -> None:
    sensor = create(client, kind="temperature", ref="T-1", substance=None, cas=None, alarm_1=80, alarm_2=120)
    url = f"{URL}/{sensor['id']}"
    for body, field in [
        ({"kind": "combustible_gas"}, "alarm_1"),  # 80 would be 80 %LEL
        ({"kind": "toxic_gas", "alarm_1": 10, "alarm_2": 20}, "substance"),
        ({"alarm_2": 70}, "alarm_2"),  # below the stored first alarm
        ({"unit": "MPa"}, "unit"),
        ({"hazard_source_id": 999}, "hazard_source_id"),
        ({"alarm_1": None}, "alarm_1"),
        ({"expected_interval_s": -1}, "expected_interval_s"),
    ]:
        response = client.patch(url, json={**body, "version": 1})
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["field"] == field, body
    stored = client.get(url)
    assert stored.headers["ETag"] == '"1"'
    assert stored.json()["properties"]["kind"] == "temperature"
    assert stored.json()["properties"]["unit"] == "°C"
    assert event_types(engine) == ["sensor.created"]

    tanks = hazard_source(client)
    edited = client.patch(
        url,
        json={
            "kind": "toxic_gas",
            "substance": "氨",
            "cas": "7664-41-7",
            "alarm_1": 25,
            "alarm_2": 50,
            "hazard_source_id": tanks,
        },
        headers={"If-Match": '"1"'},
    )
    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] == '"2"'
    props = edited.json()["properties"]
    assert (props["kind"], props["unit"], props["hazard_source_id"]) == ("toxic_gas", "ppm", tanks)
    assert client.get(f"/api/v1/hazard-sources/{tanks}").json()["properties"]["sensor_ids"] == [sensor["id"]]
    assert event_types(engine) == ["sensor.created", "sensor.updated"]


def test_stale_or_missing_version_is_refused(client: TestClient) -> None:
    sensor = create(client)
    url = f"{URL}/{sensor['id']}"
    assert client.patch(url, json={"alarm_1": 15, "version": 1}).status_code == 200
    stale = client.patch(url, json={"alarm_1": 10, "version": 1})
    assert stale.status_code == 409
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["current"]["properties"]["alarm_1"] == 15
    missing = client.patch(url, json={"alarm_1": 10})
    assert missing.status_code == 428 and missing.json()["field"] == "version"
    assert client.get(url).json()["properties"]["alarm_1"] == 15


def test_a_ref_already_in_use_is_a_conflict(client: TestClient) -> None:
    create(client)
    response = client.post(URL, json=GAS_DETECTOR)
    assert response.status_code == 409 and response.json()["field"] == "ref"


def test_unknown_sensor_is_404(client: TestClient) -> None:
    response = client.get(f"{URL}/999")
    assert response.status_code == 404
    assert response.json()["detail"] == "sensor 999 does not exist"
