"""The expert pool and the duty roster over HTTP, and who is on duty at a shift boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commandpost.clock import FrozenClock
from commandpost.duty import service as duty
from commandpost.duty.models import DutyRole
from commandpost.events.models import Event

CHEMIST: dict[str, Any] = {
    "name": "陈建华",
    "specialty": "危险化学品",
    "fields": ["氯气", "液化石油气"],
    "organisation": "福建省安全生产专家组",
    "phone": "13800000000",
}


def add_expert(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/experts", json={**CHEMIST, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def test_experts_are_listed_and_filtered_by_specialty(client: TestClient) -> None:
    chemist = add_expert(client)
    add_expert(client, name="黄明", specialty="消防")
    add_expert(client, name="吴芳", specialty="危险化学品")
    listing = client.get("/api/v1/experts").json()
    assert listing["numberMatched"] == 3
    assert "type" not in listing and listing["items"][0]["name"]
    chemists = client.get("/api/v1/experts", params={"specialty": "危险化学品"}).json()
    assert sorted(e["name"] for e in chemists["items"]) == ["吴芳", "陈建华"]
    page = client.get("/api/v1/experts", params={"limit": 2}).json()
    assert page["numberReturned"] == 2
    assert any(link["rel"] == "next" for link in page["links"])
    one = client.get(f"/api/v1/experts/{chemist['id']}")
    assert one.json()["fields"] == ["氯气", "液化石油气"]
    assert one.headers["ETag"] == '"1"'


def test_expert_edits_need_the_current_version(client: TestClient) -> None:
    expert = add_expert(client)
    url = f"/api/v1/experts/{expert['id']}"
    assert client.patch(url, json={"phone": "139"}).status_code == 428
    edited = client.patch(url, json={"phone": "13900000000", "fields": ["氯气"]}, headers={"If-Match": '"1"'})
    assert edited.status_code == 200
    assert edited.json()["fields"] == ["氯气"]
    stale = client.patch(url, json={"phone": "137", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["current"]["phone"] == "13900000000"
    removed = client.patch(url, json={"specialty": None, "version": 2})
    assert removed.status_code == 422 and removed.json()["field"] == "specialty"


def test_an_expert_ref_names_one_expert(client: TestClient) -> None:
    first = add_expert(client, ref="EXP-001")
    other = add_expert(client, name="黄明", ref="EXP-002")
    duplicate = client.post("/api/v1/experts", json={**CHEMIST, "name": "x", "ref": "EXP-001"})
    assert duplicate.status_code == 409 and duplicate.json()["field"] == "ref"
    taken = client.patch(f"/api/v1/experts/{other['id']}", json={"ref": "EXP-001", "version": 1})
    assert taken.status_code == 409
    same = client.patch(f"/api/v1/experts/{first['id']}", json={"ref": "EXP-001", "version": 1})
    assert same.status_code == 200
    assert client.get("/api/v1/experts").json()["numberMatched"] == 2


def test_bad_expert_is_a_problem_naming_the_field(client: TestClient, session: Session) -> None:
    cases = [
        ({**CHEMIST, "name": ""}, "name"),
        ({**CHEMIST, "fields": ["氯气", "氯气"]}, "fields"),
        ({**CHEMIST, "specialty": None}, "specialty"),
        ({**CHEMIST, "age": 52}, "age"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/experts", json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["field"].startswith(field)
    malformed = client.post("/api/v1/experts", content=b"{", headers={"content-type": "application/json"})
    assert malformed.status_code == 400
    assert client.get("/api/v1/experts").json()["numberMatched"] == 0
    assert session.scalar(select(func.count()).select_from(Event)) == 0
    assert client.get("/api/v1/experts/7").status_code == 404


# --- duty roster -------------------------------------------------------------------------
# The frozen clock stands at 2026-11-22 02:00 UTC (10:00 in Quanzhou): the day shift's handover.

NIGHT = {"starts_at": "2026-11-21T18:00:00+08:00", "ends_at": "2026-11-22T10:00:00+08:00"}
DAY = {"starts_at": "2026-11-22T10:00:00+08:00", "ends_at": "2026-11-22T18:00:00+08:00"}
WHOLE_DAY = {"starts_at": "2026-11-22T00:00:00Z", "ends_at": "2026-11-23T00:00:00Z"}


def add_shift(
    client: TestClient, person: str, role: str, times: dict[str, str], **extra: Any
) -> dict[str, Any]:
    response = client.post("/api/v1/duty/shifts", json={"person": person, "role": role, **times, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def names(roster: dict[str, Any], role: str) -> list[str]:
    return [shift["person"] for shift in roster[role]]


def roster_fixture(client: TestClient) -> None:
    add_shift(client, "夜班 周强", "duty_officer", NIGHT)
    add_shift(client, "白班 林晓", "duty_officer", DAY, rank=1)
    add_shift(client, "白班 张伟", "duty_officer", DAY, rank=2)
    add_shift(client, "带班领导 陈军", "leader_on_duty", WHOLE_DAY)


def test_duty_now_at_the_handover_instant_shows_the_incoming_shift(
    client: TestClient, clock: FrozenClock
) -> None:
    roster_fixture(client)
    now = client.get("/api/v1/duty/now").json()
    assert now["at"] == "2026-11-22T02:00:00+00:00"
    assert names(now, "duty_officer") == ["白班 林晓", "白班 张伟"]
    assert names(now, "leader_on_duty") == ["带班领导 陈军"]
    assert now["dispatcher"] == []


def test_duty_now_just_before_the_handover_shows_the_outgoing_shift(
    client: TestClient, clock: FrozenClock
) -> None:
    roster_fixture(client)
    clock.advance(timedelta(microseconds=-1))
    before = client.get("/api/v1/duty/now").json()
    assert names(before, "duty_officer") == ["夜班 周强"]
    clock.advance(timedelta(hours=8, microseconds=1))  # 18:00 in Quanzhou: the day shift has ended
    after = client.get("/api/v1/duty/now").json()
    assert after["duty_officer"] == []
    assert names(after, "leader_on_duty") == ["带班领导 陈军"]


def test_rank_orders_the_people_on_duty_in_one_role(client: TestClient, clock: FrozenClock) -> None:
    add_shift(client, "second", "dispatcher", DAY, rank=2)
    add_shift(client, "third", "dispatcher", DAY, rank=3)
    add_shift(client, "first", "dispatcher", DAY, rank=1)
    assert names(client.get("/api/v1/duty/now").json(), "dispatcher") == ["first", "second", "third"]


def test_on_duty_service_gives_the_rows_in_call_order(client: TestClient, session: Session) -> None:
    roster_fixture(client)
    at = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)
    officers = duty.on_duty(session, at=at, role=DutyRole.duty_officer)
    assert [(s.person, s.rank) for s in officers] == [("白班 林晓", 1), ("白班 张伟", 2)]
    assert duty.on_duty(session, at=at, role=DutyRole.dispatcher) == []


def test_shift_times_are_stored_in_utc(client: TestClient) -> None:
    shift = add_shift(client, "林晓", "duty_officer", DAY, phone="13800000000")
    assert shift["starts_at"] == "2026-11-22T02:00:00+00:00"
    assert shift["ends_at"] == "2026-11-22T10:00:00+00:00"
    assert client.get(f"/api/v1/duty/shifts/{shift['id']}").json()["starts_at"] == shift["starts_at"]


def test_a_person_cannot_be_on_two_overlapping_shifts(client: TestClient) -> None:
    add_shift(client, "林晓", "duty_officer", DAY)
    for role, times in (
        ("dispatcher", DAY),
        ("duty_officer", {"starts_at": "2026-11-22T17:00:00+08:00", "ends_at": "2026-11-22T20:00:00+08:00"}),
        ("duty_officer", WHOLE_DAY),
    ):
        clash = client.post("/api/v1/duty/shifts", json={"person": "林晓", "role": role, **times})
        assert clash.status_code == 409, times
        assert clash.headers["content-type"] == "application/problem+json"
        assert clash.json()["clashes_with"]["person"] == "林晓"
    add_shift(client, "林晓", "duty_officer", NIGHT)  # ends exactly when the day shift starts
    add_shift(client, "张伟", "duty_officer", DAY)  # someone else at the same time
    assert client.get("/api/v1/duty/shifts").json()["numberMatched"] == 3


def test_shifts_list_by_time_range_and_role(client: TestClient) -> None:
    roster_fixture(client)

    def listed(**params: Any) -> list[str]:
        return [s["person"] for s in client.get("/api/v1/duty/shifts", params=params).json()["items"]]

    assert listed() == ["夜班 周强", "带班领导 陈军", "白班 林晓", "白班 张伟"]
    assert listed(**{"from": "2026-11-22T10:00:00+08:00"}) == ["带班领导 陈军", "白班 林晓", "白班 张伟"]
    assert listed(to="2026-11-22T10:00:00+08:00") == ["夜班 周强", "带班领导 陈军"]
    assert listed(**{"from": "2026-11-22T12:00:00+08:00", "to": "2026-11-22T13:00:00+08:00"}) == [
        "带班领导 陈军",
        "白班 林晓",
        "白班 张伟",
    ]
    assert listed(role="leader_on_duty") == ["带班领导 陈军"]
    backwards = client.get(
        "/api/v1/duty/shifts", params={"from": "2026-11-23T00:00:00Z", "to": "2026-11-22T00:00:00Z"}
    )
    assert backwards.status_code == 422 and backwards.json()["field"] == "to"
    naive = client.get("/api/v1/duty/shifts", params={"from": "2026-11-22T00:00:00"})
    assert naive.status_code == 422 and naive.json()["field"] == "query.from"


def test_shift_edits_keep_the_rules(client: TestClient) -> None:
    add_shift(client, "林晓", "duty_officer", NIGHT)
    shift = add_shift(client, "林晓", "duty_officer", DAY)
    url = f"/api/v1/duty/shifts/{shift['id']}"
    assert client.patch(url, json={"rank": 2}).status_code == 428
    overlap = client.patch(url, json={"starts_at": "2026-11-22T09:00:00+08:00", "version": 1})
    assert overlap.status_code == 409
    backwards = client.patch(url, json={"ends_at": "2026-11-22T09:00:00+08:00", "version": 1})
    assert backwards.status_code == 422 and backwards.json()["field"] == "ends_at"
    moved = client.patch(url, json={"ends_at": "2026-11-22T20:00:00+08:00", "rank": 2, "version": 1})
    assert moved.status_code == 200
    assert (moved.json()["ends_at"], moved.json()["rank"], moved.json()["version"]) == (
        "2026-11-22T12:00:00+00:00",
        2,
        2,
    )


def test_bad_shift_is_a_problem_naming_the_field_and_writes_nothing(
    client: TestClient, session: Session
) -> None:
    good = {"person": "林晓", "role": "duty_officer", **DAY}
    cases = [
        ({**good, "role": "janitor"}, "role"),
        ({**good, "starts_at": "2026-11-22T10:00:00"}, "starts_at"),
        ({**good, "ends_at": "tomorrow"}, "ends_at"),
        ({**good, "ends_at": good["starts_at"]}, "ends_at"),
        ({**good, "rank": 0}, "rank"),
        ({**good, "person": ""}, "person"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/duty/shifts", json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["field"].startswith(field), response.json()
    malformed = client.post(
        "/api/v1/duty/shifts", content=b'{"person"', headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert client.get("/api/v1/duty/shifts").json()["numberMatched"] == 0
    assert session.scalar(select(func.count()).select_from(Event)) == 0
    assert client.get("/api/v1/duty/shifts/5").status_code == 404
