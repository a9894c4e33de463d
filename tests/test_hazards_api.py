"""Major hazard sources over HTTP: the layer, one source with its chemicals and sensors, edits, bad input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from commandpost.events.models import Event

URL = "/api/v1/hazard-sources"

TANK_FARM = {
    "type": "Polygon",
    "coordinates": [
        [[118.921, 25.141], [118.925, 25.141], [118.925, 25.144], [118.921, 25.144], [118.921, 25.141]]
    ],
}

PROPYLENE_TANKS: dict[str, Any] = {
    "ref": "QG-HS-001",
    "enterprise": "福建联合石油化工有限公司",
    "name": "丙烯球罐区",
    "site": TANK_FARM,
    "chemicals": [
        {"name": "丙烯", "cas": "115-07-1", "quantity_t": 4000},
        {"name": "液化石油气", "cas": "68476-85-7", "quantity_t": 1200.5},
    ],
    "grade": "II",
    "r_value": 86.4,
    "exposed_population": 1200,
}


def create(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post(URL, json={**PROPYLENE_TANKS, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def event_types(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.scalars(select(Event.type).where(Event.entity_type == "hazard_source").order_by(Event.id))
        )


def test_created_source_is_on_the_layer_with_its_area_chemicals_and_grade_colour(client: TestClient) -> None:
    created = client.post(URL, json=PROPYLENE_TANKS)
    assert created.status_code == 201
    assert created.headers["Location"] == f"{URL}/{created.json()['id']}"
    assert created.headers["ETag"] == '"1"'
    layer = client.get(URL).json()
    assert layer["type"] == "FeatureCollection" and layer["numberMatched"] == 1
    feature = layer["features"][0]
    assert feature["geometry"]["type"] == "Polygon"
    assert feature["geometry"]["coordinates"][0][0] == [118.921, 25.141]
    props = feature["properties"]
    assert props["risk_colour"] == "orange"  # derived from grade II
    assert props["chemicals"] == [
        {"name": "丙烯", "cas": "115-07-1", "quantity_t": 4000},
        {"name": "液化石油气", "cas": "68476-85-7", "quantity_t": 1200.5},
    ]


def test_a_given_risk_colour_is_kept_and_a_point_site_is_accepted(client: TestClient) -> None:
    source = create(
        client,
        ref=None,
        site={"type": "Point", "coordinates": [118.93, 25.13]},
        grade="III",
        risk_colour="orange",
    )
    assert source["geometry"] == {"type": "Point", "coordinates": [118.93, 25.13]}
    assert source["properties"]["risk_colour"] == "orange"
    assert source["properties"]["grade"] == "III"


def test_get_one_lists_its_chemicals_and_the_sensors_watching_it(client: TestClient) -> None:
    source = create(client)
    other = create(client, ref="QG-HS-002", name="苯罐区")
    sensor_ids = []
    for i, watched in enumerate([source["id"], other["id"], source["id"]]):
        sensor = client.post(
            "/api/v1/sensors",
            json={
                "ref": f"GAS-{i}",
                "kind": "combustible_gas",
                "location": {"type": "Point", "coordinates": [118.922, 25.142]},
                "hazard_source_id": watched,
                "alarm_1": 20,
                "alarm_2": 40,
            },
        )
        assert sensor.status_code == 201, sensor.text
        sensor_ids.append(sensor.json()["id"])
    one = client.get(f"{URL}/{source['id']}")
    assert one.status_code == 200
    assert one.headers["ETag"] == '"1"'
    props = one.json()["properties"]
    assert props["sensor_ids"] == [sensor_ids[0], sensor_ids[2]]
    assert [c["name"] for c in props["chemicals"]] == ["丙烯", "液化石油气"]
    layer = {f["id"]: f["properties"]["sensor_ids"] for f in client.get(URL).json()["features"]}
    assert layer == {source["id"]: [sensor_ids[0], sensor_ids[2]], other["id"]: [sensor_ids[1]]}


def test_bbox_keeps_sources_whose_site_meets_the_box(client: TestClient) -> None:
    create(client, ref="inside", name="straddles the box edge")
    create(client, ref="outside", name="far away", site={"type": "Point", "coordinates": [119.5, 25.5]})
    # The box covers only the tank farm's west half.
    layer = client.get(URL, params={"bbox": "118.90,25.10,118.923,25.20"}).json()
    assert [f["properties"]["name"] for f in layer["features"]] == ["straddles the box edge"]
    assert layer["numberMatched"] == 1


def test_layer_filters_by_grade_and_colour_and_pages(client: TestClient) -> None:
    create(client, ref="a", name="a", grade="I")
    create(client, ref="b", name="b", grade="II")
    create(client, ref="c", name="c", grade="II", risk_colour="yellow")
    create(client, ref="d", name="d", grade="IV")

    def names(**params: Any) -> list[str]:
        return [f["properties"]["name"] for f in client.get(URL, params=params).json()["features"]]

    assert names(grade="II") == ["b", "c"]
    assert names(risk_colour="red") == ["a"]
    assert names(grade="II", risk_colour="orange") == ["b"]
    first = client.get(URL, params={"limit": 3}).json()
    assert first["numberReturned"] == 3 and first["numberMatched"] == 4
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    assert [f["properties"]["name"] for f in client.get(nxt).json()["features"]] == ["d"]
    assert client.get(URL, params={"grade": "V"}).status_code == 422


def test_edit_replaces_the_chemicals_and_a_new_grade_brings_its_colour(
    client: TestClient, engine: Engine
) -> None:
    source = create(client)
    url = f"{URL}/{source['id']}"
    edited = client.patch(
        url, json={"chemicals": [{"name": "苯", "cas": "71-43-2", "quantity_t": 50}], "version": 1}
    )
    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] == '"2"'
    assert edited.json()["properties"]["chemicals"] == [{"name": "苯", "cas": "71-43-2", "quantity_t": 50}]
    regraded = client.patch(url, json={"grade": "I"}, headers={"If-Match": '"2"'})
    assert regraded.status_code == 200, regraded.text
    assert regraded.json()["properties"]["risk_colour"] == "red"
    stored = client.get(url).json()["properties"]
    assert stored["chemicals"] == [{"name": "苯", "cas": "71-43-2", "quantity_t": 50}]
    assert stored["grade"] == "I" and stored["version"] == 3
    assert event_types(engine) == ["hazard_source.created", "hazard_source.updated", "hazard_source.updated"]


def test_stale_or_missing_version_is_refused(client: TestClient) -> None:
    source = create(client)
    url = f"{URL}/{source['id']}"
    assert client.patch(url, json={"name": "一期丙烯球罐区", "version": 1}).status_code == 200
    stale = client.patch(url, json={"chemicals": [{"name": "苯", "quantity_t": 5}], "version": 1})
    assert stale.status_code == 409
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["current"]["properties"]["name"] == "一期丙烯球罐区"
    assert len(stale.json()["current"]["properties"]["chemicals"]) == 2
    missing = client.patch(url, json={"name": "x"})
    assert missing.status_code == 428 and missing.json()["field"] == "version"
    stored = client.get(url).json()["properties"]
    assert stored["name"] == "一期丙烯球罐区" and len(stored["chemicals"]) == 2


BAD_CREATES = [
    ({"chemicals": []}, "chemicals"),
    ({"chemicals": [{"name": "丙烯", "cas": "115-07-1", "quantity_t": 0}]}, "chemicals.0.quantity_t"),
    ({"chemicals": [{"name": "丙烯", "quantity_t": -1}]}, "chemicals.0.quantity_t"),
    (
        {
            "chemicals": [
                {"name": "丙烯", "cas": "115-07-1", "quantity_t": 1},
                {"name": "苯", "cas": "71-43-3", "quantity_t": 1},
            ]
        },
        "chemicals.1.cas",
    ),
    ({"chemicals": [{"name": "苯", "cas": "benzene", "quantity_t": 1}]}, "chemicals.0.cas"),
    ({"site": {"type": "LineString", "coordinates": [[118.92, 25.14], [118.93, 25.15]]}}, "site"),
    ({"site": {"type": "Point", "coordinates": [218.92, 25.14]}}, "site"),
    ({"grade": "V"}, "grade"),
    ({"risk_colour": "purple"}, "risk_colour"),
    ({"r_value": -1}, "r_value"),
    ({"exposed_population": -5}, "exposed_population"),
    ({"enterprise": ""}, "enterprise"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("change", "field"), BAD_CREATES)
def test_bad_create_is_a_problem_naming_the_field_and_writes_nothing(
    client: TestClient, engine: Engine, change: dict[str, Any], field: str
) -> None:
    response = client.post(URL, json={**PROPYLENE_TANKS, **change})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"].startswith(field)
    assert client.get(URL).json()["numberMatched"] == 0
    assert event_types(engine) == []


def test_bad_cas_check_digit_is_named_exactly(client: TestClient) -> None:
    body = {
        **PROPYLENE_TANKS,
        "chemicals": [
            {"name": "丙烯", "cas": "115-07-1", "quantity_t": 1},
            {"name": "苯", "cas": "71-43-3", "quantity_t": 1},
        ],
    }
    problem = client.post(URL, json=body).json()
    assert problem["field"] == "chemicals.1.cas"
    assert "check digit should be 2" in problem["detail"]


def test_bad_edit_writes_nothing(client: TestClient, engine: Engine) -> None:
    source = create(client)
    url = f"{URL}/{source['id']}"
    for body, field in [
        ({"chemicals": [{"name": "苯", "cas": "71-43-9", "quantity_t": 5}]}, "chemicals.0.cas"),
        ({"chemicals": []}, "chemicals"),
        ({"name": None}, "name"),
        ({"site": None}, "site"),
    ]:
        response = client.patch(url, json={**body, "version": 1})
        assert response.status_code == 422, body
        assert response.json()["field"] == field
    stored = client.get(url)
    assert stored.headers["ETag"] == '"1"'
    assert len(stored.json()["properties"]["chemicals"]) == 2
    assert event_types(engine) == ["hazard_source.created"]


def test_a_ref_already_in_use_is_a_conflict(client: TestClient) -> None:
    create(client)
    response = client.post(URL, json={**PROPYLENE_TANKS, "name": "another"})
    assert response.status_code == 409
    assert response.json()["field"] == "ref"
    assert client.get(URL).json()["numberMatched"] == 1


def test_unknown_source_is_404(client: TestClient) -> None:
    response = client.get(f"{URL}/999")
    assert response.status_code == 404
    assert response.json()["detail"] == "hazard source 999 does not exist"
