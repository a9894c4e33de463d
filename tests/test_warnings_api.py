"""Early warnings over HTTP: issuing, the layer order, acknowledge, clear, escalate, open an incident."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commandpost.clock import FrozenClock
from commandpost.events import service as events
from commandpost.events.models import Event

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[118.92, 25.12], [118.94, 25.12], [118.94, 25.14], [118.92, 25.14], [118.92, 25.12]]],
}
GAS: dict[str, Any] = {
    "level": "yellow",
    "title": "园区东侧可燃气体浓度升高",
    "description": "多点超过 25% LEL",
    "area": SQUARE,
    "issued_by": "值班员 林晓",
}


def issue(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/warnings", json={**GAS, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def titles(client: TestClient, **params: Any) -> list[str]:
    layer = client.get("/api/v1/warnings", params=params).json()
    return [f["properties"]["title"] for f in layer["features"]]


def act(client: TestClient, warning: dict[str, Any], action: str, **body: Any) -> Any:
    return client.post(f"/api/v1/warnings/{warning['id']}/{action}", json={"by": "值班员 林晓", **body})


def test_manual_warning_is_active_on_the_layer(client: TestClient, clock: FrozenClock) -> None:
    response = client.post("/api/v1/warnings", json=GAS)
    assert response.status_code == 201
    warning = response.json()
    assert response.headers["Location"] == f"/api/v1/warnings/{warning['id']}"
    props = warning["properties"]
    assert (props["status"], props["source"], props["level"]) == ("active", "manual", "yellow")
    assert props["issued_at"] == clock.now().isoformat()
    assert props["issued_by"] == "值班员 林晓"
    feature = client.get(f"/api/v1/warnings/{warning['id']}").json()
    assert feature["geometry"] == SQUARE
    point = issue(client, title="point", area={"type": "Point", "coordinates": [118.95, 25.15]})
    assert point["geometry"] == {"type": "Point", "coordinates": [118.95, 25.15]}


def test_layer_shows_most_severe_first_then_newest(client: TestClient, clock: FrozenClock) -> None:
    issue(client, level="yellow", title="old yellow")
    clock.advance(timedelta(minutes=1))
    issue(client, level="red", title="red")
    clock.advance(timedelta(minutes=1))
    issue(client, level="blue", title="blue")
    clock.advance(timedelta(minutes=1))
    issue(client, level="yellow", title="new yellow")
    clock.advance(timedelta(minutes=1))
    issue(client, level="orange", title="orange")
    assert titles(client) == ["red", "orange", "new yellow", "old yellow", "blue"]
    page = client.get("/api/v1/warnings", params={"limit": 2, "offset": 2}).json()
    assert page["numberMatched"] == 5
    assert [f["properties"]["title"] for f in page["features"]] == ["new yellow", "old yellow"]


def test_layer_keeps_warnings_in_force_unless_a_status_is_asked(client: TestClient) -> None:
    issue(client, title="active")
    acknowledged = issue(client, title="acknowledged")
    cleared = issue(client, title="cleared")
    act(client, acknowledged, "acknowledge")
    act(client, cleared, "clear")
    assert sorted(titles(client)) == ["acknowledged", "active"]
    assert titles(client, status="cleared") == ["cleared"]
    assert titles(client, status="acknowledged") == ["acknowledged"]


def test_bbox_keeps_warnings_whose_area_meets_the_box(client: TestClient) -> None:
    issue(client, title="square")
    issue(client, title="far", area={"type": "Point", "coordinates": [119.6, 25.6]})
    assert titles(client, bbox="118.935,25.135,118.99,25.19") == ["square"]
    assert titles(client, bbox="119.5,25.5,119.7,25.7") == ["far"]


def test_acknowledge_then_clear_and_nothing_after(client: TestClient, clock: FrozenClock) -> None:
    warning = issue(client)
    clock.advance(timedelta(minutes=2))
    acknowledged = act(client, warning, "acknowledge", by="值班员 张伟")
    assert acknowledged.status_code == 200
    props = acknowledged.json()["properties"]
    assert (props["status"], props["acknowledged_by"]) == ("acknowledged", "值班员 张伟")
    assert props["acknowledged_at"] == clock.now().isoformat()

    again = act(client, warning, "acknowledge")
    assert again.status_code == 409
    assert "值班员 张伟" in again.json()["detail"]

    clock.advance(timedelta(minutes=30))
    cleared = act(client, warning, "clear").json()["properties"]
    assert (cleared["status"], cleared["cleared_by"]) == ("cleared", "值班员 林晓")
    assert cleared["cleared_at"] == clock.now().isoformat()
    for action, body in (("acknowledge", {}), ("clear", {}), ("escalate", {"to_level": "red"})):
        refused = act(client, warning, action, **body)
        assert refused.status_code == 409, action
        assert refused.headers["content-type"] == "application/problem+json"
    assert client.get(f"/api/v1/warnings/{warning['id']}").json()["properties"]["status"] == "cleared"


def test_an_active_warning_can_be_cleared_directly(client: TestClient) -> None:
    warning = issue(client)
    assert act(client, warning, "clear").json()["properties"]["status"] == "cleared"


def test_escalation_only_goes_up_and_asks_for_acknowledgement_again(client: TestClient) -> None:
    warning = issue(client, level="orange")
    act(client, warning, "acknowledge")
    for level in ("blue", "yellow", "orange"):
        refused = act(client, warning, "escalate", to_level=level)
        assert refused.status_code == 409, level
        assert refused.json()["field"] == "to_level"
    raised = act(client, warning, "escalate", to_level="red", by="带班领导 陈军")
    assert raised.status_code == 200
    props = raised.json()["properties"]
    assert (props["level"], props["status"], props["acknowledged_by"]) == ("red", "active", None)
    assert act(client, warning, "escalate", to_level="red").status_code == 409


def test_opening_an_incident_from_a_warning(client: TestClient, clock: FrozenClock) -> None:
    warning = issue(client)
    clock.advance(timedelta(minutes=5))
    response = act(client, warning, "incident", type="leak", by="值班员 张伟")
    assert response.status_code == 201
    incident = response.json()
    assert response.headers["Location"] == f"/api/v1/incidents/{incident['id']}"
    lon, lat = incident["geometry"]["coordinates"]
    assert abs(lon - 118.93) < 1e-9 and abs(lat - 25.13) < 1e-9
    props = incident["properties"]
    assert props["title"] == GAS["title"]
    assert (props["status"], props["reported_by"], props["type"]) == ("reported", "值班员 张伟", "leak")
    assert props["reported_at"] == clock.now().isoformat()
    assert any(line["kind"] == "warning" for line in props["timeline"])

    linked = client.get(f"/api/v1/warnings/{warning['id']}").json()["properties"]
    assert linked["incident_id"] == incident["id"]
    assert (linked["status"], linked["acknowledged_by"]) == ("acknowledged", "值班员 张伟")
    assert client.get("/api/v1/incidents").json()["numberMatched"] == 1

    twice = act(client, warning, "incident", type="leak")
    assert twice.status_code == 409
    assert client.get("/api/v1/incidents").json()["numberMatched"] == 1


def test_incident_title_can_be_given(client: TestClient) -> None:
    warning = issue(client, area={"type": "Point", "coordinates": [118.95, 25.15]})
    incident = act(client, warning, "incident", type="fire", title="3号罐区起火").json()
    assert incident["properties"]["title"] == "3号罐区起火"
    assert incident["geometry"]["coordinates"] == [118.95, 25.15]


def test_each_action_is_an_event_naming_who_did_it(client: TestClient, session: Session) -> None:
    warning = issue(client, level="blue")
    act(client, warning, "escalate", to_level="yellow", by="A")
    act(client, warning, "acknowledge", by="B")
    act(client, warning, "incident", type="leak", by="C")
    act(client, warning, "clear", by="D")
    logged = events.for_entity(session, entity_type="warning", entity_id=warning["id"])
    assert [(e.type, e.actor) for e in logged] == [
        ("warning.issued", "值班员 林晓"),
        ("warning.escalated", "A"),
        ("warning.acknowledged", "B"),
        ("warning.incident_opened", "C"),
        ("warning.cleared", "D"),
    ]
    assert logged[1].payload["from"] == "blue" and logged[1].payload["to"] == "yellow"


def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(
    client: TestClient, session: Session
) -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    cases = [
        ({**GAS, "area": {"type": "Point", "coordinates": [200, 25]}}, "area"),
        ({**GAS, "area": bowtie}, "area"),
        ({**GAS, "area": {"type": "LineString", "coordinates": [[118.9, 25.1], [118.95, 25.1]]}}, "area"),
        ({**GAS, "level": "purple"}, "level"),
        ({**GAS, "source": "sensor"}, "source"),
        ({k: v for k, v in GAS.items() if k != "issued_by"}, "issued_by"),
        ({**GAS, "hazard_source_id": 9}, "hazard_source_id"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/warnings", json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["field"].startswith(field), response.json()
    malformed = client.post(
        "/api/v1/warnings", content=b'{"level": ', headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert titles(client, status="active") == []
    assert session.scalar(select(func.count()).select_from(Event)) == 0

    warning = issue(client)
    no_one = client.post(f"/api/v1/warnings/{warning['id']}/acknowledge", json={})
    assert no_one.status_code == 422 and no_one.json()["field"] == "by"
    bad_level = act(client, warning, "escalate", to_level="crimson")
    assert bad_level.status_code == 422 and bad_level.json()["field"] == "to_level"
    bad_type = act(client, warning, "incident", type="meteor")
    assert bad_type.status_code == 422 and bad_type.json()["field"] == "type"
    assert client.get(f"/api/v1/warnings/{warning['id']}").json()["properties"]["version"] == 1
    assert client.get("/api/v1/incidents").json()["numberMatched"] == 0


def test_unknown_warning_is_404(client: TestClient) -> None:
    assert client.get("/api/v1/warnings/999").status_code == 404
    response = client.post("/api/v1/warnings/999/acknowledge", json={"by": "x"})
    assert response.status_code == 404
    assert response.json()["detail"] == "warning 999 does not exist"
