"""Routing: the road graph (one search from the incident gives everyone's time), snapping, one-way
streets, closures and danger zones changing routes, and the graph following the stored road layer."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Polygon
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from commandpost.app import create_app
from commandpost.background import Jobs
from commandpost.clock import FrozenClock
from commandpost.config import Settings
from commandpost.events.models import Event
from commandpost.routing.graph import OFF_ROAD_KMH, RoadGraph
from commandpost.routing.models import Closure
from dispatch_support import GRID, A, B, C, _road, load_grid, segment_id


def route(client: TestClient, start: tuple[float, float], end: tuple[float, float]) -> dict[str, Any]:
    response = client.get(
        "/api/v1/route", params={"from": f"{start[0]},{start[1]}", "to": f"{end[0]},{end[1]}"}
    )
    assert response.status_code == 200, response.text
    feature: dict[str, Any] = response.json()
    return feature


def roads_of(feature: dict[str, Any]) -> list[str | None]:
    return [leg["road"] for leg in feature["properties"]["legs"] if leg["kind"] == "road"]


# --- the graph on its own ------------------------------------------------------------------


def random_graph(seed: int, n: int = 12) -> RoadGraph:
    """An n×n grid of ≈300 m blocks with random speeds, some one-way streets and some gaps."""
    rng = random.Random(seed)
    lines, oneway, speed = [], [], []
    step = 0.003
    for i in range(n):
        for j in range(n):
            x, y = 118.9 + i * step, 25.1 + j * step
            for dx, dy in ((step, 0), (0, step)):
                if i * step + dx > (n - 1) * step or j * step + dy > (n - 1) * step or rng.random() < 0.1:
                    continue
                a, b = (x, y), (x + dx, y + dy)
                if rng.random() < 0.5:
                    a, b = b, a
                mid = ((a[0] + b[0]) / 2 + rng.uniform(-0.0005, 0.0005), (a[1] + b[1]) / 2)
                lines.append(LineString([a, mid, b]))
                oneway.append(rng.random() < 0.25)
                speed.append(rng.choice([20, 30, 40, 60]))
    lengths = [float(shapely.length(line)) * 100_000 for line in lines]
    return RoadGraph(
        ids=list(range(1, len(lines) + 1)),
        names=[f"road {k}" for k in range(len(lines))],
        oneway=oneway,
        speed_kmh=speed,
        length_m=lengths,
        lines=lines,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_reverse_search_gives_every_source_its_own_shortest_time(seed: int) -> None:
    graph = random_graph(seed)
    net = graph.network()
    rng = np.random.default_rng(seed)
    sources = np.column_stack([rng.uniform(118.9, 118.933, 40), rng.uniform(25.1, 25.133, 40)])
    target = net.snap(np.array([[118.915, 25.117]]))
    field = net.field_to(target)
    travel = net.travel(field, net.snap(sources))

    # Oracle: a forward search from each source's snapped point, one per source.
    forward = csr_matrix(
        (graph.seconds[graph.e_seg], (graph.e_from, graph.e_to)), shape=(graph.n_nodes, graph.n_nodes)
    )
    per_source = dijkstra(forward, directed=True)
    placed = net.snap(sources)
    s_t, f_t = int(target.seg[0]), float(target.frac[0])
    off_speed = OFF_ROAD_KMH / 3.6
    for i in range(len(sources)):
        s, f = int(placed.seg[i]), float(placed.frac[i])
        exits = [(graph.seg_v[s], (1 - f) * graph.seconds[s])]
        if not graph.oneway[s]:
            exits.append((graph.seg_u[s], f * graph.seconds[s]))
        entries = [(graph.seg_u[s_t], f_t * graph.seconds[s_t])]
        if not graph.oneway[s_t]:
            entries.append((graph.seg_v[s_t], (1 - f_t) * graph.seconds[s_t]))
        best = min(a + per_source[x, y] + b for x, a in exits for y, b in entries)
        if s == s_t and (f <= f_t or not graph.oneway[s]):
            best = min(best, abs(f_t - f) * graph.seconds[s])
        expected = best + (placed.off_m[i] + target.off_m[0]) / off_speed
        if math.isinf(expected):
            assert math.isinf(travel.seconds[i])
        else:
            assert travel.seconds[i] == pytest.approx(expected, abs=0.01)
            assert net.route(field, placed, travel, i)["seconds"] == pytest.approx(expected, abs=0.2)


def test_snapping_finds_the_nearest_open_road_exactly() -> None:
    graph = random_graph(5)
    blocked = np.zeros(len(graph), dtype=bool)
    blocked[::7] = True
    net = graph.network(blocked)
    rng = np.random.default_rng(5)
    points = np.column_stack([rng.uniform(118.895, 118.94, 300), rng.uniform(25.095, 25.14, 300)])
    snaps = net.snap(points)
    open_lines = graph.lines_m[~blocked]
    metric = shapely.points(graph.projection.forward(points))
    for i, p in enumerate(metric):
        nearest = float(shapely.distance(open_lines, p).min())
        assert snaps.off_m[i] == pytest.approx(nearest, abs=1e-6)
        assert not blocked[snaps.seg[i]]
    again = net.snap(points)  # looked up, not searched: the same answer
    assert (again.seg == snaps.seg).all() and np.allclose(again.off_m, snaps.off_m)


def test_a_point_beside_a_closed_road_snaps_to_the_nearest_open_one() -> None:
    closed = LineString([(118.90, 25.10), (118.92, 25.10)])  # 2 km, many snapping vertices
    open_road = LineString([(118.90, 25.102), (118.92, 25.102)])  # ≈ 220 m north
    graph = RoadGraph(
        ids=[1, 2],
        names=["closed", "open"],
        oneway=[False, False],
        speed_kmh=[50, 50],
        length_m=[2000, 2000],
        lines=[closed, open_road],
    )
    net = graph.network(np.array([True, False]))
    snaps = net.snap(np.array([[118.91, 25.10005], [118.9101, 25.1019]]))
    assert snaps.seg.tolist() == [1, 1]
    assert snaps.off_m[0] == pytest.approx(0.00195 * 6_371_008.8 * math.pi / 180, rel=1e-3)
    assert snaps.frac[0] == pytest.approx(0.5, abs=1e-3)


# --- over HTTP on the stored road layer ------------------------------------------------------


def test_route_follows_the_roads_with_per_leg_times(
    client: TestClient, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    load_grid(sessions, clock)
    feature = route(client, (118.901, 25.1001), (118.939, 25.1003))
    assert feature["geometry"]["type"] == "LineString"
    assert roads_of(feature) == ["南路"]
    props = feature["properties"]
    assert props["eta_s"] == pytest.approx(sum(leg["seconds"] for leg in props["legs"]), abs=0.2)
    # ≈ 3.85 km at 60 km/h, plus a few metres off the road at each end.
    assert 3750 < props["distance_m"] < 3950
    assert 230 < props["eta_s"] < 250
    assert feature["geometry"]["coordinates"][0] == [118.901, 25.1001]


def test_one_way_street_is_driven_only_its_way(
    client: TestClient, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    load_grid(sessions, clock)
    east = route(client, (118.905, 25.1201), (118.935, 25.1201))  # along 北路 with the one-way
    assert roads_of(east) == ["北路"]
    west = route(client, (118.935, 25.1201), (118.905, 25.1201))  # against it: round by 南路
    assert "南路" in roads_of(west)
    assert west["properties"]["eta_s"] > 2 * east["properties"]["eta_s"]


def test_closing_a_road_reroutes_and_lifting_it_restores(
    client: TestClient, session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    load_grid(sessions, clock)
    before = route(client, A, C)
    bc = segment_id(session, B, C)
    assert bc in before["properties"]["segment_ids"]

    closed = client.post("/api/v1/closures", json={"kind": "road", "segment_id": bc, "reason": "塌方"})
    assert closed.status_code == 201, closed.text
    assert closed.headers["Location"] == f"/api/v1/closures/{closed.json()['id']}"
    assert closed.json()["geometry"]["type"] == "LineString"
    detour = route(client, A, C)
    assert bc not in detour["properties"]["segment_ids"]
    assert detour["properties"]["eta_s"] > before["properties"]["eta_s"] + 60

    layer = client.get("/api/v1/closures").json()
    assert [f["id"] for f in layer["features"]] == [closed.json()["id"]]

    lifted = client.delete(f"/api/v1/closures/{closed.json()['id']}", params={"by": "调度员 陈静"})
    assert lifted.status_code == 200
    assert lifted.json()["properties"]["active"] is False
    assert route(client, A, C)["properties"]["eta_s"] == before["properties"]["eta_s"]
    assert client.get("/api/v1/closures").json()["numberMatched"] == 0
    session.rollback()  # a fresh look
    types = session.scalars(select(Event.type).where(Event.entity_type == "closure").order_by(Event.id)).all()
    assert types == ["closure.created", "closure.lifted"]


def test_danger_zone_blocks_every_road_it_touches(
    client: TestClient, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    load_grid(sessions, clock)
    zone = Polygon([(118.915, 25.095), (118.925, 25.095), (118.925, 25.105), (118.915, 25.105)])
    response = client.post(
        "/api/v1/closures",
        json={"kind": "danger_zone", "area": shapely.geometry.mapping(zone), "reason": "氯气泄漏"},
    )
    assert response.status_code == 201, response.text
    detour = route(client, A, C)  # 南路 and 中路 meet at B, inside the zone: round by the north
    assert roads_of(detour) == ["西路", "北路", "东路"]
    line = LineString(detour["geometry"]["coordinates"])
    assert not line.intersects(zone)


def test_bad_closures_are_refused_naming_the_field_and_nothing_is_written(
    client: TestClient, session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    load_grid(sessions, clock)
    cases = [
        ({"kind": "road"}, "segment_id"),
        ({"kind": "road", "segment_id": 9999}, "segment_id"),
        ({"kind": "area"}, "area"),
        (
            {
                "kind": "danger_zone",
                "segment_id": 1,
                "area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
            },
            "segment_id",
        ),
        (
            {
                "kind": "area",
                "area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
            },
            "area",
        ),
        ({"kind": "tunnel"}, "kind"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/closures", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["field"] == field, body
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Closure)) == 0


def test_a_closure_made_through_another_process_shows_in_the_next_route(
    settings: Settings, engine: Engine, clock: FrozenClock, session: Session, sessions: sessionmaker[Session]
) -> None:
    load_grid(sessions, clock)
    bc = segment_id(session, B, C)
    with (
        TestClient(create_app(settings, clock=clock, engine=engine, jobs=Jobs.untimed)) as one,
        TestClient(create_app(settings, clock=clock, engine=engine, jobs=Jobs.untimed)) as other,
    ):
        before = route(one, A, C)
        assert other.post("/api/v1/closures", json={"kind": "road", "segment_id": bc}).status_code == 201
        assert bc not in route(one, A, C)["properties"]["segment_ids"]
        assert route(one, A, C)["properties"]["eta_s"] > before["properties"]["eta_s"]


def test_reimported_road_layer_is_routed_on(
    client: TestClient, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    load_grid(sessions, clock)
    slow = route(client, A, C)
    load_grid(sessions, clock, [*GRID, _road("快速路", A, C, road_class="trunk", speed_kmh=120)])
    fast = route(client, A, C)
    assert roads_of(fast) == ["快速路"]
    assert fast["properties"]["eta_s"] < slow["properties"]["eta_s"] / 1.5


def test_route_without_roads_is_unavailable(client: TestClient) -> None:
    response = client.get("/api/v1/route", params={"from": "118.9,25.1", "to": "118.94,25.1"})
    assert response.status_code == 503
    assert "road layer" in response.json()["detail"]
    bad = client.get("/api/v1/route", params={"from": "118.9", "to": "118.94,25.1"})
    assert bad.status_code == 422 and bad.json()["field"] == "from"


# --- points far from any road, and danger zones around the target ----------------------------


def route_or_not(client: TestClient, start: tuple[float, float], end: tuple[float, float]) -> dict[str, Any]:
    response = client.get(
        "/api/v1/route", params={"from": f"{start[0]},{start[1]}", "to": f"{end[0]},{end[1]}"}
    )
    assert response.status_code == 200, response.text
    feature: dict[str, Any] = response.json()
    return feature


def test_a_point_far_from_any_road_is_unreachable_with_the_reason(
    client: TestClient,
    settings: Settings,
    engine: Engine,
    clock: FrozenClock,
    sessions: sessionmaker[Session],
) -> None:
    load_grid(sessions, clock)
    at_sea = (118.91, 25.05)  # ≈ 5.6 km south of 南路
    near = (118.91, 25.091)  # ≈ 1 km south of it
    for start, end, which in [(at_sea, C, "start"), (A, at_sea, "destination")]:
        feature = route_or_not(client, start, end)
        assert feature["geometry"] is None and feature["properties"]["reachable"] is False
        reason = feature["properties"]["reason"]
        assert reason.startswith(f"the {which} is 5.6 km from the nearest open road"), reason
        assert "limit 2.0 km" in reason
    assert route_or_not(client, near, C)["properties"]["reachable"] is True

    # The limit is a setting.
    strict = settings.model_copy(update={"route_max_off_road_m": 500.0})
    with TestClient(create_app(strict, clock=clock, engine=engine, jobs=Jobs.untimed)) as other:
        feature = route_or_not(other, near, C)
        assert feature["properties"]["reachable"] is False
        assert "limit 0.5 km" in feature["properties"]["reason"]


def test_a_route_to_a_target_inside_a_danger_zone_ends_at_its_edge(
    client: TestClient, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    load_grid(sessions, clock)
    scene = (118.939, 25.1003)  # on 南路 near C
    zone = Polygon([(118.934, 25.097), (118.944, 25.097), (118.944, 25.104), (118.934, 25.104)])
    response = client.post(
        "/api/v1/closures",
        json={"kind": "danger_zone", "area": shapely.geometry.mapping(zone), "reason": "氯气泄漏"},
    )
    assert response.status_code == 201, response.text
    feature = route_or_not(client, A, scene)
    assert feature["properties"]["reachable"] is True
    line = LineString(feature["geometry"]["coordinates"])
    assert not line.intersects(zone.buffer(-1e-6))  # no straight walk across the zone
    approach = feature["properties"]["approach"]
    assert approach["type"] == "Point"
    assert feature["geometry"]["coordinates"][-1] == pytest.approx(approach["coordinates"], abs=1e-6)
    # 南路 is closed where it meets the zone, but driven up to the zone's western edge.
    assert approach["coordinates"] == pytest.approx([118.934, 25.10], abs=1e-6)
    assert roads_of(feature) == ["南路"]
    # ≈ 0.005° of longitude and 0.0003° of latitude from the scene.
    assert approach["distance_to_target_m"] == pytest.approx(504, abs=3)
    assert all(leg["kind"] == "road" for leg in feature["properties"]["legs"])

    # From the north-east, the way in is 东路, up to the zone's northern edge.
    north_east = route_or_not(client, (118.94, 25.1199), scene)
    assert north_east["properties"]["approach"]["coordinates"] == pytest.approx([118.94, 25.104], abs=1e-6)
    assert not LineString(north_east["geometry"]["coordinates"]).intersects(zone.buffer(-1e-6))
