"""Benchmarks: loading the demo district, and serving a 10,000-team GeoJSON layer.

Each is measured beside its baseline in the same run, on SpatiaLite and (when reachable) PostGIS:
- load: `commandpost load gis_data/` (first load and idempotent reload) vs. only reading and parsing
  the same files (json + Shapely), the floor any loader pays;
- layer: GET /api/v1/teams?limit=10000 over HTTP from a real `commandpost serve` vs. one raw SQL
  query of the same rows with the database's own GeoJSON function, encoded with json in-process.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
from shapely.geometry import shape
from sqlalchemy import insert, text

from bench.support import backends, migrated, percentiles, served
from commandpost import db, loader
from commandpost.clock import SystemClock
from commandpost.config import Settings
from commandpost.teams.models import Team

GIS_DATA = Path(__file__).resolve().parents[1] / "gis_data"
TEAMS = 10_000
REQUESTS = 20


def parse_only() -> float:
    start = time.perf_counter()
    for path in sorted(GIS_DATA.glob("*.geojson")):
        for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
            shape(feature["geometry"]).is_valid  # noqa: B018 - the loader validates every geometry
    for path in sorted(GIS_DATA.glob("*.json")):
        json.loads(path.read_text(encoding="utf-8"))
    return time.perf_counter() - start


def load_once(settings: Settings) -> float:
    engine = db.make_engine(settings)
    start = time.perf_counter()
    with db.make_sessionmaker(engine)() as session:
        loader.load_district(session, folder=GIS_DATA, clock=SystemClock())
        session.commit()
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def generate_teams(settings: Settings, count: int) -> None:
    rng = random.Random(7)
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for i in range(count):
        lon, lat = rng.uniform(118.70, 119.00), rng.uniform(25.09, 25.24)
        point = f"SRID=4326;POINT({lon:.6f} {lat:.6f})"
        rows.append(
            {
                "ref": f"B{i:05d}",
                "name": f"bench team {i}",
                "kind": "fire_rescue",
                "tier": "enterprise",
                "headcount": rng.randint(5, 40),
                "capabilities": ["firefighting", "foam"],
                "vehicles": [{"type": "foam tender", "count": 1}],
                "equipment": ["SCBA"],
                "base": point,
                "position": point,
                "status": "available",
                "updated_at": now,
                "version": 1,
            }
        )
    engine = db.make_engine(settings)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM teams"))
        conn.execute(insert(Team.__table__), rows)
    engine.dispose()


def raw_layer(settings: Settings) -> float:
    """The floor: one SQL query with the database's GeoJSON function, json-encoded in-process."""
    as_geojson = "AsGeoJSON(position)" if settings.is_sqlite else "ST_AsGeoJSON(position)"
    sql = text(
        f"SELECT id, name, kind, tier, headcount, status, {as_geojson} FROM teams ORDER BY id LIMIT 10000"
    )
    engine = db.make_engine(settings)
    with engine.connect() as conn:
        conn.execute(sql).all()  # warm
        start = time.perf_counter()
        rows = conn.execute(sql).all()
        body = json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "id": r[0],
                        "geometry": json.loads(r[6]),
                        "properties": {
                            "name": r[1],
                            "kind": r[2],
                            "tier": r[3],
                            "headcount": r[4],
                            "status": r[5],
                        },
                    }
                    for r in rows
                ],
            },
            ensure_ascii=False,
        )
        elapsed = time.perf_counter() - start
    engine.dispose()
    assert len(body) > 0
    return elapsed


def run() -> dict[str, Any]:
    results: dict[str, Any] = {"parse_only_s": round(min(parse_only() for _ in range(3)), 3)}
    for name, settings in backends():
        migrated(settings)
        first = load_once(settings)
        reload = min(load_once(settings) for _ in range(2))
        generate_teams(settings, TEAMS)
        baseline = [raw_layer(settings) for _ in range(5)]
        with served(settings) as base, httpx.Client(base_url=base, timeout=60) as client:
            client.get("/api/v1/teams", params={"limit": TEAMS})  # warm
            samples, size = [], 0
            for _ in range(REQUESTS):
                start = time.perf_counter()
                response = client.get("/api/v1/teams", params={"limit": TEAMS})
                samples.append(time.perf_counter() - start)
                assert response.json()["numberReturned"] == TEAMS
                size = len(response.content)
            bbox_samples = []
            for _ in range(REQUESTS):
                start = time.perf_counter()
                response = client.get("/api/v1/teams", params={"bbox": "118.85,25.12,118.88,25.15"})
                bbox_samples.append(time.perf_counter() - start)
            in_box = response.json()["numberMatched"]
        results[name] = {
            "demo_first_load_s": round(first, 3),
            "demo_reload_s": round(reload, 3),
            "layer_10000": {**percentiles(samples), "bytes": size},
            "layer_10000_baseline_raw_sql": percentiles(baseline),
            "bbox_layer": {**percentiles(bbox_samples), "features": in_box},
        }
    return results


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
