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
    "exposed_population": 1200,
}
# GB 18218-2018 for PROPYLENE_TANKS: 丙烯 is not in table 1 → table 2 W2 (易燃气体), Q 10 t, β 1.5 (table 4);
# 液化石油气 is table 1 no. 52, Q 50 t, β 1.5 (W2). S = 4000/10 + 1200.5/50 = 400 + 24.01 = 424.01.
# 1200 people within 500 m → α 2.0. R = 2.0 × 1.5 × 424.01 = 1272.03 → grade I (R ≥ 100), red.
PROPYLENE_S, PROPYLENE_R = 424.01, 1272.03


def benzene(quantity_t: float) -> list[dict[str, Any]]:
    """Benzene, table 1 no. 57: Q 50 t; 易燃液体类别 2 → W5.3, β 1.0."""
    return [{"name": "苯", "cas": "71-43-2", "quantity_t": quantity_t}]


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
    assert (props["grade"], props["s_value"], props["r_value"]) == ("I", PROPYLENE_S, PROPYLENE_R)
    assert props["risk_colour"] == "red" and props["risk_colour_reason"] is None
    assert props["chemicals"] == [
        {"name": "丙烯", "cas": "115-07-1", "quantity_t": 4000, "category": None},
        {"name": "液化石油气", "cas": "68476-85-7", "quantity_t": 1200.5, "category": None},
    ]


def test_a_point_site_is_accepted(client: TestClient) -> None:
    source = create(client, ref=None, site={"type": "Point", "coordinates": [118.93, 25.13]})
    assert source["geometry"] == {"type": "Point", "coordinates": [118.93, 25.13]}


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
    # Benzene, Q 50 t, β 1.0, 1200 people → α 2: R = 2 × q/50 = q/25.
    create(client, ref="a", name="a", chemicals=benzene(2500))  # R 100 → I
    create(client, ref="b", name="b", chemicals=benzene(1500))  # R 60 → II
    c = create(client, ref="c", name="c", chemicals=benzene(1500))
    client.put(f"{URL}/{c['id']}/risk-colour", json={"risk_colour": "yellow", "reason": "new foam system"})
    create(client, ref="d", name="d", chemicals=benzene(100))  # R 4 → IV

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


def test_edit_replaces_the_chemicals_and_the_new_grade_brings_its_colour(
    client: TestClient, engine: Engine
) -> None:
    source = create(client)
    url = f"{URL}/{source['id']}"
    # 500 t benzene, 1200 people: R = 2.0 × 1.0 × 500/50 = 20 → grade III, yellow.
    edited = client.patch(url, json={"chemicals": benzene(500), "version": 1})
    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] == '"2"'
    props = edited.json()["properties"]
    assert props["chemicals"] == [{"name": "苯", "cas": "71-43-2", "quantity_t": 500, "category": None}]
    assert (props["grade"], props["r_value"], props["risk_colour"]) == ("III", 20.0, "yellow")
    # Fewer people: 40 within 500 m → α 1.2, R = 1.2 × 10 = 12 → still III, no regrade.
    same = client.patch(url, json={"exposed_population": 40}, headers={"If-Match": '"2"'})
    assert same.json()["properties"]["r_value"] == 12.0
    stored = client.get(url).json()["properties"]
    assert stored["grade"] == "III" and stored["version"] == 3
    assert event_types(engine) == [
        "hazard_source.created",
        "hazard_source.updated",
        "hazard_source.regraded",
        "hazard_source.updated",
    ]


def test_the_grading_shows_every_term_of_s_and_r(client: TestClient) -> None:
    source = create(client)
    grading = client.get(f"{URL}/{source['id']}/grading")
    assert grading.status_code == 200, grading.text
    body = grading.json()
    propylene, lpg = body["substances"]
    assert (propylene["critical_quantity_t"], propylene["beta"], propylene["q_over_q"]) == (10, 1.5, 400)
    assert "table 2 W2" in propylene["critical_quantity_basis"]
    assert (lpg["critical_quantity_t"], lpg["beta"], lpg["contribution"]) == (50, 1.5, 36.015)
    assert "table 1 no. 52" in lpg["critical_quantity_basis"]
    assert body["alpha"] == 2.0 and "1200 people" in body["alpha_basis"]
    assert (body["s_value"], body["r_value"], body["grade"]) == (PROPYLENE_S, PROPYLENE_R, "I")
    assert body["major_hazard"] is True
    assert client.get(f"{URL}/999/grading").status_code == 404


def test_an_officer_overrides_the_colour_with_a_reason_and_it_survives_a_regrade(
    client: TestClient, engine: Engine
) -> None:
    source = create(client, chemicals=benzene(500))  # R 20 → III, yellow
    url = f"{URL}/{source['id']}"
    no_reason = client.put(f"{url}/risk-colour", json={"risk_colour": "orange", "reason": ""})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    overridden = client.put(
        f"{url}/risk-colour", json={"risk_colour": "orange", "reason": "corroded tank found", "by": "林晓"}
    )
    assert overridden.status_code == 200, overridden.text
    props = overridden.json()["properties"]
    assert (props["grade"], props["risk_colour"], props["risk_colour_reason"]) == (
        "III",
        "orange",
        "corroded tank found",
    )
    # More benzene: R = 2 × 3000/50 = 120 → grade I, but the officer's colour stays.
    regraded = client.patch(
        url, json={"chemicals": benzene(3000)}, headers={"If-Match": f'"{props["version"]}"'}
    )
    assert regraded.json()["properties"]["grade"] == "I"
    assert regraded.json()["properties"]["risk_colour"] == "orange"
    restored = client.put(f"{url}/risk-colour", json={"risk_colour": None, "reason": "tank replaced"})
    assert restored.json()["properties"]["risk_colour"] == "red"
    assert restored.json()["properties"]["risk_colour_reason"] is None
    with engine.connect() as conn:
        overrides = conn.execute(
            select(Event.type, Event.actor, Event.payload)
            .where(Event.type.like("hazard_source.risk_colour%"))
            .order_by(Event.id)
        ).all()
    assert [(t, a, p["reason"], p["to"]) for t, a, p in overrides] == [
        ("hazard_source.risk_colour_overridden", "林晓", "corroded tank found", "orange"),
        ("hazard_source.risk_colour_restored", None, "tank replaced", "red"),
    ]


def test_below_s_1_the_source_is_not_a_major_hazard_and_has_no_grade(client: TestClient) -> None:
    # 30 t benzene: S = 30/50 = 0.6 < 1 — not a major hazard source, so GB 18218 gives it no grade.
    source = create(client, chemicals=benzene(30))
    assert (source["properties"]["grade"], source["properties"]["risk_colour"]) == (None, None)
    grading = client.get(f"{URL}/{source['id']}/grading").json()
    assert grading["major_hazard"] is False and grading["s_value"] == 0.6


def test_an_unlisted_chemical_is_graded_by_the_category_given(client: TestClient) -> None:
    # 丙烯酸 (acrylic acid) is not in table 1; as W5.4 (易燃液体类别 3): Q 5000 t, β 1.0.
    # 6000 t, 20 people (α 1.0): S = 1.2, R = 1.0 × 1.0 × 1.2 = 1.2 → grade IV.
    acid = {"name": "丙烯酸", "cas": "79-10-7", "quantity_t": 6000}
    refused = client.post(URL, json={**PROPYLENE_TANKS, "chemicals": [acid]})
    assert refused.status_code == 422
    assert refused.json()["field"] == "chemicals.0.category"
    assert "table 1" in refused.json()["detail"]
    source = create(client, chemicals=[{**acid, "category": "W5.4"}], exposed_population=20)
    assert (source["properties"]["s_value"], source["properties"]["r_value"]) == (1.2, 1.2)
    assert source["properties"]["grade"] == "IV"


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
    ({"chemicals": [{"name": "丙烯", "quantity_t": 1, "category": "W99"}]}, "chemicals.0.category"),
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
