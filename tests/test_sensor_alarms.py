"""Sensor readings from gateways: thresholds, hysteresis, offline and fault, the time series,
batch and JSON-lines ingestion (bad input refused whole, naming the reading), sensor health."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from commandpost.clock import FrozenClock
from commandpost.config import Settings
from commandpost.events.models import Event
from commandpost.sensors import alarms
from commandpost.sensors.models import SensorReading, SensorState

READINGS = "/api/v1/sensors/readings"
NDJSON = {"Content-Type": "application/x-ndjson"}

GAS: dict[str, Any] = {
    "kind": "combustible_gas",
    "substance": "丙烯",
    "location": {"type": "Point", "coordinates": [118.9231, 25.1423]},
    "alarm_1": 20,
    "alarm_2": 40,
    "expected_interval_s": 30,
}


def sensor(client: TestClient, ref: str = "G-1", **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/sensors", json={**GAS, "ref": ref, **overrides})
    assert response.status_code == 201, response.text
    return response.json()["properties"]


def send(client: TestClient, *readings: dict[str, Any]) -> dict[str, Any]:
    response = client.post(READINGS, json={"readings": list(readings)})
    assert response.status_code == 200, response.text
    return response.json()


def state(client: TestClient, sensor_id: int) -> str:
    return str(client.get(f"/api/v1/sensors/{sensor_id}").json()["properties"]["state"])


def state_events(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.scalars(
            select(Event.payload).where(Event.type == "sensor.state_changed").order_by(Event.id)
        )
        return [(p["from"], p["to"]) for p in rows]


def at(clock: FrozenClock, seconds: float = 0) -> str:
    return (clock.now() + timedelta(seconds=seconds)).isoformat()


def test_first_and_second_alarm_follow_the_thresholds(client: TestClient, engine: Engine) -> None:
    s = sensor(client)
    result = send(client, {"sensor": "G-1", "value": 5.0})
    assert (result["accepted"], result["stored"], result["state_changes"]) == (1, 1, [])
    assert state(client, s["id"]) == "normal"
    send(client, {"sensor": s["id"], "at": "2026-11-22T10:00:01+08:00", "value": 20.0})
    assert state(client, s["id"]) == "alarm_1"  # at the threshold is an alarm
    send(client, {"sensor": "G-1", "at": "2026-11-22T10:00:02+08:00", "value": 41.5})
    feature = client.get(f"/api/v1/sensors/{s['id']}").json()
    assert feature["properties"]["state"] == "alarm_2"
    assert feature["properties"]["last_value"] == 41.5
    assert feature["properties"]["last_reading_at"] == "2026-11-22T02:00:02+00:00"
    assert state_events(engine) == [("normal", "alarm_1"), ("alarm_1", "alarm_2")]
    with Session(engine) as s_:
        event = s_.scalars(
            select(Event).where(Event.type == "sensor.state_changed").order_by(Event.id.desc())
        ).first()
    assert event is not None and event.entity_id == s["id"]
    assert event.payload["feature"]["properties"]["state"] == "alarm_2"
    assert event.payload["value"] == 41.5


def test_a_value_hovering_at_the_threshold_does_not_flap(
    client: TestClient, engine: Engine, clock: FrozenClock
) -> None:
    s = sensor(client)
    # Deadband 10 %: leaving the first alarm (20) takes a reading below 18, the second (40) below 36.
    values = [20.1, 19.6, 20.3, 18.4, 19.9, 18.0, 17.9, 19.9, 20.0, 39.0, 40.0, 37.0, 36.5, 40.2, 35.9, 17.0]
    send(client, *({"sensor": "G-1", "at": at(clock, i), "value": v} for i, v in enumerate(values)))
    assert state_events(engine) == [
        ("normal", "alarm_1"),  # 20.1
        ("alarm_1", "normal"),  # 17.9 is below 18
        ("normal", "alarm_1"),  # 20.0
        ("alarm_1", "alarm_2"),  # 40.0
        ("alarm_2", "alarm_1"),  # 35.9 is below 36
        ("alarm_1", "normal"),  # 17.0
    ]
    assert state(client, s["id"]) == "normal"
    # The same hovering sent one reading per request flaps no more.
    sensor(client, ref="G-2")
    for i, v in enumerate([20.0, 19.0, 20.5, 18.2, 21.0, 19.5]):
        send(client, {"sensor": "G-2", "at": at(clock, 100 + i), "value": v})
    assert state_events(engine)[6:] == [("normal", "alarm_1")]


def test_a_silent_sensor_goes_offline_a_fault_not_an_all_clear(
    client: TestClient, engine: Engine, session: Session, clock: FrozenClock, settings: Settings
) -> None:
    s = sensor(client)  # expected every 30 s: offline after 90 s of silence
    send(client, {"sensor": "G-1", "value": 25.0})
    assert state(client, s["id"]) == "alarm_1"
    clock.advance(timedelta(seconds=90))
    assert alarms.sweep(session, clock=clock, settings=settings).offline == []
    session.commit()
    clock.advance(timedelta(seconds=1))
    assert alarms.sweep(session, clock=clock, settings=settings).offline == [s["id"]]
    session.commit()
    assert state(client, s["id"]) == "offline"
    assert state_events(engine)[-1] == ("alarm_1", "offline")
    # Offline is not an all-clear: the warning its alarm raised stays in force.
    layer = client.get("/api/v1/warnings").json()
    assert [f["properties"]["status"] for f in layer["features"]] == ["active"]
    # A second sweep changes nothing; a reading brings it back, judged afresh.
    assert alarms.sweep(session, clock=clock, settings=settings).offline == []
    session.commit()
    send(client, {"sensor": "G-1", "value": 3.0})
    assert state(client, s["id"]) == "normal"
    assert state_events(engine)[-1] == ("offline", "normal")


def test_a_sensor_that_never_reported_goes_offline_too(
    client: TestClient, session: Session, clock: FrozenClock, settings: Settings
) -> None:
    s = sensor(client, expected_interval_s=60)
    clock.advance(timedelta(minutes=3, seconds=1))
    assert alarms.sweep(session, clock=clock, settings=settings).offline == [s["id"]]
    session.commit()
    assert state(client, s["id"]) == "offline"


def test_a_gateway_can_report_a_detector_in_fault(client: TestClient, engine: Engine) -> None:
    s = sensor(client)
    send(client, {"sensor": "G-1", "value": 2.0})
    result = send(client, {"sensor": "G-1", "at": "2026-11-22T02:00:05Z", "fault": True})
    assert result["state_changes"] == [
        {"sensor": s["id"], "from": "normal", "to": "fault", "at": "2026-11-22T02:00:05+00:00"}
    ]
    props = client.get(f"/api/v1/sensors/{s['id']}").json()["properties"]
    assert (props["state"], props["last_value"]) == ("fault", 2.0)
    send(client, {"sensor": "G-1", "at": "2026-11-22T02:00:10Z", "value": 30.0})
    assert state(client, s["id"]) == "alarm_1"
    assert state_events(engine) == [("normal", "fault"), ("fault", "alarm_1")]


def test_readings_are_kept_as_a_time_series_for_trend_charts(client: TestClient, clock: FrozenClock) -> None:
    s = sensor(client)
    send(
        client,
        *({"sensor": "G-1", "at": at(clock, -600 * i), "value": float(i)} for i in range(12)),
    )
    url = f"/api/v1/sensors/{s['id']}/readings"
    last_hour = client.get(url).json()
    assert (last_hour["unit"], last_hour["alarm_1"], last_hour["alarm_2"]) == ("%LEL", 20, 40)
    # The last hour, both ends included: from 60 minutes ago to now, oldest first.
    assert [r["value"] for r in last_hour["readings"]] == [6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0]
    assert last_hour["readings"][0]["at"] == "2026-11-22T01:00:00+00:00"
    window = client.get(url, params={"from": "2026-11-22T08:00:00+08:00", "to": "2026-11-22T08:30:00+08:00"})
    assert [r["value"] for r in window.json()["readings"]] == [11.0, 10.0, 9.0]
    capped = client.get(url, params={"from": "2026-11-21T00:00:00Z", "limit": 4}).json()
    assert (capped["numberMatched"], capped["numberReturned"]) == (12, 4)
    backwards = client.get(url, params={"from": "2026-11-22T02:00:00Z", "to": "2026-11-22T01:00:00Z"})
    assert backwards.status_code == 422 and backwards.json()["field"] == "to"
    assert client.get("/api/v1/sensors/999/readings").status_code == 404


def test_a_resent_batch_stores_nothing_twice_and_late_readings_change_no_state(
    client: TestClient, engine: Engine, clock: FrozenClock
) -> None:
    sensor(client)
    batch = [{"sensor": "G-1", "at": at(clock, i), "value": 10.0 + 10 * i} for i in range(3)]
    first = send(client, *batch)
    assert (first["stored"], len(first["state_changes"])) == (3, 1)
    again = send(client, *batch)
    assert (again["accepted"], again["stored"], again["late"], again["state_changes"]) == (3, 0, 3, [])
    # A reading from before the last one is kept for the trend but does not move the state back.
    late = send(client, {"sensor": "G-1", "at": at(clock, -30), "value": 1.0})
    assert (late["stored"], late["late"], late["state_changes"]) == (1, 1, [])
    assert state_events(engine) == [("normal", "alarm_1")]
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(SensorReading)) == 4


BAD_BATCHES = [
    ({"sensor": "G-1", "value": "high"}, "readings.1.value", "number"),
    ({"sensor": "G-1"}, "readings.1", "value is required"),
    ({"sensor": "NOPE", "value": 1.0}, "readings.1.sensor", "sensor 'NOPE' does not exist"),
    ({"sensor": 999, "value": 1.0}, "readings.1.sensor", "sensor 999 does not exist"),
    ({"sensor": "G-1", "value": 1.0, "at": "2026-11-22T02:00:00"}, "readings.1.at", "timezone"),
    ({"sensor": "G-1", "value": 1.0, "at": "2026-11-22T03:00:00Z"}, "readings.1.at", "ahead"),
    ({"sensor": "G-1", "value": 1e12}, "readings.1.value", "less than"),
    ({"sensor": "G-1", "value": 1.0, "unit": "ppm"}, "readings.1.unit", "Extra inputs"),
]


@pytest.mark.parametrize(("bad", "field", "said"), BAD_BATCHES)
def test_a_bad_reading_refuses_the_whole_batch_naming_it(
    client: TestClient, engine: Engine, bad: dict[str, Any], field: str, said: str
) -> None:
    s = sensor(client)
    good = {"sensor": "G-1", "value": 30.0}
    response = client.post(READINGS, json={"readings": [good, bad, {**good, "at": "2026-11-22T01:59:00Z"}]})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["field"] == field
    assert said in problem["detail"]
    assert problem["errors"][0]["field"] == field
    # Nothing half-written: no reading, no state, no event.
    assert client.get(f"/api/v1/sensors/{s['id']}/readings").json()["readings"] == []
    assert state(client, s["id"]) == "normal"
    assert state_events(engine) == []


def test_malformed_json_and_empty_batches_are_refused(client: TestClient) -> None:
    sensor(client)
    broken = client.post(READINGS, content=b'{"readings": [', headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["field"] == "body"
    empty = client.post(READINGS, json={"readings": []})
    assert empty.status_code == 422 and empty.json()["field"] == "readings"


def test_json_lines_from_a_gateway(client: TestClient, engine: Engine) -> None:
    s = sensor(client)
    sensor(client, ref="H2S-1", kind="toxic_gas", substance="硫化氢", alarm_1=10, alarm_2=20)
    body = (
        b'{"sensor":"G-1","at":"2026-11-22T10:00:00+08:00","value":3.5}\n'
        b"\n"
        b'{"sensor":"H2S-1","at":"2026-11-22T10:00:00+08:00","value":12}\r\n'
        + f'{{"sensor":{s["id"]},"at":"2026-11-22T10:00:01+08:00","value":22.5}}'.encode()
    )
    response = client.post(READINGS, content=body, headers=NDJSON)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["accepted"], result["stored"]) == (3, 3)
    assert [c["to"] for c in result["state_changes"]] == ["alarm_1", "alarm_1"]
    assert state(client, s["id"]) == "alarm_1"


@pytest.mark.parametrize(
    ("line", "status", "field", "said"),
    [
        (b'{"sensor":"G-1","value":"x"}', 422, "value", "line 3, value"),
        (b'{"sensor":"GONE","value":1}', 422, "sensor", "line 3, sensor: sensor 'GONE' does not exist"),
        (b'{"sensor":"G-1","value":1,', 400, "body", "line 3"),
        (b'{"sensor":"G-1","value":1,"at":"2026-11-22T09:00:00"}', 422, "at", "line 3, at"),
    ],
)
def test_a_bad_json_line_refuses_the_request_naming_line_and_field(
    client: TestClient, engine: Engine, line: bytes, status: int, field: str, said: str
) -> None:
    s = sensor(client)
    body = (
        b'{"sensor":"G-1","value":30}\n\n'
        + line
        + b'\n{"sensor":"G-1","value":31,"at":"2026-11-22T01:00:00Z"}\n'
    )
    response = client.post(READINGS, content=body, headers=NDJSON)
    assert response.status_code == status, response.text
    problem = response.json()
    assert (problem["field"], problem["line"]) == (field, 3)
    assert said in problem["detail"]
    assert client.get(f"/api/v1/sensors/{s['id']}/readings").json()["readings"] == []
    assert state_events(engine) == []


def test_a_bad_batch_lists_every_bad_reading(client: TestClient, engine: Engine) -> None:
    s = sensor(client)
    good = {"sensor": "G-1", "value": 30.0}
    readings = [
        good,
        {"sensor": "G-1", "value": "high"},
        {"sensor": "NOPE", "value": 1.0},
        good | {"at": "2026-11-22T01:59:00Z"},
        {"sensor": "G-1", "value": 1.0, "at": "2026-11-22T03:00:00Z"},
        *({"sensor": f"GONE-{i}", "value": 1.0} for i in range(30)),
    ]
    response = client.post(READINGS, json={"readings": readings})
    assert response.status_code == 422, response.text
    problem = response.json()
    fields = [e["field"] for e in problem["errors"]]
    assert fields == [
        "readings.1.value",
        "readings.2.sensor",
        "readings.4.at",
        *(f"readings.{i}.sensor" for i in range(5, 35)),
    ]
    assert problem["field"] == "readings.1.value" and "33 error(s)" in problem["detail"]
    assert client.get(f"/api/v1/sensors/{s['id']}/readings").json()["readings"] == []
    assert state_events(engine) == []


def test_a_bad_json_lines_batch_lists_every_bad_line(client: TestClient, engine: Engine) -> None:
    sensor(client)
    body = b"\n".join(
        [
            b'{"sensor":"G-1","value":30}',
            b'{"sensor":"G-1","value":"x"}',
            b"",
            b'{"sensor":"GONE","value":1}',
            b'{"sensor":"G-1","value":1,',
            b'{"sensor":"G-1","value":2,"at":"2026-11-22T03:00:00Z"}',
        ]
    )
    response = client.post(READINGS, content=body, headers=NDJSON)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert [(e["line"], e["field"]) for e in problem["errors"]] == [
        (2, "value"),
        (4, "sensor"),
        (5, "body"),
        (6, "at"),
    ]
    assert (problem["line"], problem["field"]) == (2, "value")
    assert state_events(engine) == []


def test_old_readings_are_swept_after_the_retention(
    client: TestClient, session: Session, clock: FrozenClock, settings: Settings
) -> None:
    s = sensor(client, expected_interval_s=86_400)
    send(client, *({"sensor": "G-1", "at": at(clock, -86_400 * d), "value": float(d)} for d in range(5)))
    keep_2_days = settings.model_copy(update={"reading_retention_days": 2.5})
    assert alarms.sweep(session, clock=clock, settings=keep_2_days).readings_deleted == 2
    session.commit()
    series = client.get(f"/api/v1/sensors/{s['id']}/readings", params={"from": "2026-11-01T00:00:00Z"}).json()
    assert [r["value"] for r in series["readings"]] == [2.0, 1.0, 0.0]


def test_health_lists_blind_sensors_first_then_calibration_overdue(
    client: TestClient, session: Session, clock: FrozenClock, settings: Settings
) -> None:
    past = (clock.now() - timedelta(days=3)).isoformat()
    overdue = sensor(client, ref="CAL", calibration_due=past, expected_interval_s=86_400)
    sensor(client, ref="FINE", calibration_due="2027-06-01T00:00:00Z", expected_interval_s=86_400)
    quiet = sensor(client, ref="QUIET", expected_interval_s=10)
    faulty = sensor(client, ref="FAULT", expected_interval_s=86_400)
    send(client, {"sensor": "QUIET", "value": 1.0, "at": at(clock, -10)}, {"sensor": "CAL", "value": 1.0})
    clock.advance(timedelta(seconds=60))
    send(client, {"sensor": "FAULT", "fault": True}, {"sensor": "CAL", "value": 1.0})
    alarms.sweep(session, clock=clock, settings=settings)
    session.commit()
    both = sensor(client, ref="BOTH", calibration_due=past, expected_interval_s=86_400)
    send(client, {"sensor": "BOTH", "fault": True})
    health = client.get("/api/v1/sensors/health")
    assert health.status_code == 200, health.text
    rows = [
        (f["properties"]["ref"], f["properties"]["problems"], f["properties"]["urgency"])
        for f in health.json()["features"]
    ]
    # Out of service longest first (QUIET has been silent since 70 s ago), then overdue calibration.
    assert rows == [
        ("QUIET", ["offline"], 1),
        ("FAULT", ["fault"], 1),
        ("BOTH", ["fault", "calibration_overdue"], 1),
        ("CAL", ["calibration_overdue"], 2),
    ]
    assert {quiet["id"], faulty["id"], both["id"], overdue["id"]} == {
        f["id"] for f in health.json()["features"]
    }
    assert health.json()["numberMatched"] == 4


def test_state_rules_directly() -> None:
    def run(values: list[float]) -> list[SensorState]:
        s, out = SensorState.normal, []
        for v in values:
            s = alarms.next_state(s, v, alarm_1=10, alarm_2=20, deadband=0.1)
            out.append(s)
        return out

    n, a1, a2 = SensorState.normal, SensorState.alarm_1, SensorState.alarm_2
    assert run([9.99, 10, 9.1, 9.0, 8.99]) == [n, a1, a1, a1, n]
    assert run([25, 18.1, 17.9, 9.5, 8.9]) == [a2, a2, a1, a1, n]
    assert run([25, 5]) == [a2, n]
