"""What a shift sees on a warning itself: whom the duty roster called and when, and the detectors
gone blind (offline or in fault) under an orange or red warning, which make it a warning anew."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from commandpost.clock import FrozenClock
from commandpost.config import Settings
from test_escalation import (
    OFFICER,
    READINGS,
    detectors,
    hazard_source,
    read,
    roster,
    sweep,
    warning_events,
    warnings_in_force,
)

__all__ = ["roster"]  # the fixture, imported for the tests below


def acknowledge(client: TestClient, warning_id: int) -> None:
    response = client.post(f"/api/v1/warnings/{warning_id}/acknowledge", json={"by": OFFICER})
    assert response.status_code == 200, response.text


def test_whom_the_roster_called_is_on_the_warning_and_on_the_stream(
    client: TestClient, engine: Engine, session: Session, clock: FrozenClock, settings: Settings, roster: None
) -> None:
    source = hazard_source(client)
    detectors(client, 2, source=source)
    read(client, clock, G1=45.0, G2=45.0)
    (warning,) = warnings_in_force(client)
    assert warning["level"] == "orange" and warning["roster_calls"] == []
    clock.advance(timedelta(minutes=5))
    first_call_at = clock.now()
    sweep(session, clock, settings)
    clock.advance(timedelta(minutes=5))
    sweep(session, clock, settings)

    shown = client.get(f"/api/v1/warnings/{warning['id']}").json()["properties"]
    assert [(c["step"], c["person"], c["role"], c["phone"]) for c in shown["roster_calls"]] == [
        (1, "张伟", "duty_officer", "138"),
        (2, "王芳", "duty_officer", "138"),
    ]
    assert shown["roster_calls"][0]["at"] == first_call_at.isoformat()
    # The stream applies each event's feature as is: the card learns of the call from the event.
    last = warning_events(engine, "escalated_to_person")[-1]
    assert last.payload["feature"]["properties"]["roster_calls"] == shown["roster_calls"]
    assert last.payload["to"]["person"] == "王芳"
    # An officer who read the warning before the call still acknowledges it (no version sent).
    acknowledge(client, warning["id"])


def test_a_detector_going_offline_under_an_orange_warning_is_a_warning_again(
    client: TestClient, engine: Engine, session: Session, clock: FrozenClock, settings: Settings, roster: None
) -> None:
    source = hazard_source(client)
    detectors(client, 2, source=source)  # report once a day: they stay online
    detectors(client, 1, source=source, prefix="S", expected_interval_s=60)
    read(client, clock, G1=45.0, G2=45.0, S1=5.0)
    (warning,) = warnings_in_force(client)
    assert warning["level"] == "orange"
    acknowledge(client, warning["id"])
    sweep(session, clock, settings)

    clock.advance(timedelta(seconds=60 * settings.sensor_offline_after_intervals + 1))
    blind_at = clock.now()
    sweep(session, clock, settings)
    (shown,) = warnings_in_force(client)
    assert (shown["id"], shown["level"], shown["status"], shown["acknowledged_by"]) == (
        warning["id"],
        "orange",
        "active",
        None,
    )
    (blind,) = shown["blind_detectors"]
    assert (blind["ref"], blind["state"], blind["since"]) == ("S1", "offline", blind_at.isoformat())
    (event,) = warning_events(engine, "blind_spot")
    assert [d["ref"] for d in event.payload["blind"]] == ["S1"]

    # Nobody acknowledges it again: it goes up the roster, counted from when the detector went blind.
    clock.advance(timedelta(seconds=settings.warning_ack_timeout_s))
    assert [c["person"] for c in shown_calls(client, warning["id"], session, clock, settings)] == ["张伟"]

    # The detector back in sight is taken off the list; the warning stays as it is.
    read(client, clock, S1=4.0)
    (back,) = warnings_in_force(client)
    assert (back["blind_detectors"], back["level"], back["status"]) == ([], "orange", "active")
    assert [e.type for e in warning_events(engine, "blind_spot", "sight_restored")] == [
        "warning.blind_spot",
        "warning.sight_restored",
    ]


def shown_calls(
    client: TestClient, warning_id: int, session: Session, clock: FrozenClock, settings: Settings
) -> list[dict[str, object]]:
    sweep(session, clock, settings)
    calls: list[dict[str, object]] = client.get(f"/api/v1/warnings/{warning_id}").json()["properties"][
        "roster_calls"
    ]
    return calls


def test_a_gateway_reporting_a_fault_under_a_red_warning_makes_it_active_again(
    client: TestClient, clock: FrozenClock
) -> None:
    source = hazard_source(client)
    detectors(
        client, 2, source=source, prefix="H2S", kind="toxic_gas", substance="硫化氢", alarm_1=10, alarm_2=20
    )
    read(client, clock, H2S1=25.0)
    (warning,) = warnings_in_force(client)
    assert warning["level"] == "red"
    acknowledge(client, warning["id"])
    response = client.post(READINGS, json={"readings": [{"sensor": "H2S2", "fault": True}]})
    assert response.status_code == 200, response.text
    assert response.json()["warnings"][0]["action"] == "blind_spot"
    (shown,) = warnings_in_force(client)
    assert shown["status"] == "active"
    assert [(d["ref"], d["state"]) for d in shown["blind_detectors"]] == [("H2S2", "fault")]


def test_a_blind_detector_under_a_yellow_warning_changes_nothing_until_it_turns_orange(
    client: TestClient, clock: FrozenClock
) -> None:
    source = hazard_source(client)
    detectors(client, 3, source=source)
    read(client, clock, G1=45.0)
    (warning,) = warnings_in_force(client)
    assert warning["level"] == "yellow"
    acknowledge(client, warning["id"])
    response = client.post(READINGS, json={"readings": [{"sensor": "G3", "fault": True}]})
    assert response.status_code == 200 and response.json()["warnings"] == []
    (shown,) = warnings_in_force(client)
    assert (shown["status"], shown["blind_detectors"]) == ("acknowledged", [])
    # Orange now: the detector already in fault there is listed at once.
    read(client, clock, G2=45.0)
    (shown,) = warnings_in_force(client)
    assert shown["level"] == "orange"
    assert [(d["ref"], d["state"]) for d in shown["blind_detectors"]] == [("G3", "fault")]
