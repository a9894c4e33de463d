"""Incidents over HTTP: reporting, the layer, edits under versions, the status flow, the timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commandpost import geo
from commandpost.clock import FrozenClock
from commandpost.events import service as events
from commandpost.events.models import Event
from commandpost.hazards.models import HazardSource
from commandpost.incidents import service as incidents
from commandpost.incidents.schemas import IncidentCreate

LEAK: dict[str, Any] = {
    "type": "leak",
    "title": "储罐区苯乙烯泄漏",
    "location": {"type": "Point", "coordinates": [118.93, 25.13]},
    "response_level": "III",
    "reported_by": "值班员 林晓",
}


def report(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/incidents", json={**LEAK, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def hazard_source(session: Session) -> int:
    source = HazardSource(
        enterprise="泉港石化",
        name="苯乙烯储罐区",
        site=geo.to_db(geo.point(118.93, 25.13)),
        updated_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    session.add(source)
    session.commit()
    return source.id


def test_reported_incident_appears_on_the_layer_stamped_with_the_clock(
    client: TestClient, clock: FrozenClock
) -> None:
    response = client.post("/api/v1/incidents", json=LEAK)
    assert response.status_code == 201
    incident = response.json()
    assert response.headers["Location"] == f"/api/v1/incidents/{incident['id']}"
    props = incident["properties"]
    assert props["status"] == "reported"
    assert props["reported_at"] == clock.now().isoformat()
    assert props["confirmed_at"] is None
    layer = client.get("/api/v1/incidents").json()
    assert layer["numberMatched"] == 1
    assert layer["features"][0]["geometry"] == {"type": "Point", "coordinates": [118.93, 25.13]}


def test_layer_filters_by_box_status_and_type_newest_first(client: TestClient, clock: FrozenClock) -> None:
    leak = report(client, title="leak")
    clock.advance(timedelta(minutes=5))
    fire = report(client, type="fire", title="fire")
    clock.advance(timedelta(minutes=5))
    report(client, type="fire", title="far fire", location={"type": "Point", "coordinates": [119.6, 25.6]})
    client.post(f"/api/v1/incidents/{fire['id']}/status", json={"status": "confirmed"})

    def titles(**params: Any) -> list[str]:
        return [
            f["properties"]["title"]
            for f in client.get("/api/v1/incidents", params=params).json()["features"]
        ]

    assert titles() == ["far fire", "fire", "leak"]
    assert titles(bbox="118.8,25.0,119.0,25.2") == ["fire", "leak"]
    assert titles(type="fire") == ["far fire", "fire"]
    assert titles(status="confirmed") == ["fire"]
    assert titles(status="reported", type="leak") == [leak["properties"]["title"]]


def test_drill_incidents_stay_off_the_live_layer(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    report(client, title="live")
    scenario = (
        'format: commandpost-scenario/1\nid: tiny\ntitle: t\nsetting: {start: "2026-11-22T10:00:00+08:00"}\n'
        "injects: [{at: 0, kind: wind, wind_from_deg: 90}]\n"
    )
    exercise_id = client.post("/api/v1/exercises", json={"scenario": scenario}).json()["id"]
    incidents.create(
        session,
        data=IncidentCreate.model_validate({**LEAK, "title": "drill"}),
        clock=clock,
        exercise_id=exercise_id,
    )
    session.commit()
    assert [f["properties"]["title"] for f in client.get("/api/v1/incidents").json()["features"]] == ["live"]
    drill = client.get("/api/v1/incidents", params={"exercise_id": exercise_id}).json()
    assert [f["properties"]["title"] for f in drill["features"]] == ["drill"]
    assert drill["features"][0]["properties"]["exercise_id"] == exercise_id


def test_hazard_source_must_exist(client: TestClient, session: Session) -> None:
    missing = client.post("/api/v1/incidents", json={**LEAK, "hazard_source_id": 42})
    assert missing.status_code == 422
    assert missing.json()["field"] == "hazard_source_id"
    assert client.get("/api/v1/incidents").json()["numberMatched"] == 0
    source_id = hazard_source(session)
    incident = report(client, hazard_source_id=source_id)
    assert incident["properties"]["hazard_source_id"] == source_id
    edit = client.patch(f"/api/v1/incidents/{incident['id']}", json={"hazard_source_id": 43, "version": 1})
    assert edit.status_code == 422
    assert edit.json()["field"] == "hazard_source_id"


def test_edits_need_the_current_version(client: TestClient) -> None:
    incident = report(client)
    url = f"/api/v1/incidents/{incident['id']}"
    assert client.patch(url, json={"title": "x"}).status_code == 428
    moved = client.patch(
        url,
        json={"response_level": "II", "location": {"type": "Point", "coordinates": [118.94, 25.14]}},
        headers={"If-Match": '"1"'},
    )
    assert moved.status_code == 200
    assert moved.headers["ETag"] == '"2"'
    assert moved.json()["geometry"]["coordinates"] == [118.94, 25.14]
    stale = client.patch(url, json={"title": "late edit", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["current"]["properties"]["response_level"] == "II"
    assert client.get(url).json()["properties"]["title"] == LEAK["title"]
    cleared = client.patch(url, json={"title": None, "version": 2})
    assert cleared.status_code == 422
    assert cleared.json()["field"] == "title"


def test_status_follows_the_flow_and_stamps_times(client: TestClient, clock: FrozenClock) -> None:
    incident = report(client)
    url = f"/api/v1/incidents/{incident['id']}/status"
    skipped = client.post(url, json={"status": "responding"})
    assert skipped.status_code == 409
    assert skipped.json()["field"] == "status"
    assert "confirmed, closed" in skipped.json()["detail"]

    clock.advance(timedelta(minutes=3))
    confirmed = client.post(url, json={"status": "confirmed", "by": "值班员 林晓"}).json()["properties"]
    assert confirmed["status"] == "confirmed"
    assert confirmed["confirmed_at"] == clock.now().isoformat()
    assert client.post(url, json={"status": "confirmed"}).status_code == 409

    clock.advance(timedelta(minutes=10))
    client.post(url, json={"status": "responding"})
    clock.advance(timedelta(hours=1))
    contained = client.post(url, json={"status": "contained"}).json()["properties"]
    assert contained["contained_at"] == clock.now().isoformat()
    clock.advance(timedelta(minutes=30))
    closed = client.post(url, json={"status": "closed"}).json()["properties"]
    assert closed["closed_at"] == clock.now().isoformat()
    assert closed["confirmed_at"] == confirmed["confirmed_at"]
    for status in ("reported", "responding", "closed"):
        assert client.post(url, json={"status": status}).status_code == 409
    assert client.get(f"/api/v1/incidents/{incident['id']}").json()["properties"]["status"] == "closed"


def test_status_change_with_a_stale_version_is_refused(client: TestClient) -> None:
    incident = report(client)
    url = f"/api/v1/incidents/{incident['id']}"
    client.patch(url, json={"title": "renamed", "version": 1})
    stale = client.post(f"{url}/status", json={"status": "confirmed", "version": 1})
    assert stale.status_code == 409
    assert client.get(url).json()["properties"]["status"] == "reported"


def test_timeline_merges_notes_status_lines_and_events_oldest_first(
    client: TestClient, clock: FrozenClock
) -> None:
    incident = report(client)
    url = f"/api/v1/incidents/{incident['id']}"
    clock.advance(timedelta(minutes=1))
    note = client.post(f"{url}/timeline", json={"text": "消防队已出发", "author": "调度员 王强"})
    assert note.status_code == 201
    assert note.json()["kind"] == "note"
    clock.advance(timedelta(minutes=1))
    client.post(f"{url}/status", json={"status": "confirmed", "by": "值班员 林晓"})
    clock.advance(timedelta(minutes=1))
    client.patch(url, json={"response_level": "II", "version": 2})

    items = client.get(f"{url}/timeline").json()["items"]
    assert [(i["kind"], i["author"]) for i in items] == [
        ("event", "值班员 林晓"),
        ("note", "调度员 王强"),
        ("status", "值班员 林晓"),
        ("event", None),
    ]
    assert items[0]["text"] == f"reported: {LEAK['title']}"
    assert items[1]["text"] == "消防队已出发"
    assert items[2]["text"] == "status: reported → confirmed"
    # A level change shows what it was and what it became.
    assert items[3]["text"] == "edited: response_level: III → II"
    assert items[3]["details"]["changes"] == {"response_level": {"from": "III", "to": "II"}}
    assert [i["at"] for i in items] == sorted(i["at"] for i in items)
    # The single incident carries the same timeline.
    assert client.get(url).json()["properties"]["timeline"] == items


def test_every_change_is_an_event_with_its_actor(client: TestClient, session: Session) -> None:
    incident = report(client)
    url = f"/api/v1/incidents/{incident['id']}"
    client.post(f"{url}/status", json={"status": "confirmed", "by": "值班员 林晓"})
    client.post(f"{url}/timeline", json={"text": "note", "author": "调度员 王强"})
    client.patch(url, json={"title": "renamed", "version": 2})
    logged = events.for_entity(session, entity_type="incident", entity_id=incident["id"])
    assert [(e.type, e.actor) for e in logged] == [
        ("incident.created", "值班员 林晓"),
        ("incident.status_changed", "值班员 林晓"),
        ("incident.note_added", "调度员 王强"),
        ("incident.updated", None),
    ]
    assert logged[1].payload["from"] == "reported" and logged[1].payload["to"] == "confirmed"


def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(
    client: TestClient, session: Session
) -> None:
    cases = [
        ({**LEAK, "location": {"type": "Point", "coordinates": [200, 25]}}, "location"),
        (
            {**LEAK, "location": {"type": "LineString", "coordinates": [[118.9, 25.1], [118.95, 25.1]]}},
            "location",
        ),
        ({**LEAK, "type": "meteor"}, "type"),
        ({**LEAK, "response_level": "V"}, "response_level"),
        ({**LEAK, "title": ""}, "title"),
        ({**LEAK, "status": "closed"}, "status"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/incidents", json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["field"].startswith(field), response.json()
    malformed = client.post(
        "/api/v1/incidents", content=b'{"type": ', headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/incidents").json()["numberMatched"] == 0
    assert session.scalar(select(func.count()).select_from(Event)) == 0

    incident = report(client)
    url = f"/api/v1/incidents/{incident['id']}"
    bad_status = client.post(f"{url}/status", json={"status": "finished"})
    assert bad_status.status_code == 422 and bad_status.json()["field"] == "status"
    empty_note = client.post(f"{url}/timeline", json={"text": "  "})
    assert empty_note.status_code == 422 and empty_note.json()["field"] == "text"
    assert client.get(f"{url}/timeline").json()["items"][-1]["kind"] == "event"


def test_unknown_incident_is_404(client: TestClient) -> None:
    for response in (
        client.get("/api/v1/incidents/999"),
        client.get("/api/v1/incidents/999/timeline"),
        client.post("/api/v1/incidents/999/timeline", json={"text": "x"}),
        client.post("/api/v1/incidents/999/status", json={"status": "confirmed"}),
    ):
        assert response.status_code == 404
        assert response.json()["detail"] == "incident 999 does not exist"
