"""The command line and the health endpoints, as an operator meets them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests_support import free_port, run_cli

REPO = Path(__file__).resolve().parents[1]


def test_every_subcommand_has_help() -> None:
    for command in ("serve", "migrate", "load", "import-roads", "demo"):
        result = run_cli(command, "--help")
        assert result.returncode == 0, result.stderr
        assert "usage: commandpost " + command in result.stdout


def test_serve_refuses_an_unreachable_database_with_a_clear_message() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"
    result = run_cli("serve", env={"DATABASE_URL": url})
    assert result.returncode == 2
    assert "database unreachable" in result.stderr
    assert "Connection refused" in result.stderr or "connection failed" in result.stderr


def test_serve_refuses_an_unreachable_redis(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cp.sqlite'}"}
    assert run_cli("migrate", env=env).returncode == 0
    result = run_cli("serve", env={**env, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    assert result.returncode == 2
    assert "Redis unreachable" in result.stderr


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = run_cli("serve", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}"})
    assert result.returncode == 2
    assert "commandpost migrate" in result.stderr


@pytest.mark.parametrize("command", [("serve",), ("load", "gis_data"), ("import-roads", "x.osm.pbf")])
def test_a_missing_spatialite_file_is_refused_not_created(tmp_path: Path, command: tuple[str, ...]) -> None:
    where = tmp_path / "var" / "commandpost.sqlite"
    result = run_cli(*command, env={"DATABASE_URL": f"sqlite:///{where}"})
    assert result.returncode == 2
    assert f"there is no database at {where}: run `commandpost migrate` first" in result.stderr
    assert not where.parent.exists()


def test_migrate_is_repeatable(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cp.sqlite'}"}
    first, second = run_cli("migrate", env=env), run_cli("migrate", env=env)
    assert first.returncode == second.returncode == 0
    assert first.stdout.split(" (")[0] == second.stdout.split(" (")[0]


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok"}


def test_spatialite_and_pyproj_live_in_one_process_and_exit_cleanly(tmp_path: Path) -> None:
    """Two PROJ libraries in one process (a pyproj wheel's and SpatiaLite's) crash at exit."""
    script = f"""
from commandpost import db, geo
from commandpost.config import Settings
from sqlalchemy import text
import shapely
engine = db.make_engine(Settings(database_url="sqlite:///{tmp_path / "x.sqlite"}"))
with engine.connect() as conn:
    conn.execute(text("SELECT AsText(Transform(MakePoint(118.9, 25.1, 4326), 32650))")).scalar()
print(geo.to_metric(shapely.Point(118.9, 25.1), "EPSG:32650"))
engine.dispose()
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "POINT (691595" in result.stdout


@pytest.mark.parametrize(
    "path", ["/api/v1/teams?bbox=1,2,3", "/api/v1/teams?bbox=10,10,5,5", "/api/v1/teams?limit=0"]
)
def test_bad_query_parameters_are_problems(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] in ("bbox", "limit", "query.limit")


def test_fast_point_decoding_matches_shapely() -> None:
    import shapely
    from geoalchemy2.shape import from_shape

    from commandpost import geo

    point = shapely.Point(118.912345, 25.123456)
    for element in (from_shape(point, srid=4326), from_shape(point, srid=4326, extended=True)):
        assert geo.wkb_point(element.data) == (118.912345, 25.123456)
        assert geo.to_geojson(element) == {"type": "Point", "coordinates": [118.912345, 25.123456]}
    line = from_shape(shapely.LineString([(0, 0), (1, 1)]), srid=4326)
    assert geo.wkb_point(line.data) is None
    assert geo.to_geojson(line) == {"type": "LineString", "coordinates": ((0.0, 0.0), (1.0, 1.0))}
