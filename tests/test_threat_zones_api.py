"""Modelling threat zones over HTTP: zones on the map around the release, down-wind where they should be."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer
from shapely import transform
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, func, select

from commandpost.events.models import Event

URL = "/api/v1/threat-zones/model"
TANKS = [118.955, 25.165]
_TO_M = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)


def metres(geometry: dict[str, Any]) -> BaseGeometry:
    return transform(shape(geometry), lambda xy: np.column_stack(_TO_M.transform(xy[:, 0], xy[:, 1])))


def run(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post(URL, json={"location": {"type": "Point", "coordinates": TANKS}, **body})
    assert response.status_code == 200, response.text
    return response.json()


def zone(reply: dict[str, Any], level: str) -> dict[str, Any]:
    return next(z for z in reply["zones"] if z["level"] == level)


def test_erg_draws_the_isolation_circle_and_the_protective_action_square_downwind(client: TestClient) -> None:
    # ERG 2024 Table 1, chlorine small spill by night: isolate 60 m, protect 1.5 km down-wind.
    reply = run(
        client,
        model="erg",
        un_number="UN1017",
        spill="small",
        daytime=False,
        wind_speed_ms=3,
        wind_from_deg=0,
    )
    assert reply["reference"].startswith("Emergency Response Guidebook 2024")
    source = metres({"type": "Point", "coordinates": TANKS})
    circle = metres(zone(reply, "isolation")["geometry"])
    assert circle.area == pytest.approx(3.14159 * 60**2, rel=0.01)
    assert circle.centroid.distance(source) < 1
    square = metres(zone(reply, "protective_action")["geometry"])
    assert zone(reply, "protective_action")["distance_m"] == 1500
    assert square.area == pytest.approx(1500**2, rel=0.01)
    # A north wind blows the gas south: the square lies south of the spill, starting at it.
    minx, miny, maxx, maxy = square.bounds
    assert maxy == pytest.approx(source.y, abs=1) and miny == pytest.approx(source.y - 1500, abs=2)
    assert (minx + maxx) / 2 == pytest.approx(source.x, abs=1)
    assert reply["inputs"]["downwind_bearing_deg"] == 180


def test_erg_day_or_night_comes_from_the_clock_when_not_given(client: TestClient) -> None:
    # The test clock is 02:00 UTC, 10:00 in Quangang: day, so chlorine's small-spill distance is 0.3 km.
    reply = run(client, model="erg", un_number="1017", spill="small", wind_speed_ms=3, wind_from_deg=90)
    assert reply["inputs"]["daytime"] is True and "sun" in reply["inputs"]["daytime_from"]
    assert zone(reply, "protective_action")["distance_m"] == 300


def test_plume_footprints_at_three_levels_of_concern_lie_downwind(client: TestClient) -> None:
    reply = run(
        client,
        model="gaussian_plume",
        chemical="氯",
        rate_kg_s=2000 / 600,
        duration_s=600,
        wind_speed_ms=3,
        wind_from_deg=90,
        daytime=False,
        cloud_oktas=2,
    )
    assert [z["level"] for z in reply["zones"]] == ["AEGL-1", "AEGL-2", "AEGL-3"]
    assert [z["threshold"] for z in reply["zones"]] == [0.5, 2.0, 20.0]
    reaches = [z["distance_m"] for z in reply["zones"]]
    assert reaches == sorted(reaches, reverse=True) and reaches[-1] > 0
    # An east wind carries the cloud west of the tanks.
    source = metres({"type": "Point", "coordinates": TANKS})
    footprint = metres(zone(reply, "AEGL-2")["geometry"])
    assert footprint.bounds[0] < source.x - reaches[1] + 5 and footprint.bounds[2] <= source.x + 1
    assert reply["inputs"]["stability"] == "E" and "Pasquill" in reply["inputs"]["stability_from"]
    assert reply["inputs"]["released_kg"] == pytest.approx(2000)
    assert any("NOT valid near the source" in limit for limit in reply["limits"])
    centreline = reply["details"]["centreline"]
    assert [p["distance_m"] for p in centreline][:2] == [100, 200]
    assert centreline[0]["ppm"] > centreline[1]["ppm"] > 0


def test_an_officer_may_set_the_stability_class(client: TestClient) -> None:
    common = {
        "model": "gaussian_plume",
        "chemical": "7664-41-7",
        "rate_kg_s": 1,
        "wind_speed_ms": 3,
        "wind_from_deg": 0,
        "daytime": True,
    }
    table = run(client, **common, cloud_oktas=0)
    stable = run(client, **common, stability="F")
    assert stable["inputs"]["stability_from"] == "officer"
    assert zone(stable, "AEGL-2")["distance_m"] > zone(table, "AEGL-2")["distance_m"]


def test_explosion_and_fire_rings_are_centred_on_the_release(client: TestClient) -> None:
    source = metres({"type": "Point", "coordinates": TANKS})
    vce = run(client, model="vce", chemical="74-98-6", mass_kg=10_000)
    psi1 = zone(vce, "6.9 kPa")
    assert psi1["distance_m"] == pytest.approx(365, abs=1)
    assert "RMP" in psi1["basis"] and vce["inputs"]["heat_of_combustion_from"].startswith("ChEDL")
    rings = [z["distance_m"] for z in vce["zones"]]
    assert rings == sorted(rings, reverse=True)
    bleve = run(client, model="bleve", chemical="74-98-6", mass_kg=11_957.7)
    assert bleve["details"]["fireball_diameter_m"] == pytest.approx(132.6, rel=2e-3)
    pool = run(client, model="pool_fire", chemical="71-43-2", pool_diameter_m=10)
    for reply in (vce, bleve, pool):
        for z in reply["zones"]:
            assert metres(z["geometry"]).centroid.distance(source) < 1
        assert reply["reference"] and reply["limits"]
    heat = [z["distance_m"] for z in pool["zones"]]
    assert [z["level"] for z in pool["zones"]] == ["5 kW/m²", "12.5 kW/m²", "37.5 kW/m²"]
    assert heat == sorted(heat, reverse=True) and heat[-1] > 5  # beyond the pool's edge


def test_model_at_a_hazard_source_uses_its_site(client: TestClient) -> None:
    site = {
        "type": "Polygon",
        "coordinates": [
            [[118.95, 25.16], [118.96, 25.16], [118.96, 25.17], [118.95, 25.17], [118.95, 25.16]]
        ],
    }
    created = client.post(
        "/api/v1/hazard-sources",
        json={
            "enterprise": "石化园区某氯碱企业",
            "name": "液氯储存库",
            "site": site,
            "chemicals": [{"name": "氯", "cas": "7782-50-5", "quantity_t": 50}],
            "exposed_population": 80,
        },
    )
    assert created.status_code == 201, created.text
    body = {"model": "erg", "un_number": "1017", "spill": "small", "wind_speed_ms": 3, "wind_from_deg": 0}
    response = client.post(URL, json={**body, "hazard_source_id": created.json()["id"]})
    assert response.status_code == 200, response.text
    assert shape(site).contains(Point(response.json()["source"]["coordinates"]))
    assert client.post(URL, json={**body, "hazard_source_id": 999}).status_code == 404


WIND = {"wind_speed_ms": 3, "wind_from_deg": 0}
BAD: list[tuple[dict[str, Any], str]] = [
    ({"model": "erg", "un_number": "UN9999", "spill": "small", **WIND}, "un_number"),
    ({"model": "erg", "un_number": "1017", "spill": "large", **WIND}, "container"),
    ({"model": "erg", "un_number": "chlorine", "spill": "small", **WIND}, "un_number"),
    ({"model": "erg", "un_number": "1017", "spill": "small", "wind_speed_ms": 3}, "wind_from_deg"),
    ({"model": "gaussian_plume", "chemical": "unobtainium", "rate_kg_s": 1, **WIND}, "chemical"),
    ({"model": "gaussian_plume", "chemical": "71-43-2", "rate_kg_s": -1, **WIND}, "rate_kg_s"),
    ({"model": "vce", "chemical": "7782-50-5", "mass_kg": 100}, "chemical"),  # chlorine does not burn
    ({"model": "pool_fire", "chemical": "71-43-2"}, "pool_diameter_m"),  # neither diameter nor area
    ({"model": "lightning"}, "model"),
]


@pytest.mark.parametrize(("body", "field"), BAD)
def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(
    client: TestClient, engine: Engine, body: dict[str, Any], field: str
) -> None:
    response = client.post(
        URL,
        json={"location": {"type": "Point", "coordinates": TANKS}, **body},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"].startswith(field)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Event)) == 0


def test_a_place_is_required(client: TestClient) -> None:
    response = client.post(URL, json={"model": "vce", "chemical": "74-98-6", "mass_kg": 10})
    assert response.status_code == 422 and response.json()["field"] == "location"


def test_a_hazard_source_gets_the_erg_zone_of_its_worst_toxic_chemical_proposed(client: TestClient) -> None:
    site = {"type": "Point", "coordinates": TANKS}
    chemicals = [
        # β·q/Q: chlorine 4 × 50/5 = 40; ammonia 2 × 150/10 = 30; propylene has no level of concern on file.
        {"name": "氯", "cas": "7782-50-5", "quantity_t": 50},
        {"name": "氨", "cas": "7664-41-7", "quantity_t": 150},
        {"name": "丙烯", "cas": "115-07-1", "quantity_t": 100},
    ]
    source = client.post(
        "/api/v1/hazard-sources",
        json={"enterprise": "某化工企业", "name": "储罐区", "site": site, "chemicals": chemicals},
    ).json()
    wind = {"wind_speed_ms": 3, "wind_from_deg": 0}
    proposed = client.get("/api/v1/threat-zones/proposal", params={"hazard_source_id": source["id"], **wind})
    assert proposed.status_code == 200, proposed.text
    body = proposed.json()
    assert body["inputs"]["proposed_for"] == "氯" and body["inputs"]["un_number"] == "1017"
    # ERG 2024 Table 3, chlorine from a rail tank car, day (the test clock), moderate wind: 1,000 m, 6.3 km.
    assert body["inputs"]["container"] == "rail_tank_car"
    assert [z["distance_m"] for z in body["zones"]] == [1000, 6300]
    flammable_only = client.post(
        "/api/v1/hazard-sources",
        json={
            "enterprise": "某石化企业",
            "name": "丙烯球罐",
            "site": site,
            "chemicals": [{"name": "丙烯", "cas": "115-07-1", "quantity_t": 100}],
        },
    ).json()
    refused = client.get(
        "/api/v1/threat-zones/proposal", params={"hazard_source_id": flammable_only["id"], **wind}
    )
    assert refused.status_code == 422 and refused.json()["field"] == "hazard_source_id"
