"""Field units reporting positions: one at a time or a fleet gateway's batch; stale reports ignored,
never applied backwards; one `team.moved` event per team moved; bad input refused whole."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from commandpost.clock import FrozenClock
from commandpost.events.models import Event

TEAMS = "/api/v1/teams"


def team(client: TestClient, ref: str, lon: float = 118.90) -> dict[str, Any]:
    body = {
        "ref": ref,
        "name": f"救援队 {ref}",
        "kind": "fire_rescue",
        "tier": "district",
        "headcount": 20,
        "base": {"type": "Point", "coordinates": [lon, 25.10]},
    }
    response = client.post(TEAMS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def moved_events(engine: Engine) -> list[Event]:
    with Session(engine) as session:
        return list(session.scalars(select(Event).where(Event.type == "team.moved").order_by(Event.id)))


def where(client: TestClient, team_id: int) -> tuple[list[float], str | None]:
    feature = client.get(f"{TEAMS}/{team_id}").json()
    return feature["geometry"]["coordinates"], feature["properties"]["position_at"]


def test_a_unit_reports_its_position(client: TestClient, engine: Engine, clock: FrozenClock) -> None:
    t = team(client, "T1")
    report = {"lon": 118.95, "lat": 25.15, "at": "2026-11-22T09:59:58+08:00", "heading": 270, "speed": 48.5}
    response = client.post(f"{TEAMS}/{t['id']}/position", json=report)
    assert response.status_code == 200, response.text
    assert response.headers["Position-Applied"] == "true"
    feature = response.json()
    assert feature["geometry"] == {"type": "Point", "coordinates": [118.95, 25.15]}
    assert feature["properties"]["position_at"] == "2026-11-22T01:59:58+00:00"
    # Telemetry does not bump the version: a dispatcher's edit is not refused because the unit moved.
    assert response.headers["ETag"] == '"1"'
    assert feature["properties"]["base"] == [118.90, 25.10]
    assert where(client, t["id"]) == ([118.95, 25.15], "2026-11-22T01:59:58+00:00")
    (event,) = moved_events(engine)
    assert (event.entity_type, event.entity_id) == ("team", t["id"])
    assert event.payload["feature"]["geometry"]["coordinates"] == [118.95, 25.15]
    assert (event.payload["heading"], event.payload["speed"]) == (270, 48.5)
    assert event.payload["at"] == "2026-11-22T01:59:58+00:00"
    # Without `at`, the fix is stamped when received.
    client.post(f"{TEAMS}/{t['id']}/position", json={"lon": 118.96, "lat": 25.16})
    assert where(client, t["id"]) == ([118.96, 25.16], clock.now().isoformat())


def test_a_stale_report_is_ignored_never_applied_backwards(client: TestClient, engine: Engine) -> None:
    t = team(client, "T1")
    url = f"{TEAMS}/{t['id']}/position"
    assert (
        client.post(url, json={"lon": 118.95, "lat": 25.15, "at": "2026-11-22T01:59:50Z"}).status_code == 200
    )
    for at in ("2026-11-22T01:59:40Z", "2026-11-22T01:59:50Z"):  # older, and the same fix again
        late = client.post(url, json={"lon": 118.10, "lat": 25.01, "at": at})
        assert late.status_code == 200
        assert late.headers["Position-Applied"] == "false"
        assert late.json()["geometry"]["coordinates"] == [118.95, 25.15]
    assert where(client, t["id"]) == ([118.95, 25.15], "2026-11-22T01:59:50+00:00")
    assert len(moved_events(engine)) == 1


def test_a_fleet_gateway_reports_many_units_at_once(client: TestClient, engine: Engine) -> None:
    ids = [team(client, f"T{i}", lon=118.80 + i / 100)["id"] for i in range(5)]
    first = client.post(
        f"{TEAMS}/{ids[4]}/position", json={"lon": 118.99, "lat": 25.2, "at": "2026-11-22T01:59:59Z"}
    )
    assert first.status_code == 200
    batch = [
        {"team": ids[0], "lon": 118.91, "lat": 25.11, "at": "2026-11-22T01:59:30Z"},
        {"team": "T1", "lon": 118.92, "lat": 25.12, "heading": 90, "speed": 30},
        {"team": ids[2], "lon": 118.93, "lat": 25.13, "at": "2026-11-22T01:59:40Z"},
        {"team": "T2", "lon": 118.94, "lat": 25.14, "at": "2026-11-22T01:59:35Z"},  # older than the one above
        {"team": ids[4], "lon": 118.10, "lat": 25.01, "at": "2026-11-22T01:59:00Z"},  # stale
    ]
    response = client.post(f"{TEAMS}/positions", json={"positions": batch})
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["received"], result["moved"]) == (5, 3)
    assert [(i["index"], i["team"]) for i in result["ignored"]] == [(3, ids[2]), (4, ids[4])]
    assert result["ignored"][1]["reason"].startswith("stale")
    assert where(client, ids[0])[0] == [118.91, 25.11]
    assert where(client, ids[1])[0] == [118.92, 25.12]
    assert where(client, ids[2]) == ([118.93, 25.13], "2026-11-22T01:59:40+00:00")
    assert where(client, ids[3])[0] == [118.83, 25.10]  # never reported: still at its base
    assert where(client, ids[4])[0] == [118.99, 25.2]
    events = moved_events(engine)
    assert sorted(e.entity_id or 0 for e in events[1:]) == ids[:3]
    by_team = {e.entity_id: e.payload for e in events[1:]}
    assert by_team[ids[1]]["feature"]["geometry"]["coordinates"] == [118.92, 25.12]
    assert (by_team[ids[1]]["heading"], by_team[ids[1]]["speed"]) == (90, 30)
    assert "heading" not in by_team[ids[0]]


BAD_BATCH_ENTRIES = [
    ({"team": "NOPE", "lon": 118.9, "lat": 25.1}, "positions.1.team", "does not exist"),
    ({"team": 999, "lon": 118.9, "lat": 25.1}, "positions.1.team", "team 999"),
    ({"team": "T1", "lon": 200, "lat": 25.1}, "positions.1.lon", "less than or equal to 180"),
    ({"team": "T1", "lon": 118.9, "lat": -91}, "positions.1.lat", "greater than or equal to -90"),
    ({"team": "T1", "lon": 118.9, "lat": 25.1, "heading": 360}, "positions.1.heading", "less than 360"),
    ({"team": "T1", "lon": 118.9, "lat": 25.1, "speed": -1}, "positions.1.speed", ""),
    ({"team": "T1", "lon": 118.9, "lat": 25.1, "at": "2026-11-22T10:00:00"}, "positions.1.at", "timezone"),
    ({"team": "T1", "lon": 118.9, "lat": 25.1, "at": "2026-11-22T03:00:00Z"}, "positions.1.at", "future"),
    ({"team": "T1", "lat": 25.1}, "positions.1.lon", "Field required"),
]


@pytest.mark.parametrize(("bad", "field", "said"), BAD_BATCH_ENTRIES)
def test_a_bad_entry_refuses_the_whole_batch_naming_it(
    client: TestClient, engine: Engine, bad: dict[str, Any], field: str, said: str
) -> None:
    t = team(client, "T1")
    good = {"team": t["id"], "lon": 118.95, "lat": 25.15}
    response = client.post(f"{TEAMS}/positions", json={"positions": [good, bad]})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field
    assert said in response.json()["detail"]
    assert where(client, t["id"]) == ([118.90, 25.10], None)
    assert moved_events(engine) == []


def test_a_bad_single_report_is_refused(client: TestClient, clock: FrozenClock) -> None:
    t = team(client, "T1")
    url = f"{TEAMS}/{t['id']}/position"
    ahead = (clock.now() + timedelta(minutes=6)).isoformat()
    for body, field in [
        ({"lon": 118.9, "lat": 95}, "lat"),
        ({"lon": 118.9, "lat": 25.1, "at": ahead}, "at"),
        ({"lon": 118.9, "lat": 25.1, "team": 3}, "team"),
    ]:
        response = client.post(url, json=body)
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field
    assert client.post(f"{TEAMS}/999/position", json={"lon": 118.9, "lat": 25.1}).status_code == 404
    # A little ahead (a unit's clock a minute fast) is accepted.
    soon = (clock.now() + timedelta(minutes=1)).isoformat()
    assert client.post(url, json={"lon": 118.9, "lat": 25.1, "at": soon}).status_code == 200


def test_status_rules_still_apply_to_a_moving_team(client: TestClient) -> None:
    t = team(client, "T1")
    client.post(f"{TEAMS}/{t['id']}/position", json={"lon": 118.95, "lat": 25.15})
    on_scene = client.post(f"{TEAMS}/{t['id']}/status", json={"status": "on_scene", "version": 1})
    assert on_scene.status_code == 409 and on_scene.json()["field"] == "status"
    dispatched = client.post(f"{TEAMS}/{t['id']}/status", json={"status": "dispatched", "version": 1})
    assert dispatched.status_code == 200, dispatched.text
    assert dispatched.json()["geometry"]["coordinates"] == [118.95, 25.15]
