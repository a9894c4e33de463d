"""The demo feed keeps the demo district alive through the public HTTP API: every detector reports
at its own interval with quiet, noisy values, and teams on duty stand at base or patrol."""

from __future__ import annotations

import random
import statistics
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from commandpost import loader
from commandpost.app import create_app
from commandpost.background import Jobs
from commandpost.clock import FrozenClock
from commandpost.config import Settings
from commandpost.demo_feed import BASE_REPORT_S, TEAMS_REFRESH_S, DemoFeed, metres
from commandpost.sensors import alarms
from tests_support import run_cli

GIS_DATA = Path(__file__).resolve().parents[1] / "gis_data"


def load_demo(sessions: sessionmaker[Session], clock: FrozenClock) -> None:
    with sessions() as session:
        loader.load_district(session, folder=GIS_DATA, clock=clock)
        session.commit()


def layer(client: TestClient, path: str) -> list[dict[str, Any]]:
    body = client.get(f"/api/v1/{path}", params={"limit": 10_000}).json()
    features: list[dict[str, Any]] = body["features"]
    return features


def test_ten_minutes_of_feed_keep_every_demo_detector_reporting_at_its_interval(
    client: TestClient, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    load_demo(sessions, clock)
    start = clock.now()
    feed = DemoFeed(client, rng=random.Random(9), wallclock=clock.now)
    feed.start(0.0)
    # Judged at the detectors' own intervals: silent for ONE interval is offline here.
    strict = settings.model_copy(update={"sensor_offline_after_intervals": 1.0})
    now, went_offline = 0.0, []
    while now <= 600:
        upcoming = feed.step(now)
        with sessions() as session:
            went_offline += alarms.sweep(session, clock=clock, settings=strict, purge=False).offline
            session.commit()
        clock.advance(timedelta(seconds=upcoming - now))
        now = upcoming

    sensors = layer(client, "sensors")
    assert len(sensors) == 65 and len(feed.detectors) == 65
    assert went_offline == []
    assert {s["properties"]["state"] for s in sensors} == {"normal"}
    assert client.get("/api/v1/warnings").json()["features"] == []
    for s in sensors:
        p = s["properties"]
        series = client.get(f"/api/v1/sensors/{p['id']}/readings", params={"from": start.isoformat()}).json()
        values = [r["value"] for r in series["readings"]]
        # One reading per interval over the ten minutes, and the first at once.
        assert len(values) == 600 // p["expected_interval_s"] + 1, p["ref"]
        # Quiet but alive: values move, and stay under the first alarm threshold.
        assert statistics.pstdev(values) > 0, p["ref"]
        assert max(values) < p["alarm_1"], p["ref"]

    teams = layer(client, "teams")
    assert len(teams) == 132
    moved = [
        t for t in teams if metres(tuple(t["geometry"]["coordinates"]), tuple(t["properties"]["base"])) > 50
    ]
    parked = [t for t in teams if t not in moved]
    # Some patrol, most stand at base; each reports at least every BASE_REPORT_S.
    assert 10 < len(moved) < len(parked)
    stale = clock.now() - timedelta(seconds=BASE_REPORT_S + 5)
    assert all(t["properties"]["position_at"] >= stale.isoformat() for t in teams)


def test_a_team_no_longer_on_duty_is_left_to_its_own_terminal(
    client: TestClient, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    load_demo(sessions, clock)
    feed = DemoFeed(client, rng=random.Random(3), wallclock=clock.now)
    feed.start(0.0)
    feed.step(0.0)
    team = layer(client, "teams")[0]
    changed = client.post(
        f"/api/v1/teams/{team['id']}/status",
        json={"status": "off_duty", "version": team["properties"]["version"]},
    )
    assert changed.status_code == 200, changed.text
    now = 0.0

    def run_until(end: float) -> None:
        nonlocal now
        while now < end:
            upcoming = feed.step(now)
            clock.advance(timedelta(seconds=upcoming - now))
            now = upcoming

    run_until(TEAMS_REFRESH_S)  # the feed reads the teams' statuses this often
    reported_at = client.get(f"/api/v1/teams/{team['id']}").json()["properties"]["position_at"]
    run_until(TEAMS_REFRESH_S + 120)
    assert client.get(f"/api/v1/teams/{team['id']}").json()["properties"]["position_at"] == reported_at


def test_the_page_learns_whether_the_feed_is_simulated(
    client: TestClient, settings: Settings, clock: FrozenClock, engine: Engine
) -> None:
    assert client.get("/api/v1/about").json() == {"simulated_feed": False}
    demo = create_app(
        settings.model_copy(update={"simulated_feed": True}), clock=clock, engine=engine, jobs=Jobs.untimed
    )
    with TestClient(demo) as fed:
        assert fed.get("/api/v1/about").json() == {"simulated_feed": True}


def test_demo_can_start_without_the_feed() -> None:
    shown = run_cli("demo", "--help")
    assert shown.returncode == 0 and "--no-feed" in shown.stdout
