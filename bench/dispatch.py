"""Benchmarks: team recommendations on a real road graph, beside a naive baseline.

Setup: the Andorra OpenStreetMap extract imported with `roads.service.import_osm` (3,586 drivable
segments), 1,000 generated teams near its roads with random capabilities, the demo response
plans, and incidents at random points of the network. Measured in one run, on PostGIS when it
answers (SpatiaLite otherwise):

- recommendation, in process: `dispatch.service.recommend` for one incident (DB reads, snapping,
  one reverse Dijkstra, ranking per need, route geometry for the first 3 per need); every call on a
  new incident, so the search is never served from the cache ("cold"), and the same incident
  again ("warm");
- baseline, in the same process and pipeline: `recommend` with the travel times computed by one
  networkx shortest-path search per team (networkx's bidirectional Dijkstra), no route geometry;
- recommendation over HTTP from a real `commandpost serve`;
- a road closure on the top team's route: POST /closures, then the next GET recommendations must
  show the new route (time from sending the closure to having the changed recommendation).
"""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import threading
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx2 as httpx
import numpy as np
import shapely
from sqlalchemy import insert, select

from bench.support import fresh_postgis, migrated, percentiles, served
from commandpost import db
from commandpost.clock import SystemClock
from commandpost.config import Settings
from commandpost.dispatch import plans
from commandpost.dispatch import service as dispatch
from commandpost.incidents import flows as incidents
from commandpost.incidents.schemas import IncidentCreate
from commandpost.roads import service as roads
from commandpost.roads.models import RoadSegment
from commandpost.routing import service as routing
from commandpost.routing.graph import OFF_ROAD_KMH, Travel
from commandpost.teams.models import Capability, Team

REPO = Path(__file__).resolve().parents[1]
ANDORRA = REPO / "tests" / "data" / "road_network" / "andorra" / "andorra-latest.osm.pbf"
PLANS = REPO / "gis_data" / "response_plans.json"
DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/commandpost_bench_dispatch"
TEAMS = 1000
COLD_RUNS = 60
WARM_RUNS = 60
BASELINE_RUNS = 5
HTTP_RUNS = 60
CLOSURE_RUNS = 10


def _settings() -> Settings:
    """A database of our own (other benchmarks use commandpost_bench), fresh every run."""
    try:
        return fresh_postgis(DATABASE_URL)
    except Exception as exc:  # SpatiaLite instead
        print(f"PostGIS not reachable ({exc}); benchmarking on SpatiaLite")
        path = REPO / "bench" / "out" / "dispatch.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return Settings(database_url=f"sqlite:///{path}")


def _points_near_roads(
    lines: list[Any], rng: random.Random, count: int, spread_m: float
) -> list[tuple[float, float]]:
    """Random points within `spread_m` of random road points (what a team base or an incident is)."""
    out = []
    for _ in range(count):
        line = lines[rng.randrange(len(lines))]
        p = line.interpolate(rng.random(), normalized=True)
        angle, dist = rng.uniform(0, 2 * math.pi), rng.uniform(0, spread_m)
        dlat = dist * math.cos(angle) / 111_320
        dlon = dist * math.sin(angle) / (111_320 * math.cos(math.radians(p.y)))
        out.append((round(p.x + dlon, 6), round(p.y + dlat, 6)))
    return out


def prepare(settings: Settings) -> dict[str, Any]:
    """Andorra's roads, 1,000 teams, the demo plans; returns what was made."""
    migrated(settings)
    engine = db.make_engine(settings)
    clock = SystemClock()
    rng = random.Random(4)
    with db.make_sessionmaker(engine)() as session:
        start = time.perf_counter()
        report = roads.import_osm(session, path=ANDORRA, clock=clock)
        session.commit()
        import_s = time.perf_counter() - start
        list(plans.load_plans(session, data=json.loads(PLANS.read_text(encoding="utf-8")), now=clock.now()))
        session.commit()
        lines = list(shapely.from_wkb([g.data for g in session.scalars(select(RoadSegment.geom))]))
    capabilities = [c.value for c in Capability]
    now = datetime.now(UTC)
    rows = []
    for i, (lon, lat) in enumerate(_points_near_roads(lines, rng, TEAMS, 150)):
        point = f"SRID=4326;POINT({lon} {lat})"
        rows.append(
            {
                "ref": f"AD{i:04d}",
                "name": f"bench team {i}",
                "kind": "professional",
                "tier": "enterprise",
                "headcount": rng.randint(5, 40),
                "capabilities": rng.sample(capabilities, rng.randint(2, 6)),
                "vehicles": [],
                "equipment": [],
                "base": point,
                "position": point,
                "status": "available",
                "updated_at": now,
                "version": 1,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(Team), rows)
    incident_ids = []
    with db.make_sessionmaker(engine)() as session:
        for lon, lat in _points_near_roads(lines, rng, COLD_RUNS + BASELINE_RUNS + HTTP_RUNS + 10, 50):
            data = IncidentCreate.model_validate(
                {
                    "type": "leak",
                    "title": "bench leak",
                    "location": {"type": "Point", "coordinates": [lon, lat]},
                    "response_level": "II",
                }
            )
            incident_ids.append(incidents.report(session, data=data, clock=clock).id)
        session.commit()
    engine.dispose()
    return {"import_s": round(import_s, 2), "segments": report.segments, "incidents": incident_ids}


# --- the naive baseline: one networkx search per team ------------------------------------


def naive_reach(graph_nx: Any) -> Any:
    """A drop-in for `routing.reach` that searches once per source with networkx."""
    import networkx as nx  # type: ignore[import-untyped]

    def reach(net: Any, *, target: Any, sources: Any, field: str = "location") -> Any:
        g = net.graph
        t = net.snap(routing.lonlat_of([target]))
        s_t, f_t = int(t.seg[0]), float(t.frac[0])
        placed = net.snap(sources)
        off_speed = OFF_ROAD_KMH / 3.6
        sink = ("incident",)
        graph_nx.add_edge(int(g.seg_u[s_t]), sink, weight=f_t * g.seconds[s_t])
        if not g.oneway[s_t]:
            graph_nx.add_edge(int(g.seg_v[s_t]), sink, weight=(1 - f_t) * g.seconds[s_t])
        seconds = np.full(len(placed), np.inf)
        try:
            for i in range(len(placed)):
                s, f = int(placed.seg[i]), float(placed.frac[i])
                source = ("team", i)
                graph_nx.add_edge(source, int(g.seg_v[s]), weight=(1 - f) * g.seconds[s])
                if not g.oneway[s]:
                    graph_nx.add_edge(source, int(g.seg_u[s]), weight=f * g.seconds[s])
                try:
                    road = nx.shortest_path_length(graph_nx, source, sink, weight="weight")
                except nx.NetworkXNoPath:
                    road = math.inf
                if s == s_t and (f <= f_t or not g.oneway[s]):  # straight along the incident's road
                    road = min(road, abs(f_t - f) * g.seconds[s])
                seconds[i] = road + (placed.off_m[i] + t.off_m[0]) / off_speed
                if max(placed.off_m[i], t.off_m[0]) > net.max_off_road_m:  # as routing.reach
                    seconds[i] = math.inf
                graph_nx.remove_node(source)
        finally:
            graph_nx.remove_node(sink)
        travel = Travel(
            seconds=seconds,
            metres=np.where(np.isfinite(seconds), 0.0, np.inf),
            via=np.zeros(len(placed), dtype=np.int64),
            backward=np.zeros(len(placed), dtype=bool),
        )

        class NaiveReach:
            target_reason = None
            approach = None

            def __init__(self) -> None:
                self.travel = travel

            def route(self, i: int) -> None:
                return None

            def reason(self, i: int) -> str | None:
                return None if math.isfinite(self.travel.seconds[i]) else "unreachable"

        return NaiveReach()

    return reach


def networkx_graph(net: Any) -> Any:
    import networkx as nx

    graph = nx.DiGraph()
    size = net.size
    for key, seg in zip(net.edge_key.tolist(), net.edge_seg.tolist(), strict=True):
        graph.add_edge(key // size, key % size, weight=float(net.graph.seconds[seg]))
    return graph


# --- runs --------------------------------------------------------------------------------


def in_process(settings: Settings, incident_ids: list[int]) -> dict[str, Any]:
    import networkx as nx

    engine = db.make_engine(settings)
    sessions = db.make_sessionmaker(engine, read_only=True)
    router = routing.Router()
    clock = SystemClock()
    with sessions() as session:
        start = time.perf_counter()
        net = router.network(session)
        build_s = time.perf_counter() - start
        dispatch.recommend(session, incident_id=incident_ids[-1], router=router, clock=clock)  # warm imports

    cold, cold_cpu, checked = [], [], []
    for incident_id in incident_ids[:COLD_RUNS]:
        with sessions() as session:
            start, cpu = time.perf_counter(), time.thread_time()
            result = dispatch.recommend(session, incident_id=incident_id, router=router, clock=clock)
            cold.append(time.perf_counter() - start)
            cold_cpu.append(time.thread_time() - cpu)
        checked.append(result)
    warm = []
    for _ in range(WARM_RUNS):
        with sessions() as session:
            start = time.perf_counter()
            dispatch.recommend(session, incident_id=incident_ids[0], router=router, clock=clock)
            warm.append(time.perf_counter() - start)

    closure_s = _closures_in_process(engine, router, incident_ids[COLD_RUNS - CLOSURE_RUNS : COLD_RUNS])

    graph_nx = networkx_graph(net)
    original = routing.reach
    baseline, agree = [], []
    try:
        routing.reach = naive_reach(graph_nx)
        for k, incident_id in enumerate(incident_ids[:BASELINE_RUNS]):
            with sessions() as session:
                start = time.perf_counter()
                naive = dispatch.recommend(session, incident_id=incident_id, router=router, clock=clock)
                baseline.append(time.perf_counter() - start)
            agree.append(_same_ranking(checked[k], naive))
    finally:
        routing.reach = original
    engine.dispose()
    reachable = statistics.mean(
        sum(c["reachable"] for n in r["needs"] for c in n["candidates"])
        / max(1, sum(len(n["candidates"]) for n in r["needs"]))
        for r in checked
    )
    return {
        "graph": {"nodes": net.graph.n_nodes, "edges": net.edges, "build_s": round(build_s, 3)},
        "networkx": nx.__version__,
        "recommend_cold": percentiles(cold),
        "recommend_cold_cpu": percentiles(cold_cpu),
        "recommend_warm": percentiles(warm),
        "baseline_networkx_per_team": percentiles(baseline),
        "speedup_p50_cold_vs_baseline": round(statistics.median(baseline) / statistics.median(cold), 1),
        "closure_to_changed_recommendation": percentiles([c[0] for c in closure_s]),
        "closures_reflected": f"{sum(c[1] for c in closure_s)}/{len(closure_s)}",
        "rankings_agree_with_baseline": all(agree),
        "share_of_listed_candidates_reachable": round(reachable, 3),
    }


def _closures_in_process(
    engine: Any, router: routing.Router, incident_ids: list[int]
) -> list[tuple[float, bool]]:
    """Close a road on the top team's route (committed, teams on their way re-routed), then recommend
    again: seconds from the start of the closure to the changed recommendation."""
    from commandpost.routing.schemas import ClosureCreate

    clock = SystemClock()
    writes, reads = db.make_sessionmaker(engine), db.make_sessionmaker(engine, read_only=True)
    out = []
    for incident_id in incident_ids:
        with reads() as session:
            before = dispatch.recommend(session, incident_id=incident_id, router=router, clock=clock)
        top = next(c for n in before["needs"] for c in n["candidates"] if c["route"] is not None)
        segments = top["route"]["properties"]["segment_ids"]
        start = time.perf_counter()
        with writes() as session:
            data = ClosureCreate(kind="road", segment_id=segments[len(segments) // 2])
            closure, net = routing.create(session, data=data, router=router, clock=clock)
            dispatch.reroute(session, net=net, clock=clock, reason="bench")
            session.commit()
        with reads() as session:
            after = dispatch.recommend(session, incident_id=incident_id, router=router, clock=clock)
        elapsed = time.perf_counter() - start
        again = [c for n in after["needs"] for c in n["candidates"] if c["team_id"] == top["team_id"]]
        out.append((elapsed, not again or again[0]["eta_s"] != top["eta_s"]))
        with writes() as session:
            routing.lift(session, closure_id=closure.id, router=router, clock=clock)
            session.commit()
    return out


def _same_ranking(ours: dict[str, Any], naive: dict[str, Any]) -> bool:
    """Both list candidates with the same ETAs in the same order (to 0.5 s; ties may swap teams)."""
    for a, b in zip(ours["needs"], naive["needs"], strict=True):
        ids_a = [(c["team_id"], c["eta_s"]) for c in a["candidates"]]
        ids_b = [(c["team_id"], c["eta_s"]) for c in b["candidates"]]
        for (_, ea), (_, eb) in zip(ids_a, ids_b, strict=True):
            if ea is None or eb is None:
                if ea != eb:
                    return False
                continue
            if abs(ea - eb) > 0.5:
                return False
    return True


def over_http(settings: Settings, incident_ids: list[int]) -> dict[str, Any]:
    first = COLD_RUNS + BASELINE_RUNS
    ids = incident_ids[first : first + HTTP_RUNS]
    closure_ids = incident_ids[first + HTTP_RUNS :][:CLOSURE_RUNS]
    with served(settings) as base, httpx.Client(base_url=base, timeout=60) as client:
        client.get(f"/api/v1/incidents/{incident_ids[-1]}/recommendations").raise_for_status()
        cold = []
        for incident_id in ids:
            start = time.perf_counter()
            response = client.get(f"/api/v1/incidents/{incident_id}/recommendations")
            cold.append(time.perf_counter() - start)
            response.raise_for_status()
        warm = []
        for _ in range(HTTP_RUNS):
            start = time.perf_counter()
            client.get(f"/api/v1/incidents/{ids[0]}/recommendations").raise_for_status()
            warm.append(time.perf_counter() - start)
        closures = []
        for incident_id in closure_ids:
            closures.append(_closure_round(client, incident_id))
    return {
        "recommend_cold": percentiles(cold),
        "recommend_warm": percentiles(warm),
        "closure_to_changed_recommendation": percentiles([c["total_s"] for c in closures]),
        "closure_post": percentiles([c["post_s"] for c in closures]),
        "closures_reflected": sum(c["changed"] for c in closures),
        "closures_tried": len(closures),
    }


def _closure_round(client: httpx.Client, incident_id: int) -> dict[str, Any]:
    """Close a road on the top team's route; time until a recommendation shows the team's new route."""
    before = client.get(f"/api/v1/incidents/{incident_id}/recommendations").json()
    need, top = next(
        (n["need"], c) for n in before["needs"] for c in n["candidates"] if c["route"] is not None
    )
    segments = top["route"]["properties"]["segment_ids"]
    closed = segments[len(segments) // 2]
    start = time.perf_counter()
    post = client.post("/api/v1/closures", json={"kind": "road", "segment_id": closed, "reason": "bench"})
    post_s = time.perf_counter() - start
    post.raise_for_status()
    after = client.get(f"/api/v1/incidents/{incident_id}/recommendations")
    total_s = time.perf_counter() - start
    after.raise_for_status()
    again = next(
        (
            c
            for n in after.json()["needs"]
            if n["need"] == need
            for c in n["candidates"]
            if c["team_id"] == top["team_id"]
        ),
        None,
    )
    if again is None:  # fell out of the first five: slower now
        changed = True
    elif again["route"] is not None:
        changed = closed not in again["route"]["properties"]["segment_ids"]
    else:
        changed = again["eta_s"] != top["eta_s"]
    client.delete(f"/api/v1/closures/{post.json()['id']}").raise_for_status()
    return {"post_s": post_s, "total_s": total_s, "changed": changed}


# --- end to end under background load ----------------------------------------------------

E2E_RUNS = 30
MOVING_TEAMS = 500
SENSORS = 200


def end_to_end(settings: Settings) -> dict[str, Any]:
    """Incident created → recommendations → first team dispatched → its event on a dashboard's
    websocket, while 500 units report positions and 200 gas detectors report readings every second."""
    from websockets.sync.client import connect

    rng = random.Random(9)
    with served(settings) as base, httpx.Client(base_url=base, timeout=60) as client:
        teams = client.get("/api/v1/teams", params={"limit": 10000}).json()["features"]
        moving = [(t["id"], *t["geometry"]["coordinates"]) for t in teams[:MOVING_TEAMS]]
        lons = [t["geometry"]["coordinates"][0] for t in teams]
        lats = [t["geometry"]["coordinates"][1] for t in teams]
        for i in range(SENSORS):
            body = {
                "ref": f"AD-GAS-{i:03d}",
                "kind": "combustible_gas",
                "location": {"type": "Point", "coordinates": [rng.choice(lons), rng.choice(lats)]},
                "alarm_1": 25,
                "alarm_2": 50,
                "expected_interval_s": 60,
            }
            client.post("/api/v1/sensors", json=body).raise_for_status()

        stop = threading.Event()
        load = {"position_batches": 0, "reading_batches": 0, "errors": 0}

        def positions() -> None:
            with httpx.Client(base_url=base, timeout=30) as http:
                while not stop.is_set():
                    started = time.monotonic()
                    batch = [
                        {
                            "team": tid,
                            "lon": lon + rng.uniform(-1e-4, 1e-4),
                            "lat": lat + rng.uniform(-1e-4, 1e-4),
                        }
                        for tid, lon, lat in moving
                    ]
                    ok = http.post("/api/v1/teams/positions", json={"positions": batch}).status_code == 200
                    load["position_batches" if ok else "errors"] += 1
                    stop.wait(max(0.0, 1.0 - (time.monotonic() - started)))

        def readings() -> None:
            with httpx.Client(base_url=base, timeout=30) as http:
                while not stop.is_set():
                    started = time.monotonic()
                    batch = [
                        {"sensor": f"AD-GAS-{i:03d}", "value": round(rng.uniform(0, 8), 1)}
                        for i in range(SENSORS)
                    ]
                    ok = http.post("/api/v1/sensors/readings", json={"readings": batch}).status_code == 200
                    load["reading_batches" if ok else "errors"] += 1
                    stop.wait(max(0.0, 1.0 - (time.monotonic() - started)))

        seen: dict[int, float] = {}
        arrived = threading.Condition()

        def dashboard(ws: Any) -> None:
            for raw in ws:
                message = json.loads(raw)
                if message.get("type") == "event" and message.get("event") == "assignment.created":
                    with arrived:
                        seen[int(message["entity_id"])] = time.perf_counter()
                        arrived.notify_all()

        address = base.replace("http://", "ws://") + "/api/v1/stream?layers=incidents"
        samples: list[float] = []
        steps: dict[str, list[float]] = {"create": [], "recommend": [], "assign": [], "event": []}
        with connect(address, max_size=None, open_timeout=30) as ws:
            reader = threading.Thread(target=dashboard, args=(ws,), daemon=True)
            reader.start()
            workers = [threading.Thread(target=positions), threading.Thread(target=readings)]
            for w in workers:
                w.start()
            time.sleep(3)  # let the load settle
            for _ in range(E2E_RUNS):
                lon, lat = rng.choice(lons), rng.choice(lats)
                start = time.perf_counter()
                created = client.post(
                    "/api/v1/incidents",
                    json={
                        "type": "leak",
                        "title": "e2e",
                        "location": {"type": "Point", "coordinates": [lon, lat]},
                        "response_level": "II",
                    },
                )
                created.raise_for_status()
                t1 = time.perf_counter()
                incident_id = created.json()["id"]
                result = client.get(f"/api/v1/incidents/{incident_id}/recommendations").json()
                t2 = time.perf_counter()
                pick = next(c for n in result["needs"] for c in n["candidates"] if c["reachable"])
                assigned = client.post(
                    f"/api/v1/incidents/{incident_id}/assignments", json={"team_id": pick["team_id"]}
                )
                assigned.raise_for_status()
                t3 = time.perf_counter()
                assignment_id = assigned.json()["id"]
                with arrived:
                    arrived.wait_for(partial(seen.__contains__, assignment_id), timeout=10)
                end = seen.get(assignment_id, math.inf)
                samples.append(end - start)
                for name, value in zip(steps, (t1 - start, t2 - t1, t3 - t2, end - t3), strict=True):
                    steps[name].append(value)
                client.post(
                    f"/api/v1/incidents/{incident_id}/assignments/{assignment_id}/status",
                    json={"status": "available"},
                ).raise_for_status()
                time.sleep(0.3)
            stop.set()
            for w in workers:
                w.join()
    ordered = sorted(samples)
    return {
        "runs": len(samples),
        "created_to_dispatch_event": {
            **percentiles(samples),
            "p99_ms": round(ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000, 1),
        },
        "steps_p50_ms": {name: round(statistics.median(v) * 1000, 1) for name, v in steps.items()},
        "background": {
            "moving_units_per_s": MOVING_TEAMS,
            "readings_per_s": SENSORS,
            **load,
        },
    }


def run() -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    settings = _settings()
    made = prepare(settings)
    backend = "spatialite" if settings.is_sqlite else "postgis"
    results = {
        "backend": backend,
        "teams": TEAMS,
        "andorra_import_s": made["import_s"],
        "segments": made["segments"],
        "in_process": in_process(settings, made["incidents"]),
        "http": over_http(settings, made["incidents"]),
        "end_to_end_under_load": end_to_end(settings),
        "machine_load_1min": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "cpus": os.cpu_count(),
    }
    return results


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
