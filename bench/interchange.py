"""Interoperability benchmarks, each beside its baseline in the same run:

- OGC API items: GET /ogc/collections/teams/items?limit=10000 vs. the platform's own GeoJSON layer
  GET /api/v1/teams?limit=10000 (same 10,000 teams, same real `commandpost serve`, requests
  alternated so both see the same machine load);
- import of 10,000 CSV rows of teams (dry run, commit, and the idempotent re-import) vs. only reading
  the file with GDAL (pyogrio), the floor any import pays.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
from pyogrio import raw
from sqlalchemy import text

from bench.foundation import generate_teams
from bench.support import backends, migrated, percentiles, served
from commandpost import db
from commandpost.clock import SystemClock
from commandpost.config import Settings
from commandpost.interchange import service as interchange

TEAMS = 10_000
REQUESTS = 10
POSTGIS_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/commandpost_bench_interchange"


def teams_csv(count: int) -> bytes:
    rng = random.Random(11)
    lines = ["ref,name,kind,tier,headcount,capabilities,town,lon,lat"]
    for i in range(count):
        lon, lat = rng.uniform(118.70, 119.00), rng.uniform(25.09, 25.24)
        lines.append(
            f"C{i:05d},企业救援队 {i},enterprise,enterprise,{rng.randint(5, 40)},firefighting;foam,"
            f"南埔镇,{lon:.6f},{lat:.6f}"
        )
    return ("\n".join(lines) + "\n").encode()


def read_only(data: bytes) -> float:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "teams.csv"
        path.write_bytes(data)
        start = time.perf_counter()
        raw.read(path)
        return time.perf_counter() - start


def import_once(settings: Settings, data: bytes, *, dry_run: bool) -> tuple[float, dict[str, Any]]:
    engine = db.make_engine(settings)
    with db.make_sessionmaker(engine)() as session:
        start = time.perf_counter()
        report = interchange.import_file(
            session, kind="teams", data=data, filename="teams.csv", dry_run=dry_run, clock=SystemClock()
        )
        if dry_run:
            session.rollback()
        else:
            session.commit()
        elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed, {"accepted": report.accepted, "created": report.created, "unchanged": report.unchanged}


def empty_teams(settings: Settings) -> None:
    engine = db.make_engine(settings)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM teams"))
    engine.dispose()


def run() -> dict[str, Any]:
    results: dict[str, Any] = {}
    data = teams_csv(TEAMS)
    for name, settings in backends("interchange", POSTGIS_URL):
        migrated(settings)
        generate_teams(settings, TEAMS)
        with served(settings) as base, httpx.Client(base_url=base, timeout=120) as client:
            paths = {"ogc_items": "/ogc/collections/teams/items", "layer_baseline": "/api/v1/teams"}
            samples: dict[str, list[float]] = {key: [] for key in paths}
            for path in paths.values():
                client.get(path, params={"limit": TEAMS})  # warm
            for _ in range(REQUESTS):
                for key, path in paths.items():
                    start = time.perf_counter()
                    response = client.get(path, params={"limit": TEAMS})
                    samples[key].append(time.perf_counter() - start)
                    assert response.json()["numberReturned"] == TEAMS
        served_ms = {key: percentiles(values) for key, values in samples.items()}
        empty_teams(settings)
        dry, dry_report = import_once(settings, data, dry_run=True)
        commit, commit_report = import_once(settings, data, dry_run=False)
        again, again_report = import_once(settings, data, dry_run=False)
        results[name] = {
            **served_ms,
            "ogc_to_layer_p50_ratio": round(
                served_ms["ogc_items"]["p50_ms"] / served_ms["layer_baseline"]["p50_ms"], 2
            ),
            "import_10000_dry_run_s": round(dry, 2),
            "import_10000_commit_s": round(commit, 2),
            "reimport_10000_unchanged_s": round(again, 2),
            "read_only_baseline_s": round(min(read_only(data) for _ in range(3)), 3),
            "reports": {"dry_run": dry_report, "commit": commit_report, "again": again_report},
        }
    return results


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
