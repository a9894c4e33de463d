"""Benchmarks (a) sensor ingestion and (b) positions, through a real `commandpost serve`.

Each is measured beside its baseline in the same run, on SpatiaLite and (when reachable) PostGIS.

(a) Sensor readings through `POST /api/v1/sensors/readings` in batches of 500 (JSON), readings
    stored and alarms evaluated. Baseline: a bare DB-API `executemany` INSERT of the same rows,
    one commit per 500, with no HTTP, no parsing and no rules.
    - throughput: 4 clients back to back for THROUGHPUT_S seconds: readings/s and ratio to baseline;
    - alarms: every batch carries one reading that puts a fresh detector (its own hazard source)
      into second alarm, so that batch must issue a warning. Latency from the batch's scheduled send
      to its response (the warning event is committed in the same transaction, before the reply),
      and to the `warning.issued` message on the live websocket stream, at a steady 2,000
      readings/s (4 batches/s, a district of 60,000 detectors reporting every 30 s) for STEADY_S,
      then a 10× burst (20,000 readings/s) for BURST_S; afterwards every injected alarm is checked
      (sensor state, state_changed event, one warning at its source, seen on the stream).
(b) Positions: POSITION_UNITS units reporting at 1 Hz through `POST /api/v1/teams/positions`
    from 20 fleet gateways (100 units each, one batch per second each, spread over the second), for
    POSITIONS_S: ack p99, and time until each `team.moved` is on the live stream. Also a scaled-down
    run of SINGLE_UNITS units each POSTing its own `/teams/{id}/position` at 1 Hz, and the capacity:
    positions/s from 4 gateways sending 100-unit batches back to back. Baseline: a bare
    `executemany` UPDATE of the same 100 positions per batch, one commit each.

Durations are scaled down (tens of seconds, not minutes) to fit a 2-core machine shared with
other work; the load generator runs on the same two cores as the server and the database.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2 as httpx
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bench.support import backends, load_generator_gc, migrated, served
from commandpost import db
from commandpost.config import Settings
from commandpost.events.models import Event
from commandpost.hazards.models import HazardSource
from commandpost.sensors.models import Sensor, SensorReading
from commandpost.teams.models import Team
from commandpost.warnings.models import Warning

BATCH = 500
BACKGROUND_SENSORS = 5_000
ALARM_SENSORS = 3_000  # one per hazard source, each used once
THROUGHPUT_S = float(os.environ.get("BENCH_THROUGHPUT_S", 15))
STEADY_S = float(os.environ.get("BENCH_STEADY_S", 10))
BURST_S = float(os.environ.get("BENCH_BURST_S", 10))
STEADY_BATCHES_PER_S = 4  # 2,000 readings/s
POSITION_UNITS = 2_000
GATEWAYS = 20
POSITIONS_S = float(os.environ.get("BENCH_POSITIONS_S", 15))
SINGLE_UNITS = int(os.environ.get("BENCH_SINGLE_UNITS", 50))
SINGLE_S = float(os.environ.get("BENCH_SINGLE_S", 10))
POSTGIS_URL = os.environ.get(
    "BENCH_LIVE_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/commandpost_bench_live"
)
JSON = {"Content-Type": "application/json"}


def pct(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50_ms": pct(samples, 0.50),
        "p99_ms": pct(samples, 0.99),
        "max_ms": pct(samples, 1.0),
    }


# --- seeding -----------------------------------------------------------------------------------


def seed(settings: Settings) -> None:
    """Hazard sources and sensors for (a), teams for (b), inserted directly."""
    rng = random.Random(3)
    now = datetime.now(UTC)
    engine = db.make_engine(settings)

    def point() -> str:
        return f"SRID=4326;POINT({rng.uniform(118.85, 119.0):.6f} {rng.uniform(25.1, 25.2):.6f})"

    sources = [
        {
            "ref": f"HS{i:05d}",
            "enterprise": "bench enterprise",
            "name": f"tank farm {i}",
            "site": point(),
            "updated_at": now,
            "version": 1,
        }
        for i in range(ALARM_SENSORS + 50)
    ]

    def sensor(ref: str, source: int) -> dict[str, Any]:
        return {
            "ref": ref,
            "kind": "combustible_gas",
            "unit": "%LEL",
            "substance": "丙烯",
            "location": point(),
            "hazard_source_id": source,
            "alarm_1": 20.0,
            "alarm_2": 40.0,
            "expected_interval_s": 86_400,  # the sweep must not take them offline mid-run
            "state": "normal",
            "updated_at": now,
            "version": 1,
        }

    sensors = [sensor(f"BG{i:05d}", ALARM_SENSORS + 1 + i % 50) for i in range(BACKGROUND_SENSORS)]
    sensors += [sensor(f"AL{i:05d}", i + 1) for i in range(ALARM_SENSORS)]
    teams = []
    for i in range(POSITION_UNITS):
        p = point()
        teams.append(
            {
                "ref": f"U{i:05d}",
                "name": f"unit {i}",
                "kind": "fire_rescue",
                "tier": "enterprise",
                "headcount": 6,
                "capabilities": [],
                "vehicles": [],
                "equipment": [],
                "base": p,
                "position": p,
                "status": "available",
                "updated_at": now,
                "version": 1,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(HazardSource), sources)
        conn.execute(insert(Sensor), sensors)
        conn.execute(insert(Team), teams)
    engine.dispose()


def ids_by_ref(settings: Settings) -> tuple[list[int], list[int], list[int]]:
    engine = db.make_engine(settings)
    with engine.connect() as conn:
        background = list(conn.scalars(select(Sensor.id).where(Sensor.ref.like("BG%")).order_by(Sensor.ref)))
        alarm = list(conn.scalars(select(Sensor.id).where(Sensor.ref.like("AL%")).order_by(Sensor.ref)))
        teams = list(conn.scalars(select(Team.id).order_by(Team.ref)))
    engine.dispose()
    return background, alarm, teams


# --- (a) sensor readings -----------------------------------------------------------------------


class Batches:
    """Batches of 500 readings: background detectors at normal values, one of them swapped for a
    fresh alarm detector reading 45 %LEL (second alarm) in each batch that carries an alarm."""

    def __init__(self, background: list[int], alarm: list[int]) -> None:
        self.background = background
        self.alarm = iter(alarm)
        self.base = datetime.now(UTC) - timedelta(hours=1)
        self.n = 0
        self.rng = random.Random(5)

    def next(self, *, with_alarm: bool) -> tuple[bytes, list[tuple[int, datetime, float]], int | None]:
        n, self.n = self.n, self.n + 1
        at = self.base + timedelta(milliseconds=n)
        start = (n * BATCH) % len(self.background)
        sensors = [self.background[(start + i) % len(self.background)] for i in range(BATCH)]
        rows = [(sid, at, round(self.rng.uniform(0.0, 5.0), 2)) for sid in sensors]
        alarm_sensor = None
        if with_alarm:
            alarm_sensor = next(self.alarm)
            rows[-1] = (alarm_sensor, at, 45.0)
        stamp = at.isoformat()
        body = json.dumps(
            {"readings": [{"sensor": s, "at": stamp, "value": v} for s, _, v in rows]}, separators=(",", ":")
        ).encode()
        return body, rows, alarm_sensor


def baseline_insert(settings: Settings, batches: list[list[tuple[int, datetime, float]]]) -> float:
    """Bare DB-API executemany of the same rows, one commit per batch: readings/s."""
    engine = db.make_engine(settings)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        start = time.perf_counter()
        for rows in batches:
            if settings.is_sqlite:
                cur.execute("BEGIN")
                cur.executemany(
                    "INSERT INTO sensor_readings (sensor_id, at, value) VALUES (?, ?, ?)",
                    [
                        (s, a.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"), v)
                        for s, a, v in rows
                    ],
                )
                cur.execute("COMMIT")
            else:
                cur.executemany(
                    "INSERT INTO sensor_readings (sensor_id, at, value) VALUES (%s, %s, %s)", rows
                )
                raw.commit()
        elapsed = time.perf_counter() - start
        cur.execute("DELETE FROM sensor_readings")
        if not settings.is_sqlite:
            raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return sum(len(b) for b in batches) / elapsed


class StreamWatch:
    """A websocket dashboard on the live stream, noting when each event of interest arrives."""

    def __init__(self, base: str, layers: str, key: Callable[[dict[str, Any]], Any | None]) -> None:
        self.url = base.replace("http://", "ws://") + f"/api/v1/stream?layers={layers}"
        self.key = key
        self.seen: dict[Any, float] = {}
        self.error: str | None = None
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            from websockets.sync.client import connect

            with connect(self.url, max_size=None, open_timeout=30) as ws:
                while not self.stop.is_set():
                    try:
                        raw = ws.recv(timeout=0.5)
                    except TimeoutError:
                        continue
                    now = time.perf_counter()
                    message = json.loads(raw)
                    if message.get("type") == "snapshot":
                        self.ready.set()
                    elif message.get("type") == "event":
                        k = self.key(message)
                        if k is not None:
                            self.seen.setdefault(k, now)
        except Exception as exc:  # reported, not fatal: the stream is another helper's work
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.ready.set()

    def __enter__(self) -> StreamWatch:
        self.thread.start()
        self.ready.wait(60)
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(1.0)
        self.stop.set()
        self.thread.join(5)


@contextmanager
def clients() -> Iterator[Callable[[], httpx.Client]]:
    local = threading.local()
    made: list[httpx.Client] = []

    def get() -> httpx.Client:
        c = getattr(local, "client", None)
        if c is None:
            c = httpx.Client(timeout=120)
            local.client = c
            made.append(c)
        return c

    try:
        yield get
    finally:
        for c in made:
            c.close()


def paced(
    url: str | Callable[[Any], str],
    bodies: list[tuple[float, bytes, Any]],
    *,
    workers: int = 24,
) -> list[tuple[Any, float, float, int]]:
    """POST each body at its offset (s) from now; (tag, scheduled, answered, status) per request.
    `url` is one address, or the address for a body's tag.

    Latency counts from the scheduled time, so a server falling behind is not hidden by a client
    that waits for it (no coordinated omission).
    """
    out: list[tuple[Any, float, float, int]] = []
    lock = threading.Lock()
    with clients() as client, ThreadPoolExecutor(workers) as pool:
        # Every sender opens its client and connection first, as a gateway keeps its own open:
        # setting one up (an SSL context even for http) mid-run would be counted as server latency.
        ready = threading.Barrier(workers)
        address = url if callable(url) else lambda _tag: url
        health = address(bodies[0][2]).split("/api/")[0] + "/healthz"

        def warm() -> None:
            client().get(health)
            ready.wait()

        for warming in [pool.submit(warm) for _ in range(workers)]:
            warming.result()
        t0 = time.perf_counter() + 0.2

        def send(scheduled: float, body: bytes, tag: Any) -> None:
            try:
                status = client().post(address(tag), content=body, headers=JSON).status_code
            except httpx.HTTPError:
                status = 0  # counted as an error, e.g. a timeout
            done = time.perf_counter()
            with lock:
                out.append((tag, scheduled, done, status))

        futures = []
        for offset, body, tag in bodies:
            at = t0 + offset
            delay = at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(send, at, body, tag))
        for f in futures:
            f.result()
    return out


def ingest(settings: Settings, name: str) -> dict[str, Any]:
    # SpatiaLite takes one writer at a time and tops out well below 20,000 readings/s: its steady
    # rate is 500 readings/s, its burst 10× that.
    steady_per_s = STEADY_BATCHES_PER_S if name == "postgis" else 1
    background, alarm, _ = ids_by_ref(settings)
    batches = Batches(background, alarm)
    warm = [batches.next(with_alarm=False)[0] for _ in range(3)]
    through = [batches.next(with_alarm=i % 10 == 0) for i in range(int(THROUGHPUT_S * 60))]
    baseline_rows = [rows for _, rows, _ in through]
    baseline = baseline_insert(settings, baseline_rows[:200])
    result: dict[str, Any] = {"baseline_executemany_readings_per_s": round(baseline)}

    injected: dict[int, tuple[str, float]] = {}  # alarm sensor -> (phase, scheduled send)
    with load_generator_gc(), served(settings) as base:
        url = base + "/api/v1/sensors/readings"
        # Source of each alarm sensor = its position among the alarm sensors + 1 (see seed()).
        source_of = {sid: i + 1 for i, sid in enumerate(alarm)}
        sensor_of_source = {v: k for k, v in source_of.items()}

        def warning_key(message: dict[str, Any]) -> int | None:
            if message.get("event") != "warning.issued":
                return None
            source = message["payload"]["feature"]["properties"].get("hazard_source_id")
            return sensor_of_source.get(source)

        with clients() as client:  # warm: connections, caches, the first ORM compile
            for body in warm:
                assert client().post(url, content=body, headers=JSON).status_code == 200

        with StreamWatch(base, "warnings", warning_key) as watch:
            # Throughput: 4 clients back to back.
            queue = iter(through)
            lock = threading.Lock()
            stats = {"readings": 0, "requests": 0, "errors": 0}
            alarm_latency: list[float] = []
            stop_at = time.perf_counter() + THROUGHPUT_S

            def worker() -> None:
                with clients() as client:
                    while time.perf_counter() < stop_at:
                        with lock:
                            item = next(queue, None)
                        if item is None:
                            return
                        body, rows, alarm_sensor = item
                        sent = time.perf_counter()
                        try:
                            status = client().post(url, content=body, headers=JSON).status_code
                        except httpx.HTTPError:
                            status = 0
                        done = time.perf_counter()
                        with lock:
                            if status != 200:
                                stats["errors"] += 1
                                continue
                            stats["readings"] += len(rows)
                            stats["requests"] += 1
                            if alarm_sensor is not None:
                                injected[alarm_sensor] = ("throughput", sent)
                                alarm_latency.append(done - sent)

            start = time.perf_counter()
            threads = [threading.Thread(target=worker) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - start
            rate = stats["readings"] / elapsed
            result["throughput"] = {
                "seconds": round(elapsed, 1),
                "readings_per_s": round(rate),
                "ratio_to_baseline": round(rate / baseline, 2),
                "requests": stats["requests"],
                "errors": stats["errors"],
                "alarm_batch_to_committed": summary(alarm_latency),
            }

            # Steady 2,000 readings/s, then a 10× burst.
            plan: list[tuple[float, bytes, Any]] = []
            steady_n = int(STEADY_S * steady_per_s)
            for i in range(steady_n):
                body, _, sid = batches.next(with_alarm=True)
                plan.append((i / steady_per_s, body, ("steady", sid)))
            burst_rate = steady_per_s * 10
            for i in range(int(BURST_S * burst_rate)):
                body, _, sid = batches.next(with_alarm=True)
                plan.append((STEADY_S + i / burst_rate, body, ("burst", sid)))
            t_start = time.perf_counter()
            answered = paced(url, plan)
            phase_lat: dict[str, list[float]] = {"steady": [], "burst": []}
            errors = 0
            for (phase, sid), scheduled, done, status in answered:
                if status != 200:
                    errors += 1
                    continue
                injected[sid] = (phase, scheduled)
                phase_lat[phase].append(done - scheduled)
            took = time.perf_counter() - t_start
        on_stream: dict[str, list[float]] = {"throughput": [], "steady": [], "burst": []}
        for sid, (phase, sent) in injected.items():
            if sid in watch.seen:
                on_stream[phase].append(watch.seen[sid] - sent)
        result["alarms"] = {
            "steady_readings_per_s": BATCH * steady_per_s,
            "burst_readings_per_s": BATCH * burst_rate,
            "steady_to_committed": summary(phase_lat["steady"]),
            "burst_to_committed": summary(phase_lat["burst"]),
            "steady_to_stream": summary(on_stream["steady"]),
            "burst_to_stream": summary(on_stream["burst"]),
            "throughput_phase_to_stream": summary(on_stream["throughput"]),
            "paced_seconds": round(took, 1),
            "errors": errors,
            "stream_error": watch.error,
        }
    result["alarms"]["check"] = check_alarms(settings, injected, source_of, set(watch.seen))
    return result


def check_alarms(
    settings: Settings, injected: dict[int, Any], source_of: dict[int, int], on_stream: set[int]
) -> dict[str, Any]:
    """No alarm lost: each injected detector is in second alarm, has its event, and its source one warning."""
    engine = db.make_engine(settings)
    ids = list(injected)
    with Session(engine) as session:
        in_alarm = session.scalar(
            select(func.count()).select_from(Sensor).where(Sensor.id.in_(ids), Sensor.state == "alarm_2")
        )
        changed = session.scalar(
            select(func.count(func.distinct(Event.entity_id))).where(
                Event.type == "sensor.state_changed", Event.entity_id.in_(ids)
            )
        )
        sources = [source_of[i] for i in ids]
        warned = session.scalar(
            select(func.count()).select_from(Warning).where(Warning.hazard_source_id.in_(sources))
        )
        stored = session.scalar(select(func.count()).select_from(SensorReading))
    engine.dispose()
    return {
        "alarms_injected": len(ids),
        "sensors_in_alarm_2": in_alarm,
        "state_changed_events": changed,
        "warnings_issued": warned,
        "warnings_seen_on_stream": len(on_stream & set(ids)),
        "readings_stored": stored,
        "none_lost": len(ids) == in_alarm == changed == warned,
    }


# --- (b) positions -----------------------------------------------------------------------------


def baseline_positions(settings: Settings, teams: list[int], rounds: int = 20) -> dict[str, float]:
    """Bare executemany UPDATE of 100 positions, one commit each: the floor for one gateway batch."""
    engine = db.make_engine(settings)
    raw = engine.raw_connection()
    rng = random.Random(9)
    samples = []
    try:
        cur = raw.cursor()
        for r in range(rounds):
            chunk = teams[(r * 100) % len(teams) :][:100]
            at = datetime.now(UTC)
            if settings.is_sqlite:
                rows_s = [
                    (
                        rng.uniform(118.9, 119.0),
                        rng.uniform(25.1, 25.2),
                        at.replace(tzinfo=None).isoformat(sep=" "),
                        t,
                    )
                    for t in chunk
                ]
                start = time.perf_counter()
                cur.execute("BEGIN")
                cur.executemany(
                    "UPDATE teams SET position = MakePoint(?, ?, 4326), position_at = ? WHERE id = ?", rows_s
                )
                cur.execute("COMMIT")
            else:
                rows_p = [(rng.uniform(118.9, 119.0), rng.uniform(25.1, 25.2), at, t) for t in chunk]
                start = time.perf_counter()
                cur.executemany(
                    "UPDATE teams SET position = ST_SetSRID(ST_MakePoint(%s, %s), 4326), position_at = %s "
                    "WHERE id = %s",
                    rows_p,
                )
                raw.commit()
            samples.append(time.perf_counter() - start)
    finally:
        raw.close()
        engine.dispose()
    return summary(samples)


def position_capacity(url: str, teams: list[int], seconds: float = 10.0) -> dict[str, Any]:
    """Positions/s the server takes from 4 gateways sending 100-unit batches back to back."""
    base = datetime.now(UTC) + timedelta(seconds=60)  # newer than anything stored so far
    lock = threading.Lock()
    counter = iter(range(10**9))
    done = {"positions": 0, "errors": 0}
    samples: list[float] = []
    stop_at = time.perf_counter() + seconds

    def worker() -> None:
        with clients() as client:
            while time.perf_counter() < stop_at:
                with lock:
                    n = next(counter)
                chunk = teams[(n * 100) % len(teams) :][:100]
                stamp = (base + timedelta(milliseconds=n)).isoformat()
                body = json.dumps(
                    {"positions": [{"team": t, "lon": 118.9, "lat": 25.15, "at": stamp} for t in chunk]}
                ).encode()
                sent = time.perf_counter()
                try:
                    status = client().post(url, content=body, headers=JSON).status_code
                except httpx.HTTPError:
                    status = 0
                with lock:
                    if status == 200:
                        done["positions"] += len(chunk)
                        samples.append(time.perf_counter() - sent)
                    else:
                        done["errors"] += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return {
        "positions_per_s": round(done["positions"] / elapsed),
        "batch_latency": summary(samples),
        "errors": done["errors"],
    }


def positions(settings: Settings, name: str) -> dict[str, Any]:
    _, _, teams = ids_by_ref(settings)
    result: dict[str, Any] = {"baseline_executemany_100_updates": baseline_positions(settings, teams)}
    rng = random.Random(11)
    per_gateway = POSITION_UNITS // GATEWAYS
    start_at = datetime.now(UTC) + timedelta(seconds=5)
    plan: list[tuple[float, bytes, Any]] = []
    for second in range(int(POSITIONS_S)):
        stamp = (start_at + timedelta(seconds=second)).isoformat()
        for g in range(GATEWAYS):
            chunk = teams[g * per_gateway : (g + 1) * per_gateway]
            body = {
                "positions": [
                    {
                        "team": t,
                        "lon": round(rng.uniform(118.85, 119.0), 6),
                        "lat": round(rng.uniform(25.1, 25.2), 6),
                        "at": stamp,
                        "speed": 40.0,
                        "heading": 90.0,
                    }
                    for t in chunk
                ]
            }
            plan.append((second + g / GATEWAYS, json.dumps(body).encode(), (second, g)))

    def moved_key(message: dict[str, Any]) -> tuple[int, str] | None:
        if message.get("event") != "team.moved":
            return None
        return (message["entity_id"], message["payload"]["at"])

    with load_generator_gc(), served(settings) as base:
        url = base + "/api/v1/teams/positions"
        with StreamWatch(base, "teams", moved_key) as watch:
            # Warm-up gateway batch, then the run.
            with clients() as client:
                client().post(url, content=plan[0][1], headers=JSON)
            plan = plan[1:]
            answered = paced(url, plan)
        ack = [done - scheduled for _, scheduled, done, status in answered if status == 200]
        errors = sum(1 for *_, status in answered if status != 200)
        sent_at = {}
        for (second, g), scheduled, _, _ in answered:
            stamp = (start_at + timedelta(seconds=second)).isoformat()
            for t in teams[g * per_gateway : (g + 1) * per_gateway]:
                sent_at[(t, stamp)] = scheduled
        to_stream = [watch.seen[k] - s for k, s in sent_at.items() if k in watch.seen]
        result["gateways"] = {
            "units": POSITION_UNITS,
            "gateways": GATEWAYS,
            "seconds": POSITIONS_S,
            "reports_per_s": POSITION_UNITS,
            "ack": summary(ack),
            "errors": errors,
            "on_stream": summary(to_stream),
            "on_stream_within_1s": round(sum(1 for d in to_stream if d <= 1.0) / max(1, len(sent_at)), 4),
            "reports_sent": len(sent_at),
            "stream_error": watch.error,
        }

        # Scaled down: each unit POSTs its own position at 1 Hz.
        single_plan: list[tuple[float, bytes, Any]] = []
        later = datetime.now(UTC) + timedelta(seconds=2)
        for second in range(int(SINGLE_S)):
            stamp = (later + timedelta(seconds=second)).isoformat()
            for u in range(SINGLE_UNITS):
                one = json.dumps({"lon": 118.9 + u / 10_000, "lat": 25.15, "at": stamp}).encode()
                single_plan.append((second + u / SINGLE_UNITS, one, teams[u]))
        out = paced(lambda team: f"{base}/api/v1/teams/{team}/position", single_plan, workers=32)
        single_ack = [done - scheduled for _, scheduled, done, status in out if status == 200]
        result["single_reports"] = {
            "units": SINGLE_UNITS,
            "requests_per_s": SINGLE_UNITS,
            "seconds": SINGLE_S,
            "ack": summary(single_ack),
            "errors": sum(1 for *_, status in out if status != 200),
        }
        # Capacity: 4 gateways sending batches of 100 back to back (after the runs above: newer times).
        result["gateway_capacity"] = position_capacity(url, teams)
    engine = db.make_engine(settings)
    with engine.connect() as conn:
        result["team_moved_events"] = conn.scalar(
            select(func.count()).select_from(Event).where(Event.type == "team.moved")
        )
    engine.dispose()
    return result


def run() -> dict[str, Any]:
    results: dict[str, Any] = {}
    only = os.environ.get("BENCH_BACKENDS")
    for name, settings in backends("live_ingest", POSTGIS_URL):
        if only and name not in only.split(","):
            continue
        migrated(settings)
        seed(settings)
        results[name] = {"sensor_ingest": ingest(settings, name), "positions": positions(settings, name)}
        print(json.dumps({name: results[name]}, indent=1), file=sys.stderr, flush=True)
    return results


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
