"""An incident's life as a duty officer and a dispatcher live it: it cannot be closed under teams or
stock still committed to it (unless everything is stood down with it), a closed one can be reopened
with a reason, one opened from a warning starts at the warning's level with its checklist open,
dispatching ticks the plan's first-dispatch action, and the timeline shows all of it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from commandpost.clock import FrozenClock
from commandpost.config import Settings
from commandpost.dispatch import service as dispatch
from commandpost.events.models import Event
from commandpost.incidents import service as incidents
from commandpost.routing.service import Router
from dispatch_support import A, C, incident, load_grid, plan, served, team
from test_materials_dispatch import catalogue, depot, line

SCENE = (118.939, 25.1003)  # on 南路, just west of C
HAZMAT = {"need": "hazmat", "capabilities": ["hazmat"], "min_headcount": 10}
ACTIONS = [
    {"code": "notify_leader", "action": "报告带班领导", "role": "duty_officer", "within_minutes": 5},
    {
        "code": "dispatch_first_response",
        "action": "调派首批救援力量",
        "role": "dispatcher",
        "within_minutes": 10,
    },
]
OFFICER = "值班员 林晓"


@pytest.fixture
def grid(sessions: sessionmaker[Session], clock: FrozenClock) -> None:
    load_grid(sessions, clock)


def send(client: TestClient, incident_id: int, team_id: int) -> int:
    response = client.post(
        f"/api/v1/incidents/{incident_id}/assignments",
        json={"team_id": team_id, "assigned_by": "调度员 陈静"},
    )
    assert response.status_code == 201, response.text
    assignment_id: int = response.json()["id"]
    return assignment_id


def step(client: TestClient, incident_id: int, assignment_id: int, *steps: str) -> None:
    for status in steps:
        response = client.post(
            f"/api/v1/incidents/{incident_id}/assignments/{assignment_id}/status", json={"status": status}
        )
        assert response.status_code == 200, response.text


def status_of(client: TestClient, kind: str, entity_id: int) -> str:
    status: str = client.get(f"/api/v1/{kind}/{entity_id}").json()["properties"]["status"]
    return status


def close(client: TestClient, incident_id: int, **more: Any) -> Any:
    return client.post(
        f"/api/v1/incidents/{incident_id}/status", json={"status": "closed", "by": OFFICER, **more}
    )


def event_count(session: Session) -> int:
    session.rollback()  # see what has been committed since
    return session.scalar(select(func.count()).select_from(Event)) or 0


# --- closing under committed resources ---------------------------------------------------


def test_closing_under_committed_teams_and_reserved_stock_is_refused_listing_them(
    client: TestClient, grid: None, session: Session
) -> None:
    catalogue(client)
    store = depot(client, "东路储备库", (118.938, 25.1001), {"foam": 20})
    incident_id = incident(client, SCENE)
    west = team(client, "西路危化队", A, ["hazmat"])
    east = team(client, "东路消防队", C, ["firefighting"])
    send(client, incident_id, west)
    step(client, incident_id, send(client, incident_id, east), "en_route", "on_scene")
    asked = client.post(
        f"/api/v1/incidents/{incident_id}/material-requests",
        json={"items": [{"material": "foam", "quantity": 5}]},
    )
    assert asked.status_code == 201, asked.text
    before = event_count(session)

    refused = close(client, incident_id)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["field"] == "stand_down"
    assert [(t["team_name"], t["status"]) for t in problem["teams"]] == [
        ("西路危化队", "dispatched"),
        ("东路消防队", "on_scene"),
    ]
    assert [(m["depot_name"], m["material"], m["quantity"], m["unit"]) for m in problem["materials"]] == [
        ("东路储备库", "foam", 5, "t")
    ]
    assert "西路危化队" in problem["detail"] and "东路储备库" in problem["detail"]
    # Nothing moved.
    assert status_of(client, "incidents", incident_id) == "reported"
    assert (status_of(client, "teams", west), status_of(client, "teams", east)) == ("dispatched", "on_scene")
    assert line(client, store, "foam")["reserved"] == 5
    assert event_count(session) == before


def test_standing_down_releases_teams_and_returns_stock_in_the_same_command(
    client: TestClient, grid: None, session: Session
) -> None:
    catalogue(client)
    store = depot(client, "东路储备库", (118.938, 25.1001), {"foam": 20})
    incident_id = incident(client, SCENE)
    west = team(client, "西路危化队", A, ["hazmat"])
    east = team(client, "东路消防队", C, ["firefighting"])
    recalled = send(client, incident_id, west)
    on_scene = send(client, incident_id, east)
    step(client, incident_id, on_scene, "en_route", "on_scene")
    client.post(
        f"/api/v1/incidents/{incident_id}/material-requests",
        json={"items": [{"material": "foam", "quantity": 5}]},
    )
    first_new = event_count(session) + 1

    closed = close(client, incident_id, stand_down=True)
    assert closed.status_code == 200, closed.text
    assert closed.json()["properties"]["status"] == "closed"
    # The team still on its way is recalled and free at once; the one on scene heads home.
    assert status_of(client, "teams", west) == "available"
    assert status_of(client, "teams", east) == "returning"
    assignments = {
        a["id"]: a["properties"]
        for a in client.get(f"/api/v1/incidents/{incident_id}/assignments").json()["features"]
    }
    assert (assignments[recalled]["status"], assignments[recalled]["active"]) == ("cancelled", False)
    assert assignments[on_scene]["status"] == "returning"
    stock = line(client, store, "foam")
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (20, 0, 20)

    session.rollback()
    logged = session.execute(
        select(Event.type, Event.actor).where(Event.id >= first_new).order_by(Event.id)
    ).all()
    types = [t for t, _ in logged]
    assert types.count("assignment.status_changed") == 2
    assert types.count("team.status_changed") == 2
    assert "depot.stock_released" in types and "material_request.allocation_cancelled" in types
    assert types[-2:] == ["incident.stood_down", "incident.status_changed"]
    assert {actor for _, actor in logged} == {OFFICER}
    # The team released by the stand-down can be sent elsewhere at once.
    elsewhere = incident(client, (118.92, 25.10))
    send(client, elsewhere, west)


def test_stock_released_by_a_stand_down_goes_to_other_incidents_short_of_it_never_back_to_its_own(
    client: TestClient, grid: None
) -> None:
    catalogue(client)
    store = depot(client, "东路储备库", (118.938, 25.1001), {"foam": 20})
    closing = incident(client, SCENE)
    other = incident(client, (118.92, 25.10))
    ask = {"items": [{"material": "foam", "quantity": 15}]}
    assert client.post(f"/api/v1/incidents/{closing}/material-requests", json=ask).status_code == 201
    # Two more requests wait short of foam: a second one of the incident being closed, and another's.
    for incident_id in (closing, other):
        waiting = client.post(f"/api/v1/incidents/{incident_id}/material-requests", json=ask)
        assert waiting.status_code == 201, waiting.text

    closed = close(client, closing, stand_down=True)
    assert closed.status_code == 200, closed.text
    # Nothing stays reserved for the closed incident; the other incident got the freed foam.
    mine = client.get(f"/api/v1/incidents/{closing}/material-requests").json()["items"]
    held = [a for r in mine for a in r["allocations"] if a["status"] == "reserved"]
    assert held == []
    theirs = client.get(f"/api/v1/incidents/{other}/material-requests").json()["items"]
    got = sum(a["quantity"] for r in theirs for a in r["allocations"] if a["status"] == "reserved")
    assert got == 15
    assert line(client, store, "foam")["reserved"] == 15


def test_a_returning_team_does_not_hold_the_incident_open(client: TestClient, grid: None) -> None:
    incident_id = incident(client, SCENE)
    unit = team(client, "东路消防队", C, ["firefighting"])
    step(client, incident_id, send(client, incident_id, unit), "en_route", "on_scene", "returning")
    assert close(client, incident_id).status_code == 200
    assert status_of(client, "teams", unit) == "returning"


def _wait_for_a_lock_wait(engine: Engine, *, unless: Callable[[], bool]) -> None:
    """Until another session of this PostgreSQL database waits for a row lock, or `unless()`; 20 s at most."""
    deadline = time.monotonic() + 20
    with engine.connect() as conn:
        while time.monotonic() < deadline and not unless():
            waiting = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            if waiting:
                return
            conn.rollback()
            time.sleep(0.05)


def test_a_close_racing_a_dispatch_waits_for_it_and_then_refuses(
    client: TestClient,
    grid: None,
    settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FrozenClock,
    backend: str,
) -> None:
    incident_id = incident(client, SCENE)
    unit = team(client, "西路危化队", A, ["hazmat"])
    answers: list[httpx.Response] = []
    with served(settings, engine, clock) as base, sessions() as dispatching:
        # A dispatcher's command has found the incident open and not yet added its team when the
        # officer closes the incident.
        incidents.get_open(dispatching, incident_id=incident_id)
        closer = threading.Thread(
            target=lambda: answers.append(
                httpx.post(
                    f"{base}/api/v1/incidents/{incident_id}/status", json={"status": "closed"}, timeout=60
                )
            )
        )
        closer.start()
        if backend == "postgis":
            _wait_for_a_lock_wait(engine, unless=lambda: bool(answers))
        dispatch.assign(
            dispatching, incident_id=incident_id, team_id=unit, need=None, router=Router(), clock=clock
        )
        dispatching.commit()
        closer.join(timeout=60)
    [answer] = answers
    assert answer.status_code == 409, answer.text
    assert [t["team_id"] for t in answer.json()["teams"]] == [unit]
    assert status_of(client, "incidents", incident_id) == "reported"


def test_stand_down_goes_only_with_closing(client: TestClient) -> None:
    incident_id = incident(client, SCENE)
    response = client.post(
        f"/api/v1/incidents/{incident_id}/status", json={"status": "confirmed", "stand_down": True}
    )
    assert response.status_code == 422 and response.json()["field"] == "stand_down"
    assert status_of(client, "incidents", incident_id) == "reported"


def test_a_closed_incident_takes_no_teams_or_materials(client: TestClient, grid: None) -> None:
    catalogue(client)
    depot(client, "东路储备库", (118.938, 25.1001), {"foam": 20})
    incident_id = incident(client, SCENE)
    assert close(client, incident_id).status_code == 200
    unit = team(client, "西路危化队", A, ["hazmat"])
    refused = client.post(f"/api/v1/incidents/{incident_id}/assignments", json={"team_id": unit})
    assert refused.status_code == 409 and "reopen" in refused.json()["detail"]
    materials = client.post(
        f"/api/v1/incidents/{incident_id}/material-requests",
        json={"items": [{"material": "foam", "quantity": 1}]},
    )
    assert materials.status_code == 409
    assert status_of(client, "teams", unit) == "available"


# --- reopening ---------------------------------------------------------------------------


def test_a_closed_incident_is_reopened_with_a_reason(
    client: TestClient, grid: None, clock: FrozenClock, session: Session
) -> None:
    incident_id = incident(client, SCENE)
    url = f"/api/v1/incidents/{incident_id}"
    assert close(client, incident_id).status_code == 200
    # Moving a closed incident along the flow says how to reopen it.
    stuck = client.post(f"{url}/status", json={"status": "confirmed"})
    assert stuck.status_code == 409 and "reopen" in stuck.json()["detail"]

    for body, field in [
        ({"by": OFFICER}, "reason"),
        ({"reason": "复燃"}, "by"),
        ({"by": OFFICER, "reason": ""}, "reason"),
    ]:
        bad = client.post(f"{url}/reopen", json=body)
        assert bad.status_code == 422 and bad.json()["field"] == field
    assert client.post(f"{url}/reopen", json={"by": OFFICER, "reason": "x", "version": 1}).status_code == 409
    assert status_of(client, "incidents", incident_id) == "closed"

    clock.advance(timedelta(minutes=20))
    reopened = client.post(f"{url}/reopen", json={"by": OFFICER, "reason": "现场复燃，需重新处置"})
    assert reopened.status_code == 200, reopened.text
    props = reopened.json()["properties"]
    assert (props["status"], props["closed_at"]) == ("confirmed", None)
    last = props["timeline"][-1]
    assert (last["type"], last["author"], last["details"]["reason"]) == (
        "incident.reopened",
        OFFICER,
        "现场复燃，需重新处置",
    )
    session.rollback()
    event = session.scalars(select(Event).where(Event.type == "incident.reopened")).one()
    assert (event.actor, event.payload["reason"], event.payload["to"]) == (
        OFFICER,
        "现场复燃，需重新处置",
        "confirmed",
    )
    assert event.at == clock.now()

    # Open again: it takes teams, and it can be closed again.
    send(client, incident_id, team(client, "西路危化队", A, ["hazmat"]))
    again = client.post(f"{url}/reopen", json={"by": OFFICER, "reason": "again"})
    assert again.status_code == 409 and again.json()["field"] == "status"


# --- a warning's colour sets the level ---------------------------------------------------


WARNED_AREA = {"type": "Point", "coordinates": [118.93, 25.13]}


def warning(client: TestClient, level: str) -> int:
    response = client.post(
        "/api/v1/warnings",
        json={"level": level, "title": f"{level} 预警", "area": WARNED_AREA, "issued_by": OFFICER},
    )
    assert response.status_code == 201, response.text
    warning_id: int = response.json()["id"]
    return warning_id


def open_from(client: TestClient, warning_id: int, **more: Any) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/warnings/{warning_id}/incident", json={"by": OFFICER, "type": "leak", **more}
    )
    assert response.status_code == 201, response.text
    props: dict[str, Any] = response.json()["properties"]
    return props


@pytest.mark.parametrize(
    ("colour", "level"), [("red", "I"), ("orange", "II"), ("yellow", "III"), ("blue", "IV")]
)
def test_an_incident_opened_from_a_warning_takes_its_colour_as_level(
    client: TestClient, colour: str, level: str
) -> None:
    plan(client, [HAZMAT], actions=ACTIONS, level=level)
    props = open_from(client, warning(client, colour))
    assert props["response_level"] == level
    # The plan of that level and its checklist are open at once.
    checklist = client.get(f"/api/v1/incidents/{props['id']}/checklist").json()
    assert checklist["response_level"] == level and checklist["plan"] == f"leak {level}"
    assert [i["code"] for i in checklist["items"]] == ["notify_leader", "dispatch_first_response"]


def test_the_level_from_a_warning_can_be_chosen_and_edited(client: TestClient) -> None:
    chosen = open_from(client, warning(client, "red"), response_level="II")
    assert chosen["response_level"] == "II"
    edited = client.patch(
        f"/api/v1/incidents/{chosen['id']}", json={"response_level": "I", "version": chosen["version"]}
    )
    assert edited.status_code == 200 and edited.json()["properties"]["response_level"] == "I"
    bad = client.post(
        f"/api/v1/warnings/{warning(client, 'red')}/incident",
        json={"by": OFFICER, "type": "leak", "response_level": "V"},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "response_level"


# --- the checklist and dispatch ----------------------------------------------------------


def checklist(client: TestClient, incident_id: int) -> dict[str, dict[str, Any]]:
    items = client.get(f"/api/v1/incidents/{incident_id}/checklist").json()["items"]
    return {i["code"]: i for i in items}


def test_dispatching_a_team_ticks_the_first_dispatch_action_only(
    client: TestClient, grid: None, clock: FrozenClock
) -> None:
    plan(client, [HAZMAT], actions=ACTIONS, level="IV")
    incident_id = incident(client, SCENE, response_level="IV")
    clock.advance(timedelta(minutes=3))
    send(client, incident_id, team(client, "西路危化队", A, ["hazmat"]))
    items = checklist(client, incident_id)
    first = items["dispatch_first_response"]
    assert (first["status"], first["done_by"], first["done_at"]) == (
        "done",
        "调度员 陈静",
        clock.now().isoformat(),
    )
    assert items["notify_leader"]["status"] == "open"  # the officer ticks the rest
    done = [
        i
        for i in client.get(f"/api/v1/incidents/{incident_id}/timeline").json()["items"]
        if i.get("type") == "incident.action_done"
    ]
    assert [(d["details"]["code"], d["details"]["automatic"]) for d in done] == [
        ("dispatch_first_response", True)
    ]
    # A second team changes nothing on the checklist.
    send(client, incident_id, team(client, "东路消防队", C, ["hazmat"]))
    assert checklist(client, incident_id)["dispatch_first_response"]["done_at"] == first["done_at"]


def test_teams_sent_before_the_level_was_set_count_as_the_first_dispatch(
    client: TestClient, grid: None, clock: FrozenClock
) -> None:
    plan(client, [HAZMAT], actions=ACTIONS, level="II")
    incident_id = incident(client, SCENE)
    send(client, incident_id, team(client, "西路危化队", A, ["hazmat"]))
    clock.advance(timedelta(minutes=10))
    version = client.get(f"/api/v1/incidents/{incident_id}").json()["properties"]["version"]
    client.patch(f"/api/v1/incidents/{incident_id}", json={"response_level": "II", "version": version})
    items = checklist(client, incident_id)
    assert items["dispatch_first_response"]["status"] == "done"
    assert items["notify_leader"]["status"] == "open"


# --- the timeline ------------------------------------------------------------------------


def test_the_timeline_shows_everything_that_happened_to_the_incident(
    client: TestClient, grid: None, clock: FrozenClock
) -> None:
    catalogue(client)
    depot(client, "东路储备库", (118.938, 25.1001), {"foam": 20})
    plan(client, [HAZMAT], actions=ACTIONS, level="IV")
    plan(client, [HAZMAT], actions=ACTIONS, level="II")
    incident_id = incident(client, SCENE, response_level="IV")
    url = f"/api/v1/incidents/{incident_id}"
    other = incident(client, (118.92, 25.10))  # its doings stay off this timeline

    def later() -> None:
        clock.advance(timedelta(minutes=1))

    later()
    assignment = send(client, incident_id, team(client, "西路危化队", A, ["hazmat"]))
    send(client, other, team(client, "东路消防队", C, ["hazmat"]))
    later()
    step(client, incident_id, assignment, "en_route")
    later()
    request = client.post(
        f"{url}/material-requests",
        json={"items": [{"material": "foam", "quantity": 30}], "requested_by": "王队长"},
    ).json()
    later()
    client.post(
        f"{url}/material-allocations/{request['allocations'][0]['id']}/status", json={"status": "dispatched"}
    )
    later()
    zone = [[118.935, 25.098], [118.942, 25.098], [118.942, 25.104], [118.935, 25.104], [118.935, 25.098]]
    closed = client.post(
        "/api/v1/closures",
        json={
            "kind": "danger_zone",
            "area": {"type": "Polygon", "coordinates": [zone]},
            "reason": "氯气扩散",
            "incident_id": incident_id,
        },
    )
    assert closed.status_code == 201, closed.text
    later()
    staged = client.post(f"{url}/staging", json={"closure_id": closed.json()["id"], "wind_from_deg": 270})
    assert staged.status_code == 200, staged.text
    later()
    notify = checklist(client, incident_id)["notify_leader"]
    client.post(f"{url}/checklist/{notify['id']}/done", json={"by": OFFICER})
    later()
    version = client.get(url).json()["properties"]["version"]
    client.patch(url, json={"response_level": "II", "version": version})
    later()
    client.post(f"{url}/timeline", json={"text": "风向转为东北", "author": OFFICER})

    items = client.get(f"{url}/timeline").json()["items"]
    assert [i.get("type") or i["kind"] for i in items] == [
        "incident.created",
        "incident.checklist_opened",
        "assignment.created",
        "incident.action_done",  # the first dispatch ticks the plan's action
        "assignment.status_changed",
        "material_request.created",
        "material_request.allocation_dispatched",
        "closure.created",
        "assignment.rerouted",  # the team on its way, around the new zone
        "incident.staging_proposed",
        "incident.action_done",
        "incident.updated",
        "note",
    ]
    by_type = {i.get("type") or i["kind"]: i for i in items}
    assert by_type["assignment.created"]["details"]["team_name"] == "西路危化队"
    assert (
        by_type["assignment.status_changed"]["details"].items()
        >= {"from": "dispatched", "to": "en_route"}.items()
    )
    asked = by_type["material_request.created"]
    assert asked["details"]["items"] == [{"material": "foam", "quantity": 30, "unit": "t", "shortage": 10}]
    assert asked["author"] == "王队长"
    sent = by_type["material_request.allocation_dispatched"]["details"]
    assert (sent["depot_name"], sent["quantity"], sent["to"]) == ("东路储备库", 20, "dispatched")
    assert by_type["closure.created"]["details"] == {"kind": "danger_zone", "reason": "氯气扩散"}
    assert by_type["incident.updated"]["details"]["changes"] == {"response_level": {"from": "IV", "to": "II"}}
    assert by_type["incident.updated"]["text"] == "edited: response_level: IV → II"
    assert items[-1]["text"] == "风向转为东北"
    assert [i["at"] for i in items] == sorted(i["at"] for i in items)
