"""Threat zones follow the wind: an incident's wind is the officer's or the nearest weather station's,
and when it turns 20° or changes 1 m/s the zones drawn for the old wind are redrawn (`zone.updated`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from shapely.geometry import Point, shape
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from commandpost.clock import FrozenClock
from commandpost.events.models import Event
from dispatch_support import B, incident, load_grid, point, team

# 1° of latitude ≈ 110.8 km, 1° of longitude ≈ 100.7 km at 25.1° N.
SOUTH_1KM = (B[0], B[1] - 1000 / 110_800)
WEST_1KM = (B[0] - 1000 / 100_700, B[1])
CHLORINE: dict[str, Any] = {
    "model": "erg",
    "un_number": "UN1017",
    "spill": "small",
    "daytime": False,
    "wind_speed_ms": 3,
    "wind_from_deg": 0,  # a north wind: the 1.5 km protective-action square lies south of B
    "by": "值班员 林晓",
}


def square(client: TestClient, zone_id: int) -> Any:
    return shape(client.get(f"/api/v1/threat-zones/{zone_id}").json()["geometry"])


def updated(engine: Engine) -> list[int | None]:
    with engine.connect() as conn:
        return list(
            conn.scalars(select(Event.entity_id).where(Event.type == "zone.updated").order_by(Event.id))
        )


def test_an_officer_turning_the_wind_turns_the_zones_and_their_closure(
    client: TestClient, engine: Engine, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    load_grid(sessions, clock)
    spill = incident(client, B)
    west = team(client, "西侧巡查队", WEST_1KM, ["firefighting"])
    assert client.get(f"/api/v1/incidents/{spill}/wind").json()["wind"] is None  # no station, none typed
    drawn = client.post(f"/api/v1/incidents/{spill}/threat-zones", json=CHLORINE).json()
    isolation, protective = (f["id"] for f in drawn["features"])
    first_closure = drawn["features"][0]["properties"]["closure_id"]
    assert square(client, protective).contains(Point(SOUTH_1KM)) and drawn["warned_teams"] == []

    # 10° and 0.5 m/s: under both thresholds, nothing is redrawn.
    small = client.put(
        f"/api/v1/incidents/{spill}/wind", json={"speed_ms": 3.5, "from_deg": 10, "by": "林晓"}
    )
    assert small.status_code == 200, small.text
    assert small.json()["wind"]["source"] == "officer" and small.json()["redrawn"] == []

    clock.advance(timedelta(minutes=5))
    turned = client.put(f"/api/v1/incidents/{spill}/wind", json={"speed_ms": 3, "from_deg": 90, "by": "林晓"})
    body = turned.json()
    assert sorted(f["id"] for f in body["redrawn"]) == sorted([isolation, protective])
    assert sorted(updated(engine)) == sorted([isolation, protective])
    now = square(client, protective)  # an east wind: the square now lies west of B
    assert now.contains(Point(WEST_1KM)) and not now.contains(Point(SOUTH_1KM))
    assert body["warned_teams"] == [west]  # the zone came over it
    props = client.get(f"/api/v1/threat-zones/{protective}").json()["properties"]
    assert props["inputs"]["wind_from_deg"] == 90 and props["status"] == "active"
    assert client.get(f"/api/v1/closures/{first_closure}").json()["properties"]["active"] is False
    closure = client.get(f"/api/v1/closures/{props['closure_id']}").json()
    assert closure["properties"]["active"] is True
    assert shape(closure["geometry"]).contains(Point(WEST_1KM))


def test_the_nearest_weather_station_gives_the_wind_and_the_zones_follow_its_readings(
    client: TestClient, engine: Engine, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    load_grid(sessions, clock)
    spill = incident(client, B)
    station = client.post(
        "/api/v1/sensors",
        json={
            "ref": "QG-WX-01",
            "kind": "weather_station",
            "location": point(B[0] + 0.01, B[1] + 0.01),
            "alarm_1": 10.8,  # Beaufort 6
            "alarm_2": 17.2,  # gale
        },
    )
    assert station.status_code == 201, station.text
    assert station.json()["properties"]["unit"] == "m/s"

    def read(speed: float, direction: float) -> None:
        clock.advance(timedelta(minutes=1))
        reply = client.post(
            "/api/v1/sensors/readings",
            json={"readings": [{"sensor": "QG-WX-01", "value": speed, "direction_deg": direction}]},
        )
        assert reply.status_code == 200, reply.text

    read(3, 0)
    wind = client.get(f"/api/v1/incidents/{spill}/wind").json()["wind"]
    assert (wind["source"], wind["station_ref"], wind["speed_ms"], wind["from_deg"]) == (
        "station",
        "QG-WX-01",
        3,
        0,
    )
    drawn = client.post(f"/api/v1/incidents/{spill}/threat-zones", json=CHLORINE).json()["features"]
    protective = drawn[1]["id"]

    read(3.4, 15)  # 15°, 0.4 m/s: the zones stay
    assert updated(engine) == []
    read(3.4, 90)  # the wind has turned east
    assert sorted(updated(engine)) == sorted(f["id"] for f in drawn)
    assert square(client, protective).contains(Point(WEST_1KM))

    # An officer's typed wind overrides the station until handed back.
    client.put(f"/api/v1/incidents/{spill}/wind", json={"speed_ms": 3.4, "from_deg": 90})
    read(3.4, 180)
    assert square(client, protective).contains(Point(WEST_1KM))
    back = client.put(f"/api/v1/incidents/{spill}/wind", json={"use_station": True}).json()
    assert back["wind"]["source"] == "station" and back["wind"]["from_deg"] == 180
    assert square(client, protective).contains(Point(B[0], B[1] + 1000 / 110_800))  # a south wind: north


def test_half_a_wind_is_refused_naming_the_field_and_nothing_changes(client: TestClient) -> None:
    spill = incident(client, B)
    response = client.put(f"/api/v1/incidents/{spill}/wind", json={"speed_ms": 4})
    assert response.status_code == 422 and response.json()["field"] == "from_deg"
    assert client.get(f"/api/v1/incidents/{spill}/wind").json()["wind"] is None
    out_of_range = client.put(f"/api/v1/incidents/{spill}/wind", json={"speed_ms": 4, "from_deg": 360})
    assert out_of_range.status_code == 422
    assert client.put("/api/v1/incidents/999/wind", json={"speed_ms": 4, "from_deg": 0}).status_code == 404
