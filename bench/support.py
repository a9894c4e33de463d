"""What the benchmarks share: backends to run on, a served app on loopback, timing statistics."""

from __future__ import annotations

import gc
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from commandpost import db, migrations
from commandpost.config import Settings

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
POSTGIS_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/commandpost_bench"
)


def fresh_postgis(database_url: str) -> Settings:
    """The PostGIS database at `database_url`, dropped and created empty."""
    url = make_url(database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    return Settings(database_url=database_url)


def backends(sqlite_name: str = "bench", postgis_url: str = POSTGIS_URL) -> list[tuple[str, Settings]]:
    """SpatiaLite always, PostGIS when its server answers; each bench names its own fresh databases,
    so benches can run beside each other."""
    OUT.mkdir(parents=True, exist_ok=True)
    sqlite_path = OUT / f"{sqlite_name}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(sqlite_path) + suffix).unlink(missing_ok=True)
    found = [("spatialite", Settings(database_url=f"sqlite:///{sqlite_path}"))]
    try:
        found.append(("postgis", fresh_postgis(postgis_url)))
    except Exception as exc:  # the bench still runs on SpatiaLite alone
        print(f"PostGIS not benchmarked: {exc}", file=sys.stderr)
    return found


def migrated(settings: Settings) -> None:
    engine = db.make_engine(settings)
    migrations.upgrade(engine)
    engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def served(settings: Settings, *, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """A real `commandpost serve` process on a loopback port; yields its base URL."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": settings.database_url, **(extra_env or {})}
    env.pop("REDIS_URL", None) if "REDIS_URL" not in (extra_env or {}) else None
    proc = subprocess.Popen(
        [sys.executable, "-m", "commandpost.cli", "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError(
                "server did not start: " + (proc.stderr.read().decode() if proc.stderr else "")
            )
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def load_generator_gc() -> Iterator[None]:
    """Keep the load generator's own garbage collection out of the latencies it measures.

    The prepared batches are hundreds of thousands of objects; a full collection walking them
    pauses every sender thread, and the pause would be counted as server latency.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def percentiles(samples_s: list[float]) -> dict[str, float]:
    """p50/p95/max in milliseconds."""
    ordered = sorted(samples_s)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }
