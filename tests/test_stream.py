"""The live stream over a real uvicorn server, read with the `websockets` client.

Snapshot on connect (only the layers and box asked for), resume after a disconnect with exactly the
missed events, a fresh snapshot when `since` is out of retention, drills kept apart from live
clients, heartbeats, and a slow client resynced without holding back the others. Runs on SpatiaLite
and on PostGIS (TEST_DATABASE_URL's, or the session's throwaway one). The helpers here are shared
with test_multiprocess.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from websockets.exceptions import ConnectionClosedError
from websockets.sync.client import ClientConnection, connect

from commandpost import db
from commandpost.app import create_app
from commandpost.background import Jobs
from commandpost.clock import Clock, FrozenClock
from commandpost.config import Settings
from commandpost.events import service as events
from dispatch_support import load_grid
from tests_support import uvicorn_in_thread

REPO = Path(__file__).resolve().parents[1]
POSTGIS_URL = os.environ.get("TEST_DATABASE_URL")

TEAM: dict[str, Any] = {
    "name": "泉港区消防救援大队",
    "kind": "fire_rescue",
    "tier": "national",
    "headcount": 88,
    "base": {"type": "Point", "coordinates": [118.9166, 25.1267]},
}


@contextmanager
def served_in_thread(settings: Settings, *, clock: Clock | None = None) -> Iterator[str]:
    """The app on a real uvicorn server on a loopback port (in this process); yields host:port.

    With a FrozenClock, the timed sweeps do not run (the clock moves only when the test moves it)."""
    jobs = Jobs.untimed if isinstance(clock, FrozenClock) else Jobs.all
    with uvicorn_in_thread(create_app(settings, clock=clock, jobs=jobs)) as address:
        yield address


def open_stream(address: str, **query: Any) -> ClientConnection:
    params = "&".join(f"{k}={v}" for k, v in query.items() if v is not None)
    return connect(
        f"ws://{address}/api/v1/stream" + (f"?{params}" if params else ""),
        max_size=None,
        compression=None,
        open_timeout=10,
    )


def receive(ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
    return message


def receive_until(
    ws: ClientConnection, done: Callable[[dict[str, Any]], bool], *, timeout: float = 20
) -> list[dict[str, Any]]:
    """Every message up to and including the first for which `done` holds."""
    deadline = time.monotonic() + timeout
    out: list[dict[str, Any]] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"condition not met after {len(out)} messages: {out[-3:]}")
        out.append(receive(ws, timeout=left))
        if done(out[-1]):
            return out


def events_of(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m["type"] == "event"]


def next_event(ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    """The next event, past any heartbeats sent while waiting for it."""
    return receive_until(ws, lambda m: m["type"] != "heartbeat", timeout=timeout)[-1]


def next_event_or_beat(ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    """The next event or the first heartbeat that says the client is up to date with every event."""
    return receive_until(ws, lambda m: m["type"] == "event" or m["type"] == "heartbeat", timeout=timeout)[-1]


def create_team(http: httpx.Client, **overrides: Any) -> dict[str, Any]:
    response = http.post("/api/v1/teams", json={**TEAM, **overrides})
    assert response.status_code == 201, response.text
    team: dict[str, Any] = response.json()
    return team


def move_team(http: httpx.Client, team: dict[str, Any], lon: float, lat: float) -> dict[str, Any]:
    """Move a team (an edit under its version); returns the team as stored now."""
    response = http.patch(
        f"/api/v1/teams/{team['id']}",
        json={"position": {"type": "Point", "coordinates": [lon, lat]}},
        headers={"If-Match": f'"{team["properties"]["version"]}"'},
    )
    assert response.status_code == 200, response.text
    moved: dict[str, Any] = response.json()
    return moved


def logged_ids(engine: Engine, *, after: int = 0) -> list[int]:
    """Ids of the committed events after `after`, as the database has them."""
    with db.make_sessionmaker(engine, read_only=True)() as session:
        return [e.id for e in events.between(session, after=after, limit=100_000)]


def record_events(
    sessions: sessionmaker[Session],
    clock: Clock,
    count: int,
    *,
    entity_type: str = "team",
    exercise_id: int | None = None,
    padding: int = 0,
) -> None:
    """Commit `count` events straight into the log (as any command would), in one transaction."""
    with sessions() as session:
        for i in range(count):
            events.record(
                session,
                type=f"{entity_type}.updated",
                entity_type=entity_type,
                entity_id=i + 1,
                payload={"feature": {"type": "Feature", "id": i + 1, "properties": {"pad": "x" * padding}}},
                clock=clock,
                exercise_id=exercise_id,
            )
        session.commit()


def up_to_date(ws: ClientConnection, engine: Engine, *, timeout: float = 20) -> int:
    """Read until the client has been sent the newest logged event; return that id."""
    newest = max(logged_ids(engine), default=0)
    receive_until(ws, lambda m: m["id"] >= newest and m["type"] != "resumed", timeout=timeout)
    return newest


@pytest.fixture
def quick(settings: Settings) -> Settings:
    """Heartbeats every half second, so a test can tell "nothing more is coming"."""
    return settings.model_copy(update={"stream_heartbeat_seconds": 0.5})


def api(address: str) -> httpx.Client:
    # Generous: a closure waits for the road graph the server builds at start-up, slow on a busy machine.
    return httpx.Client(base_url=f"http://{address}", timeout=30)


def test_connect_gets_a_snapshot_then_each_change_as_it_commits(
    quick: Settings, clock: FrozenClock, engine: Engine
) -> None:
    with served_in_thread(quick, clock=clock) as address, api(address) as http:
        team = create_team(http)
        create_team(http, name="泉港石化园区危化品救援队")
        with open_stream(address) as ws:
            snapshot = receive(ws)
            assert snapshot["type"] == "snapshot" and snapshot["reason"] == "connect"
            assert set(snapshot["layers"]) == {
                "teams",
                "depots",
                "hazard-sources",
                "sensors",
                "incidents",
                "warnings",
                "shelters",
                "routes",
                "closures",
                "threat-zones",
            }
            names = {f["properties"]["name"] for f in snapshot["layers"]["teams"]["features"]}
            assert names == {"泉港区消防救援大队", "泉港石化园区危化品救援队"}
            up_to_date(ws, engine)

            moved = move_team(http, team, 118.95, 25.15)
            event = next_event(ws)
            assert event["type"] == "event" and event["event"] == "team.updated"
            assert event["entity_type"] == "team" and event["entity_id"] == team["id"]
            assert event["payload"]["feature"] == moved
            assert event["id"] == max(logged_ids(engine))


def test_reconnecting_with_the_last_id_gets_exactly_the_missed_events_in_order(
    quick: Settings, clock: FrozenClock, engine: Engine
) -> None:
    with served_in_thread(quick, clock=clock) as address, api(address) as http:
        team = create_team(http)
        with open_stream(address) as ws:
            assert receive(ws)["type"] == "snapshot"
            last = up_to_date(ws, engine)

        positions = []
        for i in range(100):
            team = move_team(http, team, 118.90 + i * 0.0005, 25.12)
            positions.append(team["geometry"]["coordinates"])
        missed = logged_ids(engine, after=last)
        assert len(missed) == 100

        with open_stream(address, since=last) as ws:
            messages = receive_until(ws, lambda m: m["id"] == missed[-1])
            assert messages[0] == {"type": "resumed", "id": last}
            assert [m["type"] for m in messages[1:]] == ["event"] * 100
            assert [m["id"] for m in messages[1:]] == missed
            assert [m["payload"]["feature"]["geometry"]["coordinates"] for m in messages[1:]] == positions
            # Nothing after them but a heartbeat that says the client is up to date.
            assert receive(ws, timeout=5) == {
                "type": "heartbeat",
                "id": missed[-1],
                "at": clock.now().isoformat(),
            }


def test_since_out_of_retention_gets_a_fresh_snapshot_and_is_told_so(
    quick: Settings, clock: FrozenClock, engine: Engine
) -> None:
    settings = quick.model_copy(update={"stream_retention_events": 10, "stream_retention_hours": 2})
    with (
        served_in_thread(settings, clock=clock) as address,
        api(address) as http,
    ):
        team = create_team(http)
        first = max(logged_ids(engine))
        for i in range(15):
            team = move_team(http, team, 118.90 + i * 0.001, 25.12)
        newest = max(logged_ids(engine))

        with open_stream(address, since=first) as ws:  # 15 events behind: more than 10
            snapshot = receive(ws)
            assert snapshot["type"] == "snapshot" and snapshot["reason"] == "expired"
            [feature] = snapshot["layers"]["teams"]["features"]
            assert feature["geometry"] == team["geometry"]

        with open_stream(address, since=newest - 5) as ws:  # within 10 events
            assert receive(ws) == {"type": "resumed", "id": newest - 5}

        with open_stream(address, since=newest + 1000) as ws:  # an id this log never issued
            assert receive(ws)["reason"] == "expired"

        clock.advance(timedelta(hours=3))  # the events the client missed are now too old
        with open_stream(address, since=newest - 5) as ws:
            assert receive(ws)["reason"] == "expired"


def test_snapshot_holds_only_the_layers_and_box_asked_for(
    quick: Settings, clock: FrozenClock, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with served_in_thread(quick, clock=clock) as address, api(address) as http:
        inside = create_team(http, name="inside")
        outside = create_team(http, name="outside", base={"type": "Point", "coordinates": [119.5, 25.5]})
        with open_stream(address, layers="teams", bbox="118.8,25.0,119.0,25.2") as ws:
            snapshot = receive(ws)
            assert list(snapshot["layers"]) == ["teams"]
            assert [f["id"] for f in snapshot["layers"]["teams"]["features"]] == [inside["id"]]
            up_to_date(ws, engine)

            # Events of other layers are not sent; a team's move is, wherever it goes.
            record_events(sessions, clock, 1, entity_type="shelter")
            move_team(http, outside, 119.6, 25.6)
            event = next_event(ws)
            assert (event["entity_type"], event["entity_id"]) == ("team", outside["id"])

        with open_stream(address, layers="teams,shelters,warnings") as ws:
            snapshot = receive(ws)
            assert list(snapshot["layers"]) == ["teams", "shelters", "warnings"]
            assert len(snapshot["layers"]["teams"]["features"]) == 2
            assert snapshot["layers"]["warnings"] == {"type": "FeatureCollection", "features": []}


def test_closures_and_routes_are_in_the_snapshot_and_their_events_reach_who_shows_them(
    quick: Settings, clock: FrozenClock, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    load_grid(sessions, clock)
    with served_in_thread(quick, clock=clock) as address, api(address) as http:
        zone = {
            "kind": "danger_zone",
            "area": {
                "type": "Polygon",
                "coordinates": [[[118.91, 25.09], [118.93, 25.09], [118.93, 25.11], [118.91, 25.09]]],
            },
            "reason": "氯气泄漏毒害区",
        }
        closed = http.post("/api/v1/closures", json=zone)
        assert closed.status_code == 201, closed.text
        with (
            open_stream(address, layers="closures,routes") as ws,
            open_stream(address, layers="teams") as other,
        ):
            snapshot = receive(ws)
            assert list(snapshot["layers"]) == ["closures", "routes"]
            [feature] = snapshot["layers"]["closures"]["features"]
            assert feature["id"] == closed.json()["id"] and feature["properties"]["kind"] == "danger_zone"
            assert snapshot["layers"]["routes"] == {"type": "FeatureCollection", "features": []}
            receive(other)
            up_to_date(ws, engine)
            up_to_date(other, engine)

            lifted = http.delete(f"/api/v1/closures/{closed.json()['id']}")
            assert lifted.status_code == 200, lifted.text
            event = next_event(ws)
            assert (event["entity_type"], event["entity_id"]) == ("closure", closed.json()["id"])
            # A client showing only teams is not sent it: its next message says it is up to date.
            beat = next_event_or_beat(other)
            assert beat["type"] == "heartbeat" and beat["id"] >= event["id"]


def test_drill_events_reach_only_clients_of_that_drill(
    quick: Settings, clock: FrozenClock, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with (
        served_in_thread(quick, clock=clock) as address,
        open_stream(address) as live,
        open_stream(address, exercise_id=7) as drill,
        open_stream(address, exercise_id=8) as other_drill,
    ):
        for ws in (live, drill, other_drill):
            assert receive(ws)["type"] == "snapshot"
        record_events(sessions, clock, 1, entity_type="incident", exercise_id=7)
        record_events(sessions, clock, 1, entity_type="incident")
        record_events(sessions, clock, 1, entity_type="incident", exercise_id=8)
        _drill_7, live_one, drill_8 = logged_ids(engine)

        def seen(ws: ClientConnection) -> list[int | None]:
            messages = receive_until(ws, lambda m: m["type"] == "heartbeat" and m["id"] == drill_8)
            return [m["exercise_id"] for m in events_of(messages)]

        assert seen(live) == [None]
        assert seen(drill) == [7, None]
        assert seen(other_drill) == [None, 8]
        # Resuming does not leak them either.
        with open_stream(address, since=0) as ws:
            messages = receive_until(ws, lambda m: m["type"] == "heartbeat")
            assert [m["id"] for m in events_of(messages)] == [live_one]


def test_heartbeats_say_how_far_the_client_is(quick: Settings, clock: FrozenClock, engine: Engine) -> None:
    with served_in_thread(quick, clock=clock) as address, api(address) as http:
        create_team(http)
        with open_stream(address) as ws:
            receive_until(ws, lambda m: m["type"] == "heartbeat")
            started = time.monotonic()
            beat = receive(ws, timeout=5)
            assert beat == {"type": "heartbeat", "id": max(logged_ids(engine)), "at": clock.now().isoformat()}
            assert 0.3 < time.monotonic() - started < 2


def test_a_slow_client_is_resynced_and_never_holds_back_the_others(
    quick: Settings, clock: FrozenClock, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    settings = quick.model_copy(update={"stream_client_queue": 150})
    with served_in_thread(settings, clock=clock) as address:
        host, port = address.split(":")
        # A client that stops reading: a tiny receive window, and the library buffers one frame.
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.connect((host, int(port)))
        slow = connect(
            f"ws://{address}/api/v1/stream", sock=raw, max_queue=1, max_size=None, compression=None
        )
        with slow, open_stream(address) as fast:
            for ws in (slow, fast):
                assert receive(ws)["type"] == "snapshot"
            start = max(logged_ids(engine), default=0)
            for _ in range(4):  # 400 events of 16 kB: far more than the slow client's buffers hold
                record_events(sessions, clock, 100, padding=16_000)
                time.sleep(0.2)  # bursts of 100 fit a queue of 150 when the client keeps reading
            expected = logged_ids(engine, after=start)

            began = time.monotonic()
            received = events_of(receive_until(fast, lambda m: m["id"] == expected[-1]))
            assert [m["id"] for m in received] == expected
            assert time.monotonic() - began < 15

            messages = receive_until(slow, lambda m: m["type"] == "heartbeat" and m["id"] == expected[-1])
            [resync] = [m for m in messages if m["type"] == "snapshot"]
            assert resync["reason"] == "overflow"
            before = [m["id"] for m in messages[: messages.index(resync)]]
            after = [m["id"] for m in events_of(messages[messages.index(resync) :])]
            assert before == sorted(before) and after == sorted(after)
            assert after == [i for i in expected if i > resync["id"]]
            assert len(before) + len(after) < len(expected)


def test_a_bad_request_is_closed_with_the_field_named(quick: Settings, clock: FrozenClock) -> None:
    with served_in_thread(quick, clock=clock) as address:
        for query, field in (({"layers": "teams,rivers"}, "layers"), ({"since": "soon"}, "since")):
            with open_stream(address, **query) as ws, pytest.raises(ConnectionClosedError) as closed:
                receive(ws)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1008
            assert closed.value.rcvd.reason.startswith(field)


if POSTGIS_URL:

    @pytest.mark.parametrize("backend_settings", ["postgis"], indirect=True)
    def test_events_committed_out_of_id_order_are_sent_in_id_order(
        quick: Settings, clock: FrozenClock, engine: Engine, sessions: sessionmaker[Session]
    ) -> None:
        """On PostgreSQL a later id can commit first: the stream waits for the earlier one or its rollback."""
        with served_in_thread(quick, clock=clock) as address, open_stream(address) as ws:
            assert receive(ws)["type"] == "snapshot"

            def record_one(session: Session, entity_id: int) -> int:
                event = events.record(
                    session,
                    type="team.updated",
                    entity_type="team",
                    entity_id=entity_id,
                    payload={},
                    clock=clock,
                )
                session.flush()
                return event.id

            for outcome in ("commit", "rollback"):
                slow = sessions()
                early = record_one(slow, 1)
                with sessions() as fast:
                    late = record_one(fast, 2)
                    fast.commit()
                assert late > early
                # Only heartbeats while the earlier id is in flight.
                waited = receive_until(ws, lambda m: m["type"] == "heartbeat", timeout=5)
                waited += [receive(ws) for _ in range(2)]
                assert all(m["type"] == "heartbeat" and m["id"] < early for m in waited)
                getattr(slow, outcome)()
                slow.close()
                sent = events_of(receive_until(ws, lambda m, late=late: m["id"] == late))
                assert [m["id"] for m in sent] == ([early, late] if outcome == "commit" else [late])
