"""Benchmarks: the map dashboard in headless Chromium (/usr/bin/chromium) against a real server.

- drawn: time from navigation to every demo layer drawn on the map (checked on the map itself:
  features rendered in each layer), cold browser cache, the demo district of gis_data/. Baseline in
  the same run: the same page's map with its style loaded and no data yet (`mapLoaded`), the floor
  that MapLibre's start-up and the software renderer cost before any layer is drawn.
- moving: 2,000 generated teams reporting positions at 1 Hz through POST /api/v1/teams/positions
  (one batch per second, as a fleet gateway does); the page follows them over the websocket stream.
  Measured in the page: animation frames per second and the longest frames, map redraws per second,
  team updates applied per second (and how many times the stream resent the whole layer instead),
  the lag from the event's commit to its application in the page, and the share of time the main
  thread spent in long tasks. The same again with the moves made up in the page (client only, no
  server in the loop), at 1920×1080 and 1280×720. Baseline in the same run: the same page with the
  same 2,000 teams standing still.

SpatiaLite only (the dashboard does not care which database serves it). Rendering is software
(SwiftShader) in this headless Chromium, on whatever cores the machine shares: a GPU does better.
"""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
from sqlalchemy import insert, text

from bench.support import OUT, migrated, served
from commandpost import db, loader
from commandpost.clock import SystemClock
from commandpost.config import Settings
from commandpost.teams.models import Team

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DRAWN_RUNS = 5
MOVING_TEAMS = 2000
MEASURE_S = 10.0
BBOX = (118.72, 25.10, 118.99, 25.23)

FRAME_PROBE = """async ({ms, synthetic}) => {
  const cp = window.__commandpost;
  const frames = [];
  const lags = [];
  let applied = 0;
  let snapshots = 0;
  let busy = 0;
  const longTasks = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) busy += entry.duration;
  });
  longTasks.observe({ entryTypes: ["longtask"] });
  const stop = cp.store.subscribe((changes) => {
    const now = Date.now();
    for (const c of changes) {
      if (c.kind === "upsert" && c.layer === "teams") applied++;
      if (c.kind === "reset" && c.layer === "teams") snapshots++;
      if (c.kind === "event" && c.event.entity_type === "team" && c.event.at) {
        lags.push(now - Date.parse(c.event.at));
      }
    }
  });
  // Client only: the same 2,000 moves a second, made up in the page instead of coming from the server.
  let fake = null;
  if (synthetic) {
    let id = (cp.store.lastEventId ?? 0) + 1;
    fake = setInterval(() => {
      const at = new Date().toISOString();
      for (const f of cp.store.features("teams")) {
        const [lon, lat] = f.geometry.coordinates;
        const step = () => (Math.random() - 0.5) * 0.0008;
        const moved = { ...f, geometry: { type: "Point", coordinates: [lon + step(), lat + step()] } };
        cp.inject({ type: "event", id: id++, event: "team.moved", entity_type: "team", entity_id: f.id, at,
                    payload: { feature: moved } });
      }
    }, 1000);
  }
  const renders0 = cp.renders();
  const t0 = performance.now();
  await new Promise((resolve) => {
    let last = t0;
    const tick = (t) => {
      frames.push(t - last);
      last = t;
      if (t - t0 < ms) requestAnimationFrame(tick); else resolve();
    };
    requestAnimationFrame(tick);
  });
  if (fake) clearInterval(fake);
  stop();
  longTasks.disconnect();
  const seconds = (performance.now() - t0) / 1000;
  frames.shift();
  frames.sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  const q = (xs, p) => xs.length ? xs[Math.min(xs.length - 1, Math.round(p * (xs.length - 1)))] : null;
  return {
    fps: +(frames.length / seconds).toFixed(1),
    frame_p95_ms: +(q(frames, 0.95) ?? 0).toFixed(1),
    frame_max_ms: +(frames[frames.length - 1] ?? 0).toFixed(1),
    map_redraws_per_s: +((cp.renders() - renders0) / seconds).toFixed(1),
    team_updates_per_s: +(applied / seconds).toFixed(0),
    team_layer_snapshots: snapshots,
    event_lag_p50_ms: q(lags, 0.5),
    event_lag_p95_ms: q(lags, 0.95),
    main_thread_long_tasks_pct: +(100 * busy / (seconds * 1000)).toFixed(1),
  };
}"""


def build_frontend() -> None:
    subprocess.run(["make", "-s", "-C", str(REPO / "frontend"), "build"], check=True)


def fresh_settings(name: str) -> Settings:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    settings = Settings(database_url=f"sqlite:///{path}")
    migrated(settings)
    engine = db.make_engine(settings)
    with db.make_sessionmaker(engine)() as session:
        loader.load_district(session, folder=REPO / "gis_data", clock=SystemClock())
        session.commit()
    engine.dispose()
    return settings


def replace_teams(settings: Settings, count: int) -> list[tuple[int, float, float]]:
    """`count` generated teams instead of the demo's; returns (id, lon, lat) of each."""
    rng = random.Random(5)
    now = datetime.now(UTC)
    rows = []
    for i in range(count):
        lon, lat = rng.uniform(BBOX[0], BBOX[2]), rng.uniform(BBOX[1], BBOX[3])
        point = f"SRID=4326;POINT({lon:.6f} {lat:.6f})"
        rows.append(
            {
                "ref": f"M{i:05d}",
                "name": f"moving team {i}",
                "kind": "fire_rescue",
                "tier": "enterprise",
                "headcount": 10,
                "capabilities": ["firefighting"],
                "vehicles": [],
                "equipment": [],
                "base": point,
                "position": point,
                "status": ["available", "dispatched", "en_route", "on_scene"][i % 4],
                "updated_at": now,
                "version": 1,
            }
        )
    engine = db.make_engine(settings)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM teams"))
        conn.execute(insert(Team.__table__), rows)
        found = conn.execute(text("SELECT id, X(position), Y(position) FROM teams ORDER BY id")).all()
    engine.dispose()
    return [(int(r[0]), float(r[1]), float(r[2])) for r in found]


def open_page(browser: Any, base: str, width: int = 1920, height: int = 1080, path: str = "/") -> Any:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(base + path)
    page.wait_for_function("document.body.dataset.drawn === 'true'", timeout=180_000)
    return page


def measure_drawn(browser: Any, base: str) -> dict[str, Any]:
    runs = []
    for _ in range(DRAWN_RUNS):
        page = open_page(browser, base)
        runs.append(page.evaluate("window.__commandpost.timings"))
        page.context.close()
    drawn = [r["allDrawn"] for r in runs]
    floor = [r["mapLoaded"] for r in runs]
    return {
        "runs": DRAWN_RUNS,
        "all_layers_drawn_ms": {"p50": statistics.median(drawn), "min": min(drawn), "max": max(drawn)},
        "baseline_map_style_loaded_ms": {
            "p50": statistics.median(floor),
            "min": min(floor),
            "max": max(floor),
        },
        "live_snapshot_applied_ms_p50": statistics.median(r["liveLoaded"] for r in runs),
        "base_layers_loaded_ms_p50": statistics.median(r["baseLoaded"] for r in runs),
    }


class Fleet(threading.Thread):
    """Every team reports a position once a second, in one batch, each a few dozen metres on."""

    def __init__(self, base: str, teams: list[tuple[int, float, float]]) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.teams = [[tid, lon, lat, random.uniform(0, 2 * math.pi)] for tid, lon, lat in teams]
        self.stop = threading.Event()
        self.batch_s: list[float] = []

    def step(self) -> list[dict[str, Any]]:
        out = []
        for team in self.teams:
            _, lon, lat, heading = team
            heading += random.uniform(-0.4, 0.4)
            lon += 0.0004 * math.cos(heading)
            lat += 0.0004 * math.sin(heading)
            if not (BBOX[0] < lon < BBOX[2] and BBOX[1] < lat < BBOX[3]):
                heading += math.pi
                lon, lat = team[1], team[2]
            team[1:] = [lon, lat, heading]
            out.append(
                {
                    "team": team[0],
                    "lon": round(lon, 6),
                    "lat": round(lat, 6),
                    "at": datetime.now(UTC).isoformat(),
                }
            )
        return out

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not self.stop.is_set():
                started = time.monotonic()
                r = client.post("/api/v1/teams/positions", json={"positions": self.step()})
                r.raise_for_status()
                took = time.monotonic() - started
                self.batch_s.append(took)
                self.stop.wait(max(0.0, 1.0 - took))


def measure_moving(browser: Any, base: str, teams: list[tuple[int, float, float]]) -> dict[str, Any]:
    page = open_page(browser, base, path="/?debug=1")
    page.wait_for_function(
        "(n) => window.__commandpost.counts().teams === n"
        " && window.__commandpost.connection().state === 'live'",
        arg=len(teams),
        timeout=60_000,
    )
    still = page.evaluate(FRAME_PROBE, {"ms": MEASURE_S * 1000, "synthetic": False})
    client_only = page.evaluate(FRAME_PROBE, {"ms": MEASURE_S * 1000, "synthetic": True})
    fleet = Fleet(base, teams)
    fleet.start()
    time.sleep(3)  # let the first batches through before measuring
    moving = page.evaluate(FRAME_PROBE, {"ms": MEASURE_S * 1000, "synthetic": False})
    fleet.stop.set()
    fleet.join(timeout=30)
    small = open_page(browser, base, 1280, 720, path="/?debug=1")
    small_client_only = small.evaluate(FRAME_PROBE, {"ms": MEASURE_S * 1000, "synthetic": True})
    small.context.close()
    drawn = page.evaluate("window.__commandpost.rendered('teams')")
    page.context.close()
    batches = sorted(fleet.batch_s)
    return {
        "teams": len(teams),
        "reports_per_s": len(teams),
        "moving": moving,
        "moving_client_only_synthetic_events": client_only,
        "moving_client_only_1280x720": small_client_only,
        "baseline_standing_still": still,
        "teams_rendered_after": drawn,
        "position_batch_post_ms": {
            "p50": round(statistics.median(batches) * 1000, 1),
            "max": round(batches[-1] * 1000, 1),
            "batches": len(batches),
        },
    }


def run() -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    build_frontend()
    results: dict[str, Any] = {"renderer": "headless Chromium, SwiftShader (software WebGL)"}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            settings = fresh_settings("dashboard")
            with served(settings) as base:
                results["drawn"] = measure_drawn(browser, base)
            teams = replace_teams(settings, MOVING_TEAMS)
            with served(settings) as base:
                results["moving_2000"] = measure_moving(browser, base, teams)
        finally:
            browser.close()
    return results


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
