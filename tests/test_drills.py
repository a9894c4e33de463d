"""Drills: scenario files checked line by line, exercises on their own clock, injects played through
the real services in isolation from the live picture, and the after-action report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from commandpost import db, loader
from commandpost.clock import FrozenClock
from commandpost.drills import scenario, service
from commandpost.drills.models import DrillSensorState
from commandpost.events.models import Event
from commandpost.sensors.alarms import Policy
from commandpost.sensors.models import Sensor, SensorState
from tests_support import REPO, run_cli

SCENARIOS = REPO / "scenarios"
GIS_DATA = REPO / "gis_data"

BAD = """\
format: commandpost-scenario/1
id: Bad Id
title: x
setting:
  start: "2026-12-10T01:30:00+08:00"
  weather: {wind_from_deg: 400}
injects:
  - at: 5x
    kind: reading
    sensor: S0028
  - at: 1m
    kind: report
    key: leak
    type: leak
    title: t
  - at: 2m
    kind: casualties
    incident: leek
  - at: 1m
    kind: teleport
objectives:
  - id: a
    text: t
    measure: first_dispatch
    within: 5m
"""


@pytest.fixture
def district(engine: Engine, clock: FrozenClock) -> None:
    """The committed demo district (gis_data/): the scenarios name its teams, detectors and roads."""
    with db.make_sessionmaker(engine)() as session:
        loader.load_district(session, folder=GIS_DATA, clock=clock)
        session.commit()


def _text(name: str) -> str:
    return (SCENARIOS / name).read_text(encoding="utf-8")


# --- scenario files ---------------------------------------------------------------------------


def test_every_problem_of_a_scenario_is_listed_with_its_line_and_field() -> None:
    parsed = scenario.parse(BAD, file="bad.yaml")
    found = {(p.line, p.field) for p in parsed.problems}
    assert found == {
        (2, "id"),
        (6, "setting.weather.wind_from_deg"),
        (8, "injects.0.at"),
        (8, "injects.0.value"),  # a reading without its value
        (11, "injects.1"),  # a report needs a location or a hazard source
        (18, "injects.2.incident"),  # no report has key 'leek'
        (20, "injects.3.kind"),
        (22, "objectives.0.incident"),  # first_dispatch of which incident?
    }
    assert all(p.file == "bad.yaml" for p in parsed.problems)
    at = next(p for p in parsed.problems if p.field == "injects.0.at")
    assert "not a duration" in at.message


def test_yaml_that_does_not_parse_is_reported_at_its_line() -> None:
    parsed = scenario.parse("format: x\ninjects:\n  - at: [1\n", file="broken.yaml")
    assert len(parsed.problems) == 1 and parsed.problems[0].line >= 3
    assert "not valid YAML" in parsed.problems[0].message


def test_a_key_given_twice_is_a_problem_not_silently_the_last() -> None:
    text = _text("h06-chlorine-leak.yaml").replace("title: 石化园区", "title: 重复\ntitle: 石化园区", 1)
    parsed = scenario.parse(text)
    assert any(p.field == "title" and "twice" in p.message for p in parsed.problems)


def test_the_schema_in_scenarios_is_the_one_the_platform_checks_with() -> None:
    shipped = (SCENARIOS / "scenario.schema.json").read_text(encoding="utf-8")
    packaged = (REPO / "backend/commandpost/drills/data/scenario.schema.json").read_text(encoding="utf-8")
    assert shipped == packaged


def test_cli_validate_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    result = run_cli("drill", "validate", str(bad), env={"DATABASE_URL": f"sqlite:///{tmp_path}/none.sqlite"})
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith(str(bad))]
    assert f"{bad}:6: setting.weather.wind_from_deg: 400 is greater than the maximum of 360" in lines
    assert f"{bad}:18: injects.2.incident: no report inject has key 'leek'" in lines
    assert lines[-1] == f"{bad}: 8 problems"


def test_cli_validate_echoes_a_valid_scenario_as_its_summary(tmp_path: Path) -> None:
    import json

    result = run_cli(
        "drill",
        "validate",
        str(SCENARIOS / "g15-lpg-tanker-explosion.yaml"),
        env={"DATABASE_URL": f"sqlite:///{tmp_path}/none.sqlite"},
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["id"] == "g15-lpg-tanker-explosion"
    assert summary["start"] == "2026-12-12T16:40:00+08:00"
    assert [i["kind"] for i in summary["injects"]][:2] == [
        "report",
        "update",
    ]  # crash, then explosion at 2 min
    assert summary["injects"][1]["at_s"] == 120


def test_the_four_district_scenarios_are_valid_against_the_district(session: Session, district: None) -> None:
    names = sorted(p.name for p in SCENARIOS.glob("*.yaml"))
    assert names == [
        "g15-lpg-tanker-explosion.yaml",
        "h06-chlorine-leak.yaml",
        "nanpu-flood.yaml",
        "tuling-forest-fire.yaml",
    ]
    for name in names:
        parsed = scenario.parse(_text(name), file=name)
        service.check_district(session, parsed)
        assert parsed.problems == [], name


def test_references_the_district_lacks_are_refused_with_their_lines(
    client: TestClient, district: None
) -> None:
    text = _text("h06-chlorine-leak.yaml").replace("sensor: S0029", "sensor: S9999").replace("T022]", "T999]")
    response = client.post("/api/v1/exercises", json={"scenario": text, "file": "h06.yaml"})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {(e["field"], e["message"]) for e in errors} == {
        ("setting.teams.4", "the district has no team 'T999'"),
        ("injects.1.sensor", "the district has no detector 'S9999'"),
    }
    assert all(e["line"] > 1 for e in errors)
    assert client.get("/api/v1/exercises").json() == []


# --- the exercise clock -------------------------------------------------------------------------


def _create(client: TestClient, name: str = "h06-chlorine-leak.yaml") -> dict[str, Any]:
    response = client.post("/api/v1/exercises", json={"scenario": _text(name), "file": name})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_exercise_clock_runs_at_its_speed_pauses_and_survives_a_restart(
    client: TestClient, clock: FrozenClock, district: None, settings: Any, engine: Engine
) -> None:
    exercise = _create(client)
    start = datetime.fromisoformat("2026-12-10T01:30:00+08:00")
    assert exercise["status"] == "ready" and datetime.fromisoformat(exercise["now"]) == start
    path = f"/api/v1/exercises/{exercise['id']}"
    assert client.post(f"{path}/start", json={"speed": 60}).json()["status"] == "running"
    clock.advance(timedelta(seconds=10))
    assert datetime.fromisoformat(client.get(path).json()["now"]) == start + timedelta(minutes=10)
    client.post(f"{path}/pause", json={})
    clock.advance(timedelta(seconds=30))
    assert datetime.fromisoformat(client.get(path).json()["now"]) == start + timedelta(minutes=10)
    client.post(f"{path}/resume", json={})
    client.post(f"{path}/speed", json={"speed": 10})
    clock.advance(timedelta(seconds=6))
    assert datetime.fromisoformat(client.get(path).json()["now"]) == start + timedelta(minutes=11)

    from commandpost.app import create_app

    with TestClient(create_app(settings, clock=clock, engine=engine)) as restarted:
        clock.advance(timedelta(seconds=6))
        assert datetime.fromisoformat(restarted.get(path).json()["now"]) == start + timedelta(minutes=12)
    assert client.post(f"{path}/speed", json={"speed": 61}).status_code == 422
    assert client.post(f"{path}/start", json={}).status_code == 409  # already started
    client.post(f"{path}/stop", json={})
    clock.advance(timedelta(seconds=60))
    assert client.get(path).json()["now"] == client.get(path).json()["now"]
    assert datetime.fromisoformat(client.get(path).json()["now"]) == start + timedelta(minutes=12)


# --- injects through the real services, in isolation ----------------------------------------------


def _fire(engine: Engine, exercise_id: int, clock: FrozenClock) -> list[str]:
    with db.make_sessionmaker(engine)() as session:
        fired = service.fire_due(session, exercise_id=exercise_id, wall=clock, policy=Policy())
        session.commit()
        return [i.kind for i in fired]


LIVE_LAYERS = ["teams", "depots", "sensors", "incidents", "warnings", "closures", "assignments", "materials"]


def _live_picture(client: TestClient) -> dict[str, Any]:
    picture = {}
    for layer in LIVE_LAYERS:
        response = client.get(f"/api/v1/{layer}", params={"limit": 1000})
        assert response.status_code == 200, (layer, response.text)
        picture[layer] = response.json()
    return picture


def test_a_drill_at_x60_beside_live_activity_leaves_the_live_picture_as_it_was(
    client: TestClient, clock: FrozenClock, engine: Engine, district: None
) -> None:
    live = client.post(
        "/api/v1/incidents",
        json={
            "type": "fire",
            "title": "真实火情",
            "location": {"type": "Point", "coordinates": [118.9, 25.15]},
        },
    )
    assert live.status_code == 201
    before = _live_picture(client)
    exercise = _create(client)
    client.post(f"/api/v1/exercises/{exercise['id']}/start", json={"speed": 60})
    clock.advance(timedelta(seconds=25))  # 25 minutes of exercise time
    fired = _fire(engine, exercise["id"], clock)
    assert {"reading", "report", "wind", "closure", "casualties", "out_of_service"} <= set(fired)
    # Live traffic on the way as the drill plays.
    clock.advance(timedelta(seconds=1))
    assert _live_picture(client) == before

    drill = {"exercise_id": exercise["id"]}
    incidents = client.get("/api/v1/incidents", params=drill).json()["features"]
    assert [f["properties"]["title"] for f in incidents] == ["液氯储存库阀门泄漏"]
    assert incidents[0]["properties"]["response_level"] == "II"  # raised by the update inject at 20 min
    warnings = client.get("/api/v1/warnings", params=drill).json()["features"]
    # Toxic gas at its second alarm makes the source's warning red (the live alarm rules).
    assert [(w["properties"]["level"], w["properties"]["hazard_source_id"]) for w in warnings] == [
        ("red", incidents[0]["properties"]["hazard_source_id"])
    ]
    closures = client.get("/api/v1/closures", params=drill).json()["features"]
    assert [c["properties"]["reason"] for c in closures] == ["氯气扩散区，园区内部道路封闭"]
    with Session(engine) as session:
        live_states = {
            s.ref: s.state for s in session.scalars(select(Sensor).where(Sensor.ref.in_(["S0028", "S0029"])))
        }
        drill_states = {
            r.sensor_id: r.state
            for r in session.scalars(
                select(DrillSensorState).where(DrillSensorState.exercise_id == exercise["id"])
            )
        }
        stamped = session.scalars(
            select(Event.at).where(Event.exercise_id == exercise["id"], Event.type == "incident.created")
        ).one()
    assert SensorState.alarm_2 not in live_states.values()
    assert sorted(s.value for s in drill_states.values()) == ["alarm_2", "alarm_2"]
    # The report inject fired at its planned exercise time (3 min), not at the wall time.
    assert stamped == datetime(2026, 12, 9, 17, 33, tzinfo=UTC)


def test_two_drills_at_once_do_not_see_each_other(
    client: TestClient, clock: FrozenClock, engine: Engine, district: None
) -> None:
    one = _create(client, "h06-chlorine-leak.yaml")
    two = _create(client, "nanpu-flood.yaml")
    for exercise in (one, two):
        client.post(f"/api/v1/exercises/{exercise['id']}/start", json={"speed": 60})
    clock.advance(timedelta(seconds=20))
    _fire(engine, one["id"], clock)
    _fire(engine, two["id"], clock)
    titles = {
        e["id"]: [
            f["properties"]["title"]
            for f in client.get("/api/v1/incidents", params={"exercise_id": e["id"]}).json()["features"]
        ]
        for e in (one, two)
    }
    assert titles == {one["id"]: ["液氯储存库阀门泄漏"], two["id"]: ["南埔镇低洼区域内涝"]}
    assert client.get("/api/v1/warnings", params={"exercise_id": two["id"]}).json()["features"] == []
    assert len(client.get("/api/v1/closures", params={"exercise_id": two["id"]}).json()["features"]) >= 1


def test_injects_fire_once_in_plan_order_and_not_while_paused(
    client: TestClient, clock: FrozenClock, engine: Engine, district: None
) -> None:
    exercise = _create(client, "g15-lpg-tanker-explosion.yaml")
    path = f"/api/v1/exercises/{exercise['id']}"
    assert _fire(engine, exercise["id"], clock) == []  # not started
    client.post(f"{path}/start", json={"speed": 60})
    clock.advance(timedelta(seconds=2, milliseconds=500))  # 2.5 min
    assert _fire(engine, exercise["id"], clock) == ["report", "update"]
    assert _fire(engine, exercise["id"], clock) == []
    client.post(f"{path}/pause", json={})
    clock.advance(timedelta(minutes=5))
    assert _fire(engine, exercise["id"], clock) == []
    client.post(f"{path}/resume", json={})
    clock.advance(timedelta(seconds=1))  # 3.5 min: both halves of the G15 closed
    assert _fire(engine, exercise["id"], clock) == ["closure", "closure"]
    log = client.get(f"{path}/injects").json()
    assert [(i["kind"], i["fired_at"] is not None) for i in log][:4] == [
        ("report", True),
        ("update", True),
        ("closure", True),
        ("closure", True),
    ]


# --- a drill participant acts only on the drill ------------------------------------------------


def test_an_incident_for_an_unknown_or_finished_exercise_is_refused(
    client: TestClient, district: None
) -> None:
    body = {"type": "fire", "title": "演练火情", "location": {"type": "Point", "coordinates": [118.9, 25.15]}}
    response = client.post("/api/v1/incidents", params={"exercise_id": 1}, json=body)
    assert response.status_code == 404 and response.json()["field"] == "exercise_id"
    assert client.get("/api/v1/incidents").json()["features"] == []
    exercise = _create(client)
    assert (
        client.post("/api/v1/incidents", params={"exercise_id": exercise["id"]}, json=body).status_code == 201
    )
    client.post(f"/api/v1/exercises/{exercise['id']}/stop", json={})
    response = client.post("/api/v1/incidents", params={"exercise_id": exercise["id"]}, json=body)
    assert response.status_code == 409 and response.json()["field"] == "exercise_id"
    assert client.get("/api/v1/incidents").json()["features"] == []  # none of them live


def test_drill_warnings_are_handled_only_in_their_drill(
    client: TestClient, clock: FrozenClock, engine: Engine, district: None
) -> None:
    live = client.post(
        "/api/v1/warnings",
        json={
            "level": "yellow",
            "title": "真实预警",
            "issued_by": "值班员",
            "area": {
                "type": "Polygon",
                "coordinates": [[[118.9, 25.1], [118.91, 25.1], [118.91, 25.11], [118.9, 25.1]]],
            },
        },
    )
    assert live.status_code == 201, live.text
    exercise = _create(client)
    client.post(f"/api/v1/exercises/{exercise['id']}/start", json={"speed": 60})
    clock.advance(timedelta(seconds=5))
    _fire(engine, exercise["id"], clock)
    drill_warning = client.get("/api/v1/warnings", params={"exercise_id": exercise["id"]}).json()["features"][
        0
    ]
    ack = {"by": "值班员"}
    as_live = client.post(f"/api/v1/warnings/{drill_warning['id']}/acknowledge", json=ack)
    assert as_live.status_code == 409 and as_live.json()["field"] == "exercise_id"
    from_drill = client.post(
        f"/api/v1/warnings/{live.json()['id']}/acknowledge", params={"exercise_id": exercise["id"]}, json=ack
    )
    assert from_drill.status_code == 409
    assert client.get(f"/api/v1/warnings/{live.json()['id']}").json()["properties"]["status"] == "active"
    done = client.post(
        f"/api/v1/warnings/{drill_warning['id']}/acknowledge",
        params={"exercise_id": exercise["id"]},
        json=ack,
    )
    assert done.status_code == 200
    # Stamped on the exercise clock (5 min in), not the wall clock.
    assert done.json()["properties"]["acknowledged_at"] == "2026-12-09T17:35:00+00:00"


# --- the after-action report ----------------------------------------------------------------------

SCRIPTED = """\
format: commandpost-scenario/1
id: scripted-chlorine
title: 脚本演练：氯气报警与泄漏
setting: {start: "2026-12-10T02:00:00+08:00"}
injects:
  - {at: 0, kind: reading, sensor: S0028, value: 0.7}
  - {at: 60, kind: report, key: leak, type: leak, title: 脚本泄漏, hazard_source: H06}
objectives:
  - {id: ack, text: 红色预警 60 秒内确认, measure: warning_acknowledged, level: red, within: 60s}
  - {id: confirm, text: 2 分钟内核实, measure: incident_confirmed, incident: leak, within: 2m}
  - {id: dispatch, text: 3 分钟内调派, measure: first_dispatch, incident: leak, within: 3m}
  - {id: hazmat, text: 危化品队 15 分钟内到场, measure: team_on_scene, incident: leak,
     capability_needed: hazmat, within: 15m}
  - {id: contained, text: 1 小时内控制, measure: incident_contained, incident: leak, within: 1h}
"""


def test_the_report_of_a_scripted_drill_has_the_known_answers(
    client: TestClient, clock: FrozenClock, engine: Engine, district: None
) -> None:
    """At ×60 one wall second is one exercise minute: the red warning (T+0) is acknowledged at
    T+0:45, the leak reported at T+1:00 is confirmed at T+2:00, a hazmat team is dispatched at
    T+5:00 and on scene at T+15:00, and the drill stops at T+20:00 with the leak not contained."""
    exercise = client.post("/api/v1/exercises", json={"scenario": SCRIPTED}).json()
    xid = exercise["id"]
    drill = {"exercise_id": xid}
    client.post(f"/api/v1/exercises/{xid}/start", json={"speed": 60})

    def at(minutes: float) -> None:
        clock.advance(timedelta(seconds=minutes) - (clock.now() - started))
        _fire(engine, xid, clock)

    started = clock.now()
    at(0.5)
    warning = client.get("/api/v1/warnings", params=drill).json()["features"][0]
    assert warning["properties"]["level"] == "red"
    at(0.75)
    assert (
        client.post(
            f"/api/v1/warnings/{warning['id']}/acknowledge", params=drill, json={"by": "值班员"}
        ).status_code
        == 200
    )
    at(1)
    incident = client.get("/api/v1/incidents", params=drill).json()["features"][0]
    at(2)
    response = client.post(
        f"/api/v1/incidents/{incident['id']}/status", json={"status": "confirmed", "version": 1}
    )
    assert response.status_code == 200, response.text
    at(5)
    teams = client.get("/api/v1/teams", params={"limit": 1000}).json()["features"]
    hazmat = next(t for t in teams if t["properties"]["ref"] == "T003")
    made = client.post(f"/api/v1/incidents/{incident['id']}/assignments", json={"team_id": hazmat["id"]})
    assert made.status_code == 201, made.text
    assignment = f"/api/v1/incidents/{incident['id']}/assignments/{made.json()['id']}/status"
    assert client.post(assignment, json={"status": "en_route"}).status_code == 200
    at(15)
    assert client.post(assignment, json={"status": "on_scene"}).status_code == 200
    at(20)
    client.post(f"/api/v1/exercises/{xid}/stop", json={})

    report = client.get(f"/api/v1/exercises/{xid}/report").json()
    results = {o["id"]: (o["measured_s"], o["result"]) for o in report["objectives"]}
    assert results == {
        "ack": (45.0, "met"),
        "confirm": (60.0, "met"),
        "dispatch": (240.0, "missed"),
        "hazmat": (840.0, "met"),
        "contained": (None, "missed"),
    }
    times = report["response_times"]
    assert [i["seconds"] for i in times["alarm_to_acknowledged"]["items"]] == [45.0]
    assert [i["seconds"] for i in times["incident_to_first_dispatch"]["items"]] == [240.0]
    assert [i["seconds"] for i in times["dispatch_to_on_scene"]["items"]] == [600.0]
    assert report["exercise"]["elapsed_s"] == 1200.0
    offsets = [t["offset_s"] for t in report["timeline"]]
    assert offsets == sorted(offsets)  # the timeline in exercise time
    assert ("incident.created", 60.0) in [(t["type"], t["offset_s"]) for t in report["timeline"]]

    page = client.get(f"/api/v1/exercises/{xid}/report.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "危化品队 15 分钟内到场" in page.text and "14:00" in page.text
    # Self-contained: nothing fetched from elsewhere when it is opened offline.
    assert "src=" not in page.text and "href=" not in page.text and "<script" not in page.text


# --- played for real: the runner beside the app, and the command line ------------------------------

QUICK = """\
format: commandpost-scenario/1
id: quick
title: 快速演练
setting: {start: "2026-12-10T02:00:00+08:00"}
injects:
  - {at: 0, kind: report, key: leak, type: leak, title: 快速泄漏, hazard_source: H06}
  - {at: 30, kind: casualties, incident: leak, injured: 2}
  - {at: 60, kind: reading, sensor: S0028, value: 0.7}
"""


def _wait_for(condition: Any, *, within: float = 20.0) -> None:
    """Until `condition()` holds (polled), or fail after `within` seconds."""
    import time

    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.05)


def test_the_runner_beside_the_app_plays_a_drill_on_the_wall_clock(
    settings: Any, engine: Engine, clock: FrozenClock, district: None
) -> None:
    from commandpost.app import create_app
    from commandpost.clock import SystemClock

    with TestClient(create_app(settings, clock=SystemClock(), engine=engine)) as live:
        xid = live.post("/api/v1/exercises", json={"scenario": QUICK}).json()["id"]
        live.post(f"/api/v1/exercises/{xid}/start", json={"speed": 60})  # the minute in one second

        def all_fired() -> bool:
            return all(i["fired_at"] for i in live.get(f"/api/v1/exercises/{xid}/injects").json())

        _wait_for(all_fired)
        log = live.get(f"/api/v1/exercises/{xid}/injects").json()
        warnings = live.get("/api/v1/warnings", params={"exercise_id": xid}).json()["features"]
    assert [(i["kind"], i["fired_at"]) for i in log] == [
        ("report", "2026-12-09T18:00:00+00:00"),
        ("casualties", "2026-12-09T18:00:30+00:00"),
        ("reading", "2026-12-09T18:01:00+00:00"),
    ]
    assert [w["properties"]["level"] for w in warnings] == ["red"]


def test_cli_runs_a_drill_and_writes_its_report(tmp_path: Path) -> None:
    # Its own SpatiaLite file: the command line is shown once, not per backend.
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/drill.sqlite", "REDIS_URL": ""}
    assert run_cli("migrate", env=env).returncode == 0
    assert run_cli("load", str(GIS_DATA), env=env).returncode == 0
    quick = tmp_path / "quick.yaml"
    quick.write_text(QUICK, encoding="utf-8")
    played = run_cli("drill", "run", str(quick), "--speed", "60", env=env)
    assert played.returncode == 0, played.stderr
    lines = played.stdout.splitlines()
    assert lines[0] == "exercise 1 started at ×60: dashboard /?exercise=1"
    assert lines[1:4] == ["T+0:00:00 report leak", "T+0:00:30 casualties leak", "T+0:01:00 reading S0028"]
    html_file = tmp_path / "report.html"
    reported = run_cli("drill", "report", "1", "--format", "html", "-o", str(html_file), env=env)
    assert reported.returncode == 0, reported.stderr
    assert "快速演练" in html_file.read_text(encoding="utf-8")
    assert run_cli("drill", "run", str(tmp_path / "missing.yaml"), env=env).returncode == 2


# --- evaluation: observations beside the measured times, improvement items tracked to done ----------


def test_observations_sit_beside_the_measured_times_and_improvements_are_tracked_to_done(
    client: TestClient, clock: FrozenClock, engine: Engine, district: None
) -> None:
    xid = client.post("/api/v1/exercises", json={"scenario": SCRIPTED}).json()["id"]
    client.post(f"/api/v1/exercises/{xid}/start", json={"speed": 60})
    clock.advance(timedelta(seconds=1, milliseconds=500))  # T+1:30
    _fire(engine, xid, clock)
    seen = {
        "objective_id": "ack",
        "evaluator": "评估员 李明",
        "rating": "M",
        "text": "值班员未听到报警提示音",
    }
    made = client.post(f"/api/v1/exercises/{xid}/observations", json=seen)
    assert made.status_code == 201, made.text
    assert made.json()["at"] == "2026-12-09T18:01:30+00:00"  # exercise time
    unknown = client.post(f"/api/v1/exercises/{xid}/observations", json={**seen, "objective_id": "nope"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "objective_id"
    client.post(f"/api/v1/exercises/{xid}/stop", json={})
    late = client.post(f"/api/v1/exercises/{xid}/observations", json=seen)
    assert late.status_code == 409  # the drill is over

    due = (clock.now() + timedelta(days=30)).isoformat()
    item = {
        "objective_id": "ack",
        "text": "值班室增加声光报警并复训",
        "owner": "区应急管理局值班室",
        "due_at": due,
    }
    first = client.post(f"/api/v1/exercises/{xid}/improvements", json=item).json()
    second = client.post(
        f"/api/v1/exercises/{xid}/improvements", json={**item, "text": "补充氯气泄漏处置卡", "due_at": due}
    ).json()
    assert (first["status"], second["status"]) == ("open", "open")
    past = {**item, "due_at": (clock.now() - timedelta(days=1)).isoformat()}
    assert client.post(f"/api/v1/exercises/{xid}/improvements", json=past).json()["field"] == "due_at"

    report = client.get(f"/api/v1/exercises/{xid}/report").json()
    ack = next(o for o in report["objectives"] if o["id"] == "ack")
    assert ack["result"] == "missed"  # never acknowledged: the drill is over
    assert [(o["evaluator"], o["rating"]) for o in ack["observations"]] == [("评估员 李明", "M")]
    assert [i["text"] for i in report["improvement_plan"]] == [
        "值班室增加声光报警并复训",
        "补充氯气泄漏处置卡",
    ]

    clock.advance(timedelta(days=10))
    done = client.post(f"/api/v1/improvement-items/{first['id']}/done", json={"by": "值班室主任"})
    assert done.json()["status"] == "done"
    assert client.post(f"/api/v1/improvement-items/{first['id']}/done", json={"by": "x"}).status_code == 409
    clock.advance(timedelta(days=21))  # past the deadline
    items = client.get("/api/v1/improvement-items", params={"exercise_id": xid}).json()
    assert [i["status"] for i in items] == ["done", "overdue"]
    assert [i["id"] for i in client.get("/api/v1/improvement-items", params={"open": "true"}).json()] == [
        second["id"]
    ]
    page = client.get(f"/api/v1/exercises/{xid}/report.html").text
    assert "值班员未听到报警提示音" in page and "overdue" in page


def test_a_drill_warning_waits_on_the_exercise_clock_before_going_up_the_roster(
    client: TestClient, clock: FrozenClock, engine: Engine, district: None
) -> None:
    """A drill set in April, played in November: its red warning is seconds old in exercise time, so
    nobody on the roster is called for it on wall-clock time; it waits as the drill's clock runs."""
    from commandpost.warnings import service as warnings

    april = _text("h06-chlorine-leak.yaml").replace("2026-12-10T01:30:00+08:00", "2026-04-04T10:00:00+08:00")
    xid = client.post("/api/v1/exercises", json={"scenario": april}).json()["id"]
    client.post(f"/api/v1/exercises/{xid}/start", json={"speed": 60})
    clock.advance(timedelta(seconds=3))  # T+3:00: the chlorine detectors at their second alarm
    _fire(engine, xid, clock)
    red = client.get("/api/v1/warnings", params={"exercise_id": xid}).json()["features"]
    assert [w["properties"]["level"] for w in red] == ["red"]
    with db.make_sessionmaker(engine)() as session:
        assert warnings.escalate_unacknowledged(session, clock=clock, after=timedelta(minutes=5)) == []
        session.commit()
    client.post(f"/api/v1/exercises/{xid}/pause", json={})
    clock.advance(timedelta(hours=1))  # paused: the drill's time stands still
    with db.make_sessionmaker(engine)() as session:
        assert warnings.escalate_unacknowledged(session, clock=clock, after=timedelta(minutes=5)) == []
    assert client.get(f"/api/v1/warnings/{red[0]['id']}").json()["properties"]["roster_calls"] in (None, [])
