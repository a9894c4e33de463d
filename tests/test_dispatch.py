"""Dispatch over HTTP: plans and their checklists, recommendations by need and travel time,
assignments through their steps, re-routing around closures, idempotency keys, two dispatchers
racing for one team, and staging up-wind of a toxic release."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import httpx2 as httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import LineString, Point, Polygon, mapping, shape
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from commandpost import idempotency
from commandpost.clock import FrozenClock
from commandpost.config import Settings
from commandpost.dispatch.models import Assignment
from commandpost.dispatch.service import _choose, _Need
from commandpost.events.models import Event
from dispatch_support import A, B, C, incident, load_grid, plan, segment_id, served, team

SCENE = (118.939, 25.1003)  # on 南路, just west of C
HAZMAT = {
    "need": "hazmat",
    "label": "危化品处置",
    "capabilities": ["hazmat", "leak_sealing"],
    "min_headcount": 15,
}
MEDICAL = {"need": "medical", "capabilities": ["medical"], "min_headcount": 5}
ACTIONS = [
    {"code": "notify_leader", "action": "报告带班领导", "role": "duty_officer", "within_minutes": 5},
    {"code": "report_city", "action": "向市应急管理局报告", "role": "leader_on_duty", "within_minutes": 60},
]


@pytest.fixture
def grid(sessions: sessionmaker[Session], clock: FrozenClock) -> None:
    load_grid(sessions, clock)


def recommendations(client: TestClient, incident_id: int, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/v1/incidents/{incident_id}/recommendations", params=params)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def need(result: dict[str, Any], code: str) -> dict[str, Any]:
    return next(n for n in result["needs"] if n["need"] == code)


def assign(client: TestClient, incident_id: int, team_id: int, **more: Any) -> httpx.Response:
    return client.post(f"/api/v1/incidents/{incident_id}/assignments", json={"team_id": team_id, **more})


def step(client: TestClient, incident_id: int, assignment_id: int, status: str) -> httpx.Response:
    return client.post(
        f"/api/v1/incidents/{incident_id}/assignments/{assignment_id}/status", json={"status": status}
    )


# --- plans and checklists ----------------------------------------------------------------


def test_plan_is_editable_data_under_versions(client: TestClient) -> None:
    created = client.put(
        "/api/v1/response-plans/leak/III", json={"name": "泄漏 III级", "needs": [HAZMAT], "actions": ACTIONS}
    )
    assert created.status_code == 201
    assert created.headers["Location"] == "/api/v1/response-plans/leak/III"
    assert client.get("/api/v1/response-plans/leak/III").json()["needs"][0]["min_headcount"] == 15

    edited = {"name": "泄漏 III级", "needs": [{**HAZMAT, "min_headcount": 30}], "actions": ACTIONS}
    assert client.put("/api/v1/response-plans/leak/III", json=edited).status_code == 428
    assert client.put("/api/v1/response-plans/leak/III", json={**edited, "version": 1}).status_code == 200
    assert client.put("/api/v1/response-plans/leak/III", json={**edited, "version": 1}).status_code == 409
    assert client.get("/api/v1/response-plans/leak/III").json()["needs"][0]["min_headcount"] == 30

    bad = client.put(
        "/api/v1/response-plans/leak/III",
        json={"name": "x", "needs": [{**HAZMAT, "capabilities": ["telepathy"]}], "version": 2},
    )
    assert bad.status_code == 422 and bad.json()["field"].startswith("needs.0.capabilities")
    assert client.get("/api/v1/response-plans/leak/V").status_code == 422
    assert client.get("/api/v1/response-plans/fire/I").status_code == 404
    assert [p["response_level"] for p in client.get("/api/v1/response-plans").json()["items"]] == ["III"]


def test_checklist_opens_when_the_level_is_set_and_shows_what_is_overdue(
    client: TestClient, clock: FrozenClock
) -> None:
    plan(client, [HAZMAT], actions=ACTIONS, level="IV")
    plan(
        client,
        [HAZMAT],
        actions=[
            *ACTIONS,
            {
                "code": "activate_hq",
                "action": "启动现场指挥部",
                "role": "leader_on_duty",
                "within_minutes": 30,
            },
        ],
        level="II",
    )
    without = incident(client, SCENE)
    assert client.get(f"/api/v1/incidents/{without}/checklist").json()["items"] == []

    opened_at = clock.now()
    incident_id = incident(client, SCENE, response_level="IV")
    checklist = client.get(f"/api/v1/incidents/{incident_id}/checklist").json()
    assert [(i["code"], i["role"], i["status"]) for i in checklist["items"]] == [
        ("notify_leader", "duty_officer", "open"),
        ("report_city", "leader_on_duty", "open"),
    ]
    assert checklist["items"][0]["due_at"] == (opened_at + timedelta(minutes=5)).isoformat()

    clock.advance(timedelta(minutes=6))
    checklist = client.get(f"/api/v1/incidents/{incident_id}/checklist").json()
    assert checklist["overdue"] == 1
    late = checklist["items"][0]
    assert late["status"] == "overdue"

    done = client.post(
        f"/api/v1/incidents/{incident_id}/checklist/{late['id']}/done", json={"by": "值班员 林晓"}
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    again = client.post(
        f"/api/v1/incidents/{incident_id}/checklist/{late['id']}/done", json={"by": "someone"}
    )
    assert again.status_code == 409
    assert client.get(f"/api/v1/incidents/{incident_id}/checklist").json()["overdue"] == 0

    # Escalated to level II: the II plan's extra action opens, due from now.
    current = client.get(f"/api/v1/incidents/{incident_id}").json()["properties"]["version"]
    patched = client.patch(
        f"/api/v1/incidents/{incident_id}", json={"response_level": "II", "version": current}
    )
    assert patched.status_code == 200, patched.text
    items = {i["code"]: i for i in client.get(f"/api/v1/incidents/{incident_id}/checklist").json()["items"]}
    assert set(items) == {"notify_leader", "report_city", "activate_hq"}
    assert items["activate_hq"]["due_at"] == (clock.now() + timedelta(minutes=30)).isoformat()
    timeline = client.get(f"/api/v1/incidents/{incident_id}/timeline").json()
    assert sum(entry.get("type") == "incident.checklist_opened" for entry in timeline["items"]) == 2


# --- recommendations ---------------------------------------------------------------------


def test_recommendations_rank_each_need_by_travel_time_and_say_why(client: TestClient, grid: None) -> None:
    plan(client, [HAZMAT, MEDICAL])
    partial = team(client, "近处危化队（无堵漏）", (118.936, 25.1001), ["hazmat"])
    middle = team(client, "中路危化队", (118.9205, 25.1001), ["hazmat", "leak_sealing"])
    far = team(client, "西路综合队", (118.901, 25.1001), ["hazmat", "leak_sealing", "medical"])
    medic = team(client, "东北医疗队", (118.939, 25.1199), ["medical"], headcount=6)
    team(client, "休整危化队", (118.937, 25.1001), ["hazmat", "leak_sealing"], status="off_duty")
    team(client, "防汛队", (118.938, 25.1001), ["flood_control"])
    incident_id = incident(client, SCENE)

    result = recommendations(client, incident_id)
    assert result["plan"]["level_assumed"] is True
    hazmat = need(result, "hazmat")
    assert [c["team_id"] for c in hazmat["candidates"]] == [middle, far, partial]
    first, second, third = hazmat["candidates"]
    assert first["eta_s"] < second["eta_s"]
    assert third["eta_s"] < first["eta_s"]  # closest, but it cannot seal the leak
    assert third["missing"] == ["leak_sealing"] and third["matched"] == ["hazmat"]
    assert first["missing"] == [] and sorted(first["matched"]) == ["hazmat", "leak_sealing"]
    assert [c["suggested"] for c in hazmat["candidates"]] == [True, True, False]
    assert hazmat["suggested_headcount"] == 20 and hazmat["met"] is True
    route = first["route"]
    assert route["geometry"]["type"] == "LineString"
    assert route["properties"]["eta_s"] == pytest.approx(first["eta_s"], abs=0.2)
    assert {leg["road"] for leg in route["properties"]["legs"] if leg["kind"] == "road"} == {"南路"}

    medical = need(result, "medical")
    assert [c["team_id"] for c in medical["candidates"]] == [medic, far]
    assert medical["suggested_team_ids"] == [medic]
    assert result["available_teams"] == 5  # the off-duty team is not offered

    limited = recommendations(client, incident_id, per_need=1, routes=0)
    assert [len(n["candidates"]) for n in limited["needs"]] == [1, 1]
    assert limited["needs"][0]["candidates"][0]["route"] is None


def test_assigned_teams_count_towards_their_need_and_leave_the_list(client: TestClient, grid: None) -> None:
    plan(client, [HAZMAT])
    first = team(client, "一队", (118.9205, 25.1001), ["hazmat", "leak_sealing"])
    second = team(client, "二队", (118.901, 25.1001), ["hazmat", "leak_sealing"])
    incident_id = incident(client, SCENE)
    assert assign(client, incident_id, first, need="hazmat").status_code == 201
    hazmat = need(recommendations(client, incident_id), "hazmat")
    assert hazmat["assigned_headcount"] == 10
    assert [c["team_id"] for c in hazmat["candidates"]] == [second]
    assert hazmat["suggested_team_ids"] == [second] and hazmat["met"] is True


def test_recommendations_need_a_plan(client: TestClient, grid: None) -> None:
    incident_id = incident(client, SCENE)
    response = client.get(f"/api/v1/incidents/{incident_id}/recommendations")
    assert response.status_code == 404
    assert "response plan" in response.json()["detail"]
    assert client.get("/api/v1/incidents/999/recommendations").status_code == 404


def test_a_closed_road_changes_the_recommended_route_and_eta(
    client: TestClient, grid: None, session: Session
) -> None:
    plan(client, [HAZMAT])
    team(client, "中路危化队", (118.9205, 25.1001), ["hazmat", "leak_sealing"])
    incident_id = incident(client, SCENE)
    before = need(recommendations(client, incident_id), "hazmat")["candidates"][0]
    bc = segment_id(session, B, C)
    assert bc in before["route"]["properties"]["segment_ids"]
    assert client.post("/api/v1/closures", json={"kind": "road", "segment_id": bc}).status_code == 201
    after = need(recommendations(client, incident_id), "hazmat")["candidates"][0]
    assert bc not in after["route"]["properties"]["segment_ids"]
    assert after["eta_s"] > before["eta_s"] + 60


# --- assignments -------------------------------------------------------------------------


def test_assignment_moves_the_team_through_its_steps_each_an_event(
    client: TestClient, grid: None, session: Session
) -> None:
    unit = team(client, "中路危化队", (118.9205, 25.1001), ["hazmat"])
    incident_id = incident(client, SCENE)
    created = assign(client, incident_id, unit, assigned_by="调度员 陈静")
    assert created.status_code == 201, created.text
    assignment = created.json()
    assert created.headers["Location"] == f"/api/v1/incidents/{incident_id}/assignments/{assignment['id']}"
    assert assignment["geometry"]["type"] == "LineString"
    assert assignment["properties"]["status"] == "dispatched" and assignment["properties"]["eta_s"] > 0
    assert client.get(f"/api/v1/teams/{unit}").json()["properties"]["status"] == "dispatched"

    wrong = step(client, incident_id, assignment["id"], "on_scene")
    assert wrong.status_code == 409 and wrong.json()["field"] == "status"
    for report, expected in [
        ("en_route", "en_route"),
        ("on_scene", "on_scene"),
        ("returning", "returning"),
        ("available", "completed"),
    ]:
        response = step(client, incident_id, assignment["id"], report)
        assert response.status_code == 200, response.text
        assert response.json()["properties"]["status"] == expected
        assert client.get(f"/api/v1/teams/{unit}").json()["properties"]["status"] == report
    assert step(client, incident_id, assignment["id"], "en_route").status_code == 409

    layer = client.get(f"/api/v1/incidents/{incident_id}/assignments").json()
    assert layer["features"][0]["properties"]["active"] is False
    assert client.get("/api/v1/assignments").json()["numberMatched"] == 0  # none still out
    types = session.scalars(
        select(Event.type).where(Event.entity_type == "assignment").order_by(Event.id)
    ).all()
    assert types == ["assignment.created"] + ["assignment.status_changed"] * 4
    team_steps = session.scalars(
        select(Event.payload).where(Event.entity_type == "team", Event.type == "team.status_changed")
    ).all()
    assert [p["to"] for p in team_steps] == ["dispatched", "en_route", "on_scene", "returning", "available"]


def test_a_committed_team_cannot_be_sent_elsewhere_until_it_returns(client: TestClient, grid: None) -> None:
    unit = team(client, "中路危化队", (118.9205, 25.1001), ["hazmat"])
    first, second = incident(client, SCENE), incident(client, A)
    assignment = assign(client, first, unit).json()
    refused = assign(client, second, unit)
    assert refused.status_code == 409
    assert refused.json()["field"] == "team_id"
    assert f"incident {first}" in refused.json()["detail"]
    assert assign(client, first, unit).status_code == 409  # already there

    for report in ("en_route", "on_scene", "returning"):
        assert step(client, first, assignment["id"], report).status_code == 200
    moved = assign(client, second, unit)  # a returning team can take the next job
    assert moved.status_code == 201
    old = client.get(f"/api/v1/incidents/{first}/assignments/{assignment['id']}").json()
    assert old["properties"]["status"] == "completed"

    recalled = step(client, second, moved.json()["id"], "available")
    assert recalled.json()["properties"]["status"] == "cancelled"
    assert client.get(f"/api/v1/teams/{unit}").json()["properties"]["status"] == "available"
    assert assign(client, first, 999).json()["field"] == "team_id"


def test_teams_on_their_way_are_rerouted_around_a_new_closure(
    client: TestClient, grid: None, session: Session
) -> None:
    unit = team(client, "西路危化队", (118.901, 25.1001), ["hazmat"])
    incident_id = incident(client, SCENE)
    assignment = assign(client, incident_id, unit).json()
    assert step(client, incident_id, assignment["id"], "en_route").status_code == 200
    bc = segment_id(session, B, C)
    closure = client.post("/api/v1/closures", json={"kind": "road", "segment_id": bc, "created_by": "调度员"})
    assert closure.json()["properties"]["rerouted_assignments"] == [assignment["id"]]
    rerouted = client.get(f"/api/v1/incidents/{incident_id}/assignments/{assignment['id']}").json()
    assert rerouted["properties"]["eta_s"] > assignment["properties"]["eta_s"] + 60
    line = LineString(rerouted["geometry"]["coordinates"])
    assert not line.intersects(LineString([(118.921, 25.1), (118.938, 25.1)]))
    session.rollback()
    event = session.scalars(select(Event).where(Event.type == "assignment.rerouted")).one()
    assert event.entity_id == assignment["id"]
    assert event.payload["feature"]["properties"]["eta_s"] == rerouted["properties"]["eta_s"]
    assert event.payload["before"]["eta_s"] == assignment["properties"]["eta_s"]

    lifted = client.delete(f"/api/v1/closures/{closure.json()['id']}")
    assert lifted.json()["properties"]["rerouted_assignments"] == [assignment["id"]]


# --- idempotency and races ----------------------------------------------------------------


def test_a_repeated_command_with_the_same_key_does_nothing_twice(
    client: TestClient, grid: None, session: Session
) -> None:
    unit = team(client, "中路危化队", (118.9205, 25.1001), ["hazmat"])
    incident_id = incident(client, SCENE)
    url = f"/api/v1/incidents/{incident_id}/assignments"
    key = {"Idempotency-Key": "a7c5e0e2-dispatch-1"}
    first = client.post(url, json={"team_id": unit}, headers=key)
    again = client.post(url, json={"team_id": unit}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    other = client.post(url, json={"team_id": unit, "need": "hazmat"}, headers=key)
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"

    status_url = f"{url}/{first.json()['id']}/status"
    step_key = {"Idempotency-Key": "step-1"}
    assert client.post(status_url, json={"status": "en_route"}, headers=step_key).status_code == 200
    replay = client.post(status_url, json={"status": "en_route"}, headers=step_key)
    assert replay.status_code == 200 and replay.json()["properties"]["status"] == "en_route"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Assignment)) == 1
    assert session.scalar(select(func.count()).where(Event.type == "assignment.created")) == 1
    assert session.scalar(select(func.count()).where(Event.type == "assignment.status_changed")) == 1


def test_a_key_is_forgotten_after_the_keep_time_and_can_be_used_again(
    client: TestClient, grid: None, session: Session, clock: FrozenClock, settings: Settings
) -> None:
    unit = team(client, "北路危化队", (118.9205, 25.1001), ["hazmat"])
    url = f"/api/v1/incidents/{incident(client, SCENE)}/assignments"
    key = {"Idempotency-Key": "dispatch-day-1"}
    first = client.post(url, json={"team_id": unit}, headers=key)
    assert first.status_code == 201
    clock.advance(timedelta(hours=settings.idempotency_keep_hours) - timedelta(minutes=1))
    session.rollback()
    assert (
        idempotency.forget(session, before=clock.now() - timedelta(hours=settings.idempotency_keep_hours))
        == 0
    )
    session.commit()
    assert client.post(url, json={"team_id": unit}, headers=key).headers["Idempotent-Replayed"] == "true"

    clock.advance(timedelta(minutes=2))
    assert (
        idempotency.forget(session, before=clock.now() - timedelta(hours=settings.idempotency_keep_hours))
        == 1
    )
    session.commit()
    # Forgotten: the same key is a new request now (this team is taken, so the answer differs).
    again = client.post(url, json={"team_id": unit}, headers=key)
    assert again.status_code == 409 and "Idempotent-Replayed" not in again.headers


def _race(base: str, requests: list[tuple[str, dict[str, Any], dict[str, str]]]) -> list[httpx.Response]:
    """Send the requests at the same moment from as many threads; their responses in order."""
    barrier = threading.Barrier(len(requests))
    out: list[httpx.Response | None] = [None] * len(requests)

    def send(i: int) -> None:
        url, body, headers = requests[i]
        with httpx.Client(base_url=base, timeout=30) as http:
            barrier.wait()
            out[i] = http.post(url, json=body, headers=headers)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r is not None for r in out)
    return [r for r in out if r is not None]


def test_dispatchers_racing_for_one_team_get_one_success_and_409s(
    client: TestClient, grid: None, settings: Settings, engine: Engine, clock: FrozenClock, session: Session
) -> None:
    units = [team(client, f"队{i}", (118.9205, 25.1001), ["hazmat"]) for i in range(3)]
    incidents = [incident(client, SCENE), incident(client, A)]
    with served(settings, engine, clock) as base:
        for unit in units:
            responses = _race(
                base,
                [
                    (f"/api/v1/incidents/{incidents[i % 2]}/assignments", {"team_id": unit}, {})
                    for i in range(6)
                ],
            )
            codes = sorted(r.status_code for r in responses)
            assert codes == [201, 409, 409, 409, 409, 409], [r.text for r in responses]
    session.rollback()
    for unit in units:
        active = session.scalars(select(Assignment).where(Assignment.team_id == unit)).all()
        assert len(active) == 1 and active[0].active
        assert client.get(f"/api/v1/teams/{unit}").json()["properties"]["status"] == "dispatched"


def test_the_same_key_sent_concurrently_assigns_once(
    client: TestClient, grid: None, settings: Settings, engine: Engine, clock: FrozenClock, session: Session
) -> None:
    unit = team(client, "中路危化队", (118.9205, 25.1001), ["hazmat"])
    incident_id = incident(client, SCENE)
    with served(settings, engine, clock) as base:
        responses = _race(
            base,
            [(f"/api/v1/incidents/{incident_id}/assignments", {"team_id": unit}, {"Idempotency-Key": "same"})]
            * 5,
        )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Assignment)) == 1


# --- staging for a toxic release ----------------------------------------------------------


def test_staging_is_up_wind_of_the_zone_and_its_approach_stays_out(client: TestClient, grid: None) -> None:
    unit = team(client, "西路危化队", (118.901, 25.1001), ["hazmat"])
    incident_id = incident(client, SCENE)
    assign(client, incident_id, unit)
    zone = {
        "type": "Polygon",
        "coordinates": [
            [[118.930, 25.095], [118.945, 25.095], [118.945, 25.106], [118.930, 25.106], [118.930, 25.095]]
        ],
    }
    # Wind from the west: the staging area is west of the zone, at least 500 m out, on a road.
    response = client.post(
        f"/api/v1/incidents/{incident_id}/staging",
        json={"danger_zone": zone, "wind_from_deg": 270, "wind_speed_ms": 3, "safe_distance_m": 500},
    )
    assert response.status_code == 200, response.text
    proposal = response.json()
    staging = proposal["staging"]
    assert staging["properties"]["on_road"] is True
    assert staging["properties"]["distance_from_zone_m"] >= 500
    assert 225 <= staging["properties"]["bearing_from_zone_deg"] <= 315
    where = shape(staging["geometry"])
    assert isinstance(where, Point) and where.x < 118.930
    [approach] = proposal["routes"]["features"]
    assert approach["properties"]["team_id"] == unit
    assert approach["properties"]["enters_danger_zone"] is False
    assert not LineString(approach["geometry"]["coordinates"]).intersects(shape(zone))

    # Wind from the north: north of the zone.
    north = client.post(
        f"/api/v1/incidents/{incident_id}/staging",
        json={"danger_zone": zone, "wind_from_deg": 0, "safe_distance_m": 500},
    ).json()["staging"]
    assert shape(north["geometry"]).y > 25.106

    bad = client.post(f"/api/v1/incidents/{incident_id}/staging", json={"wind_from_deg": 0})
    assert bad.status_code == 422 and bad.json()["field"] == "danger_zone"
    assert (
        client.post(
            f"/api/v1/incidents/{incident_id}/staging", json={"danger_zone": zone, "wind_from_deg": 400}
        ).json()["field"]
        == "wind_from_deg"
    )


def test_the_database_itself_refuses_a_second_active_assignment_of_a_team(
    client: TestClient, grid: None, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    unit = team(client, "中路危化队", (118.9205, 25.1001), ["hazmat"])
    first, second = incident(client, SCENE), incident(client, A)
    assert assign(client, first, unit).status_code == 201
    now = clock.now()
    with sessions() as session:
        session.add(
            Assignment(
                incident_id=second,
                team_id=unit,
                status="dispatched",
                active=True,
                legs=[],
                assigned_at=now,
                status_at=now,
                updated_at=now,
            )
        )
        with pytest.raises(IntegrityError):
            session.flush()


# --- one team for one need, and equipment that fits the chemical ---------------------------

FIRE = {"need": "fire_rescue", "capabilities": ["firefighting"], "min_headcount": 20}
GAS = {"need": "gas_monitoring", "capabilities": ["gas_detection"], "min_headcount": 4}
WIDE_HAZMAT = {"need": "hazmat", "capabilities": ["hazmat"], "min_headcount": 20}


def test_one_team_counts_for_one_need_and_what_is_left_is_missing(client: TestClient, grid: None) -> None:
    plan(client, [FIRE, WIDE_HAZMAT, GAS, MEDICAL])
    big = team(
        client, "园区综合队", (118.936, 25.1001), ["firefighting", "hazmat", "gas_detection"], headcount=24
    )
    fire = team(client, "中路消防队", (118.9205, 25.1001), ["firefighting"], headcount=20)
    gas = team(client, "西路气防队", (118.901, 25.1001), ["gas_detection"], headcount=6)
    incident_id = incident(client, SCENE, title="储罐泄漏")  # no chemical named

    result = recommendations(client, incident_id)
    # The 24-person team is the fastest for all three needs, but it is one team: it goes where
    # nobody else can (hazmat), the others take fire fighting and gas monitoring.
    assert [(c["need"], c["team_id"]) for c in result["chosen"]] == [
        ("fire_rescue", fire),
        ("hazmat", big),
        ("gas_monitoring", gas),
    ]
    for code, expected in [("fire_rescue", [fire]), ("hazmat", [big]), ("gas_monitoring", [gas])]:
        assert need(result, code)["suggested_team_ids"] == expected
        assert need(result, code)["met"] is True
    first_for_fire = need(result, "fire_rescue")["candidates"][0]
    assert first_for_fire["team_id"] == big  # still listed first: it is the fastest
    assert first_for_fire["suggested"] is False and first_for_fire["chosen_for"] == "hazmat"
    assert sum(c["suggested"] for n in result["needs"] for c in n["candidates"] if c["team_id"] == big) == 1

    # No medical team at all: shown as missing, with how many people and why.
    [medical] = result["missing"]
    assert medical["need"] == "medical" and medical["short_headcount"] == 5
    assert "no available team" in medical["reason"]
    assert need(result, "medical")["met"] is False

    # With the fire team gone elsewhere, the big team can cover fire fighting or hazmat, not both:
    # of two needs equally served, the plan's first (fire fighting) gets it; hazmat is short.
    assert assign(client, incident(client, A), fire).status_code == 201
    again = recommendations(client, incident_id)
    assert need(again, "fire_rescue")["suggested_team_ids"] == [big]
    assert need(again, "hazmat")["suggested_team_ids"] == []
    short = {m["need"]: m["short_headcount"] for m in again["missing"]}
    assert short == {"hazmat": 20, "medical": 5}


def test_an_assignment_without_a_need_counts_for_one_need_only(client: TestClient, grid: None) -> None:
    plan(client, [FIRE, WIDE_HAZMAT])
    big = team(client, "园区综合队", (118.936, 25.1001), ["firefighting", "hazmat"], headcount=24)
    other = team(client, "中路综合队", (118.9205, 25.1001), ["firefighting", "hazmat"], headcount=24)
    incident_id = incident(client, SCENE, title="储罐泄漏")  # no chemical named
    assert assign(client, incident_id, big).status_code == 201  # sent without naming a need
    result = recommendations(client, incident_id)
    assert [n["assigned_headcount"] for n in result["needs"]] == [24, 0]
    assert need(result, "hazmat")["suggested_team_ids"] == [other]
    assert result["missing"] == []


HAZMAT_KIT = ["重型防化服", "正压式空气呼吸器", "有毒气体检测仪", "可燃气体检测仪", "堵漏工具组"]
LIGHT_KIT = ["防化服", "正压式空气呼吸器", "可燃气体检测仪", "堵漏工具组"]


def test_hazmat_teams_whose_equipment_does_not_fit_the_chemical_rank_after_those_whose_does(
    client: TestClient, grid: None
) -> None:
    plan(client, [HAZMAT])
    near = team(client, "东路企业队", (118.936, 25.1001), ["hazmat", "leak_sealing"], equipment=LIGHT_KIT)
    chlorine_ready = team(
        client,
        "中路危化队",
        (118.9205, 25.1001),
        ["hazmat", "leak_sealing"],
        equipment=[*HAZMAT_KIT, "氯气堵漏器具"],
    )
    gas_tight = team(
        client, "西路危化队", (118.901, 25.1001), ["hazmat", "leak_sealing"], equipment=HAZMAT_KIT
    )

    # A chlorine leak, typed in the title.
    chlorine = recommendations(client, incident(client, SCENE, title="液氯钢瓶泄漏"))
    assert [(c["name"], c["from"]) for c in chlorine["chemicals"]] == [("氯", "incident")]
    hazmat = need(chlorine, "hazmat")
    assert [c["team_id"] for c in hazmat["candidates"]] == [chlorine_ready, gas_tight, near]
    assert hazmat["candidates"][0]["equipment_fit"] == {"fits": True, "lacking": []}
    assert [x["code"] for x in hazmat["candidates"][1]["equipment_fit"]["lacking"]] == [
        "chlorine_leak_sealing_kit"
    ]
    assert [x["code"] for x in hazmat["candidates"][2]["equipment_fit"]["lacking"]] == [
        "gas_tight_suit",
        "toxic_gas_detector",
        "chlorine_leak_sealing_kit",
    ]
    # 15 people are needed: the team that lacks only the chlorine kit makes up the number, and
    # the need says so.
    assert hazmat["suggested_team_ids"] == [chlorine_ready, gas_tight]
    [gap] = chlorine["missing"]
    assert gap["need"] == "hazmat" and gap["short_headcount"] == 0 and gap["unfit_team_ids"] == [gas_tight]

    # Ammonia stored at the hazard source: gas-tight suits, no chlorine kit needed.
    source = client.post(
        "/api/v1/hazard-sources",
        json={
            "enterprise": "某化工公司",
            "name": "液氨储罐区",
            "site": {"type": "Point", "coordinates": list(SCENE)},
            "chemicals": [{"name": "液氨", "cas": "7664-41-7", "quantity_t": 40}],
        },
    )
    assert source.status_code == 201, source.text
    ammonia = recommendations(
        client, incident(client, SCENE, title="储罐区泄漏", hazard_source_id=source.json()["id"])
    )
    assert [(c["name"], c["from"]) for c in ammonia["chemicals"]] == [("氨", "hazard_source")]
    hazmat = need(ammonia, "hazmat")
    assert [c["team_id"] for c in hazmat["candidates"]] == [chlorine_ready, gas_tight, near]
    assert hazmat["suggested_team_ids"] == [chlorine_ready, gas_tight]

    # Propylene (a flammable gas): the near team's kit fits, so it is first again.
    propylene = need(recommendations(client, incident(client, SCENE, title="丙烯管线泄漏")), "hazmat")
    assert [c["team_id"] for c in propylene["candidates"]] == [near, chlorine_ready, gas_tight]
    assert all(c["equipment_fit"]["fits"] for c in propylene["candidates"])


def test_an_unfit_team_is_chosen_only_when_no_team_that_fits_is_left_and_it_says_so(
    client: TestClient, grid: None
) -> None:
    plan(client, [HAZMAT])
    near = team(client, "东路企业队", (118.936, 25.1001), ["hazmat", "leak_sealing"], equipment=LIGHT_KIT)
    result = recommendations(client, incident(client, SCENE, title="液氨泄漏"))
    assert need(result, "hazmat")["suggested_team_ids"] == [near]
    [gap] = result["missing"]
    assert gap["unfit_team_ids"] == [near] and gap["short_headcount"] == 5
    assert "液" not in gap["reason"] and "氨" in gap["reason"]


def test_a_team_at_sea_is_unreachable_with_the_reason(client: TestClient, grid: None) -> None:
    plan(client, [HAZMAT])
    at_sea = team(client, "海上队", (118.939, 25.05), ["hazmat", "leak_sealing"])
    ashore = team(client, "西路危化队", (118.901, 25.1001), ["hazmat", "leak_sealing"])
    hazmat = need(recommendations(client, incident(client, SCENE)), "hazmat")
    assert [c["team_id"] for c in hazmat["candidates"]] == [ashore, at_sea]
    last = hazmat["candidates"][1]
    assert last["reachable"] is False and last["eta_s"] is None and last["suggested"] is False
    assert "5.6 km from the nearest open road" in last["unreachable_reason"]


def test_a_danger_zone_over_the_scene_reroutes_teams_to_its_edge(client: TestClient, grid: None) -> None:
    unit = team(client, "西路危化队", (118.901, 25.1001), ["hazmat"])
    incident_id = incident(client, SCENE)
    assignment = assign(client, incident_id, unit).json()
    zone = Polygon([(118.934, 25.097), (118.944, 25.097), (118.944, 25.104), (118.934, 25.104)])
    closure = client.post(
        "/api/v1/closures",
        json={"kind": "danger_zone", "area": mapping(zone), "incident_id": incident_id, "reason": "氯气扩散"},
    )
    assert closure.json()["properties"]["rerouted_assignments"] == [assignment["id"]]
    rerouted = client.get(f"/api/v1/incidents/{incident_id}/assignments/{assignment['id']}").json()
    line = LineString(rerouted["geometry"]["coordinates"])
    assert not line.intersects(zone.buffer(-1e-6))
    assert rerouted["geometry"]["coordinates"][-1] == pytest.approx([118.934, 25.1], abs=1e-6)
    assert (
        rerouted["properties"]["eta_s"] < assignment["properties"]["eta_s"]
    )  # the last 500 m are not driven

    # The recommendation for the same scene ends there too, and says why.
    plan(client, [{"need": "hazmat", "capabilities": ["hazmat"]}])
    team(client, "中路危化队", (118.9205, 25.1001), ["hazmat"])
    result = recommendations(client, incident_id)
    [first] = need(result, "hazmat")["candidates"]
    approach = first["route"]["properties"]["approach"]
    assert approach["coordinates"] == pytest.approx([118.934, 25.1], abs=1e-6)
    assert "danger zone" in result["approach"]["why"]


@pytest.mark.parametrize("seed", range(20))
def test_chosen_teams_are_distinct_and_a_need_is_left_short_only_when_no_team_is_left(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_teams = int(rng.integers(3, 40))
    headcount = rng.integers(4, 40, n_teams)
    eta = rng.uniform(60, 3600, n_teams)
    needs = []
    for place in range(int(rng.integers(1, 6))):
        eligible = np.flatnonzero(rng.random(n_teams) < 0.4)
        order = eligible[np.argsort(eta[eligible], kind="stable")]
        needs.append(
            _Need(
                code=f"need{place}",
                place=place,
                people=int(rng.integers(0, 120)),
                wants_team=bool(rng.random() < 0.8),
                order=order,
                cost=eta.copy(),
                chosen=[],
            )
        )
    _choose(needs, headcount, n_teams)
    chosen = [i for n in needs for i in n.chosen]
    assert len(chosen) == len(set(chosen))  # one team, one need
    for n in needs:
        assert set(n.chosen) <= set(n.order.tolist())
        if n.short(headcount):  # shown as missing: then nothing that could meet it is left
            assert set(n.order.tolist()) <= set(chosen)
        elif len(n.chosen) > 1:  # met, and with no team it could do without
            for i in n.chosen:
                assert int(headcount[[j for j in n.chosen if j != i]].sum()) < n.people
