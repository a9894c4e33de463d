"""Alarms raise warnings: one warning per hazard source that escalates as readings worsen or more
detectors join and never lowers itself; unacknowledged orange/red warnings go up the duty roster."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from commandpost.clock import FrozenClock
from commandpost.config import Settings
from commandpost.events.models import Event
from commandpost.sensors import alarms
from commandpost.sensors.models import SensorKind, SensorState
from commandpost.warnings.models import WarningLevel
from tests_support import create_hazard_source

READINGS = "/api/v1/sensors/readings"
OFFICER = "值班员 林晓"


def hazard_source(client: TestClient, ref: str = "H01") -> int:
    return create_hazard_source(client, ref)


def detectors(client: TestClient, count: int, *, source: int | None, prefix: str = "G", **extra: Any) -> None:
    for i in range(1, count + 1):
        body = {
            "ref": f"{prefix}{i}",
            "kind": "combustible_gas",
            "substance": "丙烯",
            "location": {"type": "Point", "coordinates": [118.923 + i * 1e-4, 25.142]},
            "hazard_source_id": source,
            "alarm_1": 20,
            "alarm_2": 40,
            "expected_interval_s": 86_400,
            **extra,
        }
        response = client.post("/api/v1/sensors", json=body)
        assert response.status_code == 201, response.text


def read(client: TestClient, clock: FrozenClock, **values: float) -> dict[str, Any]:
    """Send one reading per sensor ref, then move the clock on a second."""
    response = client.post(
        READINGS, json={"readings": [{"sensor": ref, "value": v} for ref, v in values.items()]}
    )
    assert response.status_code == 200, response.text
    clock.advance(timedelta(seconds=1))
    return response.json()


def warnings_in_force(client: TestClient) -> list[dict[str, Any]]:
    return [f["properties"] for f in client.get("/api/v1/warnings").json()["features"]]


def warning_events(engine: Engine, *types: str) -> list[Event]:
    with Session(engine) as session:
        stmt = select(Event).where(Event.entity_type == "warning").order_by(Event.id)
        if types:
            stmt = stmt.where(Event.type.in_([f"warning.{t}" for t in types]))
        return list(session.scalars(stmt))


def test_many_detectors_at_one_source_make_one_warning_that_escalates(
    client: TestClient, engine: Engine, clock: FrozenClock
) -> None:
    source = hazard_source(client)
    detectors(client, 5, source=source)
    steps = [
        ({"G1": 22.0}, "blue"),  # one first alarm
        ({"G1": 23.0, "G2": 21.0}, "yellow"),  # two detectors in alarm
        ({"G3": 25.0}, "yellow"),  # a third joins at the first level: no new warning
        ({"G1": 45.0}, "yellow"),  # one second alarm
        ({"G2": 41.0}, "orange"),  # two second alarms
        ({"G3": 50.0}, "red"),  # three second alarms
    ]
    for values, level in steps:
        read(client, clock, **values)
        in_force = warnings_in_force(client)
        assert [(w["level"], w["hazard_source_id"], w["source"]) for w in in_force] == [
            (level, source, "sensor")
        ], values
    escalations = warning_events(engine, "issued", "escalated")
    assert [(e.type, e.payload.get("to")) for e in escalations] == [
        ("warning.issued", None),
        ("warning.escalated", "yellow"),
        ("warning.escalated", "orange"),
        ("warning.escalated", "red"),
    ]
    last = escalations[-1].payload
    assert last["from"] == "orange" and last["feature"]["properties"]["level"] == "red"
    assert {a["ref"]: a["state"] for a in last["alarming"]} == {
        "G1": "alarm_2",
        "G2": "alarm_2",
        "G3": "alarm_2",
    }
    warning = in_force[0]
    assert "3 个探测器" in warning["title"] and "G3" in warning["description"]

    # Readings falling back lower nothing: only the duty officer clears a warning.
    read(client, clock, G1=1.0, G2=1.0, G3=1.0)
    assert [w["level"] for w in warnings_in_force(client)] == ["red"]
    assert len(warning_events(engine, "issued", "escalated")) == 4
    cleared = client.post(f"/api/v1/warnings/{warning['id']}/clear", json={"by": OFFICER})
    assert cleared.status_code == 200
    assert warnings_in_force(client) == []
    # A new alarm after the all-clear is a new warning.
    read(client, clock, G4=30.0)
    again = warnings_in_force(client)
    assert [(w["level"], w["id"] != warning["id"]) for w in again] == [("blue", True)]


def test_a_toxic_second_alarm_is_red_at_once(client: TestClient, clock: FrozenClock) -> None:
    source = hazard_source(client)
    detectors(
        client, 1, source=source, prefix="H2S", kind="toxic_gas", substance="硫化氢", alarm_1=10, alarm_2=20
    )
    read(client, clock, H2S1=25.0)
    assert [(w["level"], w["hazard_source_id"]) for w in warnings_in_force(client)] == [("red", source)]


def test_sources_and_lone_sensors_each_have_their_own_warning(client: TestClient, clock: FrozenClock) -> None:
    first, second = hazard_source(client, "H01"), hazard_source(client, "H02")
    detectors(client, 2, source=first, prefix="A")
    detectors(client, 2, source=second, prefix="B")
    detectors(client, 2, source=None, prefix="L")
    read(client, clock, A1=25.0, A2=25.0, B1=45.0, L1=22.0, L2=45.0)
    rows = sorted(
        (w["hazard_source_id"] or 0, w["sensor_id"] is not None, w["level"])
        for w in warnings_in_force(client)
    )
    assert rows == [
        (0, True, "blue"),
        (0, True, "yellow"),
        (first, False, "yellow"),
        (second, False, "yellow"),
    ]


def test_a_brief_spike_inside_one_batch_still_raises_its_level(
    client: TestClient, clock: FrozenClock
) -> None:
    source = hazard_source(client)
    detectors(client, 1, source=source)
    t = clock.now()
    spike = [
        {"sensor": "G1", "at": (t + timedelta(seconds=i)).isoformat(), "value": v}
        for i, v in enumerate([5.0, 48.0, 4.0])
    ]
    response = client.post(READINGS, json={"readings": spike})
    assert response.status_code == 200, response.text
    assert [c["to"] for c in response.json()["state_changes"]] == ["alarm_2", "normal"]
    assert response.json()["warnings"][0]["level"] == "yellow"
    assert [w["level"] for w in warnings_in_force(client)] == ["yellow"]


def test_escalation_makes_an_acknowledged_warning_active_again(
    client: TestClient, engine: Engine, clock: FrozenClock
) -> None:
    source = hazard_source(client)
    detectors(client, 3, source=source)
    read(client, clock, G1=25.0)
    (warning,) = warnings_in_force(client)
    ack = client.post(f"/api/v1/warnings/{warning['id']}/acknowledge", json={"by": OFFICER})
    assert ack.status_code == 200
    read(client, clock, G2=25.0)
    (again,) = warnings_in_force(client)
    assert (again["id"], again["level"], again["status"], again["acknowledged_by"]) == (
        warning["id"],
        "yellow",
        "active",
        None,
    )
    assert [e.actor for e in warning_events(engine, "acknowledged", "escalated")] == [OFFICER, alarms.SYSTEM]


def test_warning_level_rules() -> None:
    gas, tox = SensorKind.combustible_gas, SensorKind.toxic_gas
    a1, a2, n = SensorState.alarm_1, SensorState.alarm_2, SensorState.offline
    assert alarms.warning_level([]) is None
    assert alarms.warning_level([(gas, n), (gas, SensorState.fault)]) is None
    assert alarms.warning_level([(gas, a1)]) is WarningLevel.blue
    assert alarms.warning_level([(gas, a1), (tox, a1)]) is WarningLevel.yellow
    assert alarms.warning_level([(gas, a2)]) is WarningLevel.yellow
    assert alarms.warning_level([(gas, a2), (gas, a2), (gas, a1)]) is WarningLevel.orange
    assert alarms.warning_level([(gas, a2)] * 3) is WarningLevel.red
    assert alarms.warning_level([(tox, a2)]) is WarningLevel.red


# --- the duty roster -------------------------------------------------------------------------

DAY = {"starts_at": "2026-11-22T08:00:00+08:00", "ends_at": "2026-11-22T20:00:00+08:00"}


@pytest.fixture
def roster(client: TestClient) -> None:
    for person, role, rank in [
        ("林晓", "duty_officer", 1),
        ("张伟", "duty_officer", 2),
        ("王芳", "duty_officer", 3),
        ("带班领导 陈军", "leader_on_duty", 1),
        ("调度员 李明", "dispatcher", 1),
    ]:
        body = {"person": person, "role": role, "rank": rank, "phone": "138", **DAY}
        assert client.post("/api/v1/duty/shifts", json=body).status_code == 201


def sweep(session: Session, clock: FrozenClock, settings: Settings) -> list[dict[str, Any]]:
    report = alarms.sweep(session, clock=clock, settings=settings)
    session.commit()
    return report.escalated


def called(engine: Engine) -> list[tuple[int | None, str, int]]:
    return [
        (e.entity_id, e.payload["to"]["person"], e.payload["step"])
        for e in warning_events(engine, "escalated_to_person")
    ]


def test_unacknowledged_orange_goes_up_the_roster_then_to_the_leader(
    client: TestClient, engine: Engine, session: Session, clock: FrozenClock, settings: Settings, roster: None
) -> None:
    source = hazard_source(client)
    detectors(client, 2, source=source)
    read(client, clock, G1=45.0, G2=45.0)
    (warning,) = warnings_in_force(client)
    assert warning["level"] == "orange"
    five_minutes = timedelta(seconds=settings.warning_ack_timeout_s)
    assert five_minutes == timedelta(minutes=5)

    clock.advance(five_minutes - timedelta(seconds=2))
    assert sweep(session, clock, settings) == []
    clock.advance(timedelta(seconds=1))
    (first,) = sweep(session, clock, settings)
    # The first duty officer (rank 1) had it; the next one on the roster is called.
    assert (first["to"]["person"], first["to"]["role"], first["step"]) == ("张伟", "duty_officer", 1)
    assert sweep(session, clock, settings) == []  # once per wait, not once per sweep
    clock.advance(five_minutes)
    assert sweep(session, clock, settings)[0]["to"]["person"] == "王芳"
    clock.advance(five_minutes)
    assert sweep(session, clock, settings)[0]["to"] == {
        "person": "带班领导 陈军",
        "role": "leader_on_duty",
        "phone": "138",
        "rank": 1,
        "shift": 4,
    }
    clock.advance(five_minutes * 3)
    assert sweep(session, clock, settings) == []  # everyone on duty has been called
    assert called(engine) == [
        (warning["id"], "张伟", 1),
        (warning["id"], "王芳", 2),
        (warning["id"], "带班领导 陈军", 3),
    ]
    (event,) = warning_events(engine, "escalated_to_person")[:1]
    assert event.actor == "system: duty roster escalation"
    assert event.payload["feature"]["id"] == warning["id"]
    assert event.payload["unacknowledged_since"] == "2026-11-22T02:00:00+00:00"


def test_an_acknowledged_or_less_severe_warning_is_not_escalated_to_anyone(
    client: TestClient, engine: Engine, session: Session, clock: FrozenClock, settings: Settings, roster: None
) -> None:
    source = hazard_source(client)
    detectors(client, 3, source=source)
    read(client, clock, G1=25.0, G2=25.0)  # yellow
    clock.advance(timedelta(hours=1))
    assert sweep(session, clock, settings) == []
    read(client, clock, G1=45.0, G2=45.0)  # orange now: the wait starts now
    (warning,) = warnings_in_force(client)
    clock.advance(timedelta(minutes=4))
    assert sweep(session, clock, settings) == []
    ack = client.post(f"/api/v1/warnings/{warning['id']}/acknowledge", json={"by": "林晓"})
    assert ack.status_code == 200
    clock.advance(timedelta(hours=1))
    assert sweep(session, clock, settings) == []
    # Escalated by a worse reading, it must be acknowledged anew: a fresh wait, from the top.
    read(client, clock, G3=45.0)
    clock.advance(timedelta(minutes=5))
    assert [e["to"]["person"] for e in sweep(session, clock, settings)] == ["张伟"]
    assert called(engine) == [(warning["id"], "张伟", 1)]


def test_a_manual_red_warning_escalates_too(
    client: TestClient, engine: Engine, session: Session, clock: FrozenClock, settings: Settings, roster: None
) -> None:
    body = {
        "level": "red",
        "title": "台风红色预警",
        "area": {"type": "Point", "coordinates": [118.95, 25.15]},
        "issued_by": OFFICER,
    }
    assert client.post("/api/v1/warnings", json=body).status_code == 201
    clock.advance(timedelta(minutes=10))
    assert [e["to"]["person"] for e in sweep(session, clock, settings)] == ["张伟"]


def test_without_anyone_else_on_duty_nothing_is_invented(
    client: TestClient, session: Session, clock: FrozenClock, settings: Settings
) -> None:
    source = hazard_source(client)
    detectors(client, 2, source=source, prefix="X")
    read(client, clock, X1=45.0, X2=45.0)
    clock.advance(timedelta(hours=1))
    assert sweep(session, clock, settings) == []
