"""Use cases run without HTTP, as the CLI, a drill runner or an import runs them: a closure made
in a service re-routes the teams on their way, an incident reported or escalated in a service
opens its plan's checklist, and a refused step leaves the caller's other work in its transaction."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import LineString
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from commandpost import idempotency
from commandpost.clock import FrozenClock
from commandpost.dispatch.models import Assignment, ChecklistItem
from commandpost.errors import StaleVersion
from commandpost.events.models import Event
from commandpost.incidents import flows as incident_flows
from commandpost.incidents import service as incidents
from commandpost.incidents.models import Incident
from commandpost.incidents.schemas import IncidentCreate, IncidentUpdate
from commandpost.routing import flows as routing_flows
from commandpost.routing.schemas import ClosureCreate
from commandpost.routing.service import Router
from dispatch_support import B, C, incident, load_grid, plan, segment_id, team

SCENE = (118.939, 25.1003)  # on 南路, just west of C
LEAK = {"type": "leak", "title": "丙烯泄漏", "location": {"type": "Point", "coordinates": list(SCENE)}}
ACTIONS = [
    {"code": "notify_leader", "action": "报告带班领导", "role": "duty_officer", "within_minutes": 5},
]
HQ = {"code": "activate_hq", "action": "启动现场指挥部", "role": "leader_on_duty", "within_minutes": 30}


@pytest.fixture
def grid(sessions: sessionmaker[Session], clock: FrozenClock) -> None:
    load_grid(sessions, clock)


def test_a_closure_made_outside_the_api_reroutes_the_teams_on_their_way(
    client: TestClient, grid: None, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    unit = team(client, "西路危化队", (118.901, 25.1001), ["hazmat"])
    incident_id = incident(client, SCENE)
    sent = client.post(f"/api/v1/incidents/{incident_id}/assignments", json={"team_id": unit}).json()
    router = Router()
    with sessions() as session:
        data = ClosureCreate(kind="road", segment_id=segment_id(session, B, C), created_by="演练脚本")
        closure, rerouted = routing_flows.close(session, data=data, router=router, clock=clock)
        session.commit()
    assert rerouted == [sent["id"]]
    with sessions() as session:
        moved = session.get(Assignment, sent["id"])
        assert moved is not None and moved.eta_s is not None
        assert moved.eta_s > sent["properties"]["eta_s"] + 60
        shown = client.get(f"/api/v1/incidents/{incident_id}/assignments/{sent['id']}").json()
        assert not LineString(shown["geometry"]["coordinates"]).intersects(
            LineString([(118.921, 25.1), (118.938, 25.1)])
        )
        event = session.scalars(select(Event).where(Event.type == "assignment.rerouted")).one()
        assert event.payload["reason"] == f"closure {closure.id}" and event.actor == "演练脚本"

    with sessions() as session:
        lifted, back = routing_flows.lift(session, closure_id=closure.id, router=router, clock=clock)
        session.commit()
    assert not lifted.active and back == [sent["id"]]
    with sessions() as session:
        again, none = routing_flows.lift(session, closure_id=closure.id, router=router, clock=clock)
    assert not again.active and none == []


def test_an_incident_reported_and_escalated_outside_the_api_opens_its_checklist(
    client: TestClient, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    plan(client, [], actions=ACTIONS, level="IV")
    plan(client, [], actions=[*ACTIONS, HQ], level="II")
    with sessions() as session:
        reported = incident_flows.report(
            session, data=IncidentCreate.model_validate({**LEAK, "response_level": "IV"}), clock=clock
        )
        retitled = incident_flows.edit(
            session,
            incident_id=reported.id,
            changes=IncidentUpdate.model_validate({"title": "丙烯储罐泄漏"}),
            expected_version=reported.version,
            clock=clock,
        )
        incident_flows.edit(
            session,
            incident_id=reported.id,
            changes=IncidentUpdate.model_validate({"response_level": "II"}),
            expected_version=retitled.version,
            clock=clock,
        )
        session.commit()
        codes = session.scalars(
            select(ChecklistItem.code)
            .where(ChecklistItem.incident_id == reported.id)
            .order_by(ChecklistItem.id)
        ).all()
        opened = session.scalars(
            select(Event).where(Event.type == "incident.checklist_opened", Event.entity_id == reported.id)
        ).all()
    assert list(codes) == ["notify_leader", "activate_hq"]
    assert len(opened) == 2


def test_a_refused_edit_leaves_the_callers_other_work_in_its_transaction(
    sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    with sessions() as session:
        first = incidents.create(session, data=IncidentCreate.model_validate(LEAK), clock=clock)
        session.commit()
    with sessions() as mine:
        read = incidents.get(mine, incident_id=first.id)
        mine.commit()  # what I read stays in memory, as an editor's screen does
        with sessions() as theirs:
            incidents.update(
                theirs,
                incident_id=first.id,
                changes=IncidentUpdate.model_validate({"title": "他们改的"}),
                expected_version=read.version,
                clock=clock,
            )
            theirs.commit()
        second = incidents.create(
            mine, data=IncidentCreate.model_validate({**LEAK, "title": "second"}), clock=clock
        )
        with pytest.raises(StaleVersion):
            incidents.update(
                mine,
                incident_id=first.id,
                changes=IncidentUpdate.model_validate({"title": "我改的"}),
                expected_version=read.version,
                clock=clock,
            )
        mine.commit()
        second_id = second.id
    with sessions() as session:
        titles = {row.id: row.title for row in session.execute(select(Incident.id, Incident.title))}
    assert titles == {first.id: "他们改的", second_id: "second"}


def test_a_command_repeated_with_its_key_outside_the_api_runs_once(
    sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    def report() -> idempotency.Outcome:
        with_level = incident_flows.report(session, data=IncidentCreate.model_validate(LEAK), clock=clock)
        return 201, {"id": with_level.id}, None

    outcomes = []
    for _ in range(2):  # an import re-run after a crash sends the same rows again
        with sessions() as session:
            outcomes.append(
                idempotency.run_once(
                    session,
                    key="import-2026-11-22-row-7",
                    scope="import incidents",
                    body=LEAK,
                    clock=clock,
                    command=report,
                )
            )
            session.commit()
    (first, replayed_first), (second, replayed_second) = outcomes
    assert (replayed_first, replayed_second) == (False, True)
    assert second == first
    with sessions() as session:
        assert session.scalars(select(Incident.id)).all() == [first[1]["id"]]
