"""Imports and exports: the district's spreadsheets and GIS files in, every layer out, nothing half-done."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from pyogrio import raw
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from commandpost import geo, loader
from commandpost.clock import FrozenClock
from commandpost.depots.models import Depot
from commandpost.events.models import Event
from commandpost.teams.models import Team
from conftest import _empty_all_tables
from tests_support import run_cli

GIS_DATA = Path(__file__).resolve().parents[1] / "gis_data"

# (WGS 84, GCJ-02, BD-09) of city centres from gcoord's reference fixture (hujiulong/gcoord,
# test/fixtures/china-cities.json), which lists each point in all three systems.
REFERENCES = {
    "泉州市": ((118.6711365, 24.8770487), (118.6756787, 24.8741363), (118.6821251, 24.8804872)),
    "沈阳市": ((123.4253306, 41.8032629), (123.4314787, 41.8057023), (123.438095, 41.8114013)),
    "酒泉市": ((98.4937175, 39.7319946), (98.4943595, 39.7328234), (98.5008441, 39.7388949)),
    "汕头市": ((116.6775114, 23.3567569), (116.6819735, 23.3540964), (116.6885014, 23.3598884)),
    "郑州市": ((113.6192856, 34.7478004), (113.6253334, 34.7466173), (113.6317519, 34.7528605)),
}
# 1e-5° is at most 1.1 m on the ground; the fixture itself is given to 1e-7°.
TOLERANCE_DEG = 1e-5


@pytest.mark.parametrize("city", list(REFERENCES))
def test_gcj02_and_bd09_convert_both_ways_to_the_published_points(city: str) -> None:
    wgs, gcj, bd = REFERENCES[city]
    assert geo.wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=TOLERANCE_DEG)
    assert geo.gcj02_to_wgs84(*gcj) == pytest.approx(wgs, abs=TOLERANCE_DEG)
    assert geo.wgs84_to_bd09(*wgs) == pytest.approx(bd, abs=TOLERANCE_DEG)
    assert geo.bd09_to_wgs84(*bd) == pytest.approx(wgs, abs=TOLERANCE_DEG)


@pytest.mark.parametrize("where", [(2.3522, 48.8566), (-74.006, 40.7128), (139.6917, 35.6895)])
def test_points_outside_china_are_left_unshifted(where: tuple[float, float]) -> None:
    for convert in (geo.wgs84_to_gcj02, geo.gcj02_to_wgs84, geo.wgs84_to_bd09, geo.bd09_to_wgs84):
        assert convert(*where) == where


# --- files built the way a district's spreadsheet or GIS desk writes them ---------------------

TEAM_COLUMNS = "ref,name,kind,tier,headcount,capabilities,town,lon,lat"


def teams_csv(*rows: str) -> str:
    return "\n".join([TEAM_COLUMNS, *rows]) + "\n"


GOOD_ROWS = (
    "QG-X-001,峰尾镇应急救援队,volunteer,town,25,firefighting;search_rescue,峰尾镇,118.93,25.12",
    "QG-X-002,南埔镇危化品救援队,hazmat,town,18,hazmat;decontamination,南埔镇,118.88,25.16",
)


def post_file(client: TestClient, kind: str, content: bytes, media: str, **params: Any) -> Any:
    return client.post(
        f"/api/v1/imports/{kind}", content=content, headers={"Content-Type": media}, params=params
    )


def count(session: Session, model: Any) -> int:
    session.rollback()  # a fresh read, after what another process committed
    return session.scalar(select(func.count()).select_from(model)) or 0


def events_of(session: Session, type_: str) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.type == type_)))


def test_a_csv_of_teams_is_imported_and_importing_it_again_changes_nothing(
    client: TestClient, session: Session
) -> None:
    data = teams_csv(*GOOD_ROWS).encode()
    first = post_file(client, "teams", data, "text/csv")
    assert first.status_code == 200, first.text
    assert first.json() | {"refused": []} == first.json()
    assert (first.json()["created"], first.json()["imported"]) == (2, True)
    team = client.get("/api/v1/teams").json()["features"][0]
    assert team["properties"]["name"] == "峰尾镇应急救援队"
    assert team["properties"]["capabilities"] == ["firefighting", "search_rescue"]
    assert team["geometry"]["coordinates"] == [118.93, 25.12]
    assert len(events_of(session, "team.created")) == 2

    again = post_file(client, "teams", data, "text/csv").json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert len(events_of(session, "team.created")) == 2
    assert events_of(session, "team.updated") == []
    assert count(session, Team) == 2


def test_an_import_never_overwrites_a_teams_status_or_position(client: TestClient, session: Session) -> None:
    post_file(client, "teams", teams_csv(*GOOD_ROWS).encode(), "text/csv")
    team_id = client.get("/api/v1/teams", params={"limit": 1}).json()["features"][0]["id"]
    moved = client.post(f"/api/v1/teams/{team_id}/position", json={"lon": 118.95, "lat": 25.15})
    assert moved.status_code == 200, moved.text
    client.post(f"/api/v1/teams/{team_id}/status", json={"status": "dispatched"})
    edited = teams_csv(GOOD_ROWS[0].replace("25,firefighting", "30,firefighting"), GOOD_ROWS[1])
    report = post_file(client, "teams", edited.encode(), "text/csv").json()
    assert (report["updated"], report["unchanged"]) == (1, 1)
    team = client.get(f"/api/v1/teams/{team_id}").json()
    assert team["properties"]["headcount"] == 30
    assert team["geometry"]["coordinates"] == [118.95, 25.15]
    assert team["properties"]["status"] == "dispatched"


BAD_ROWS = (
    GOOD_ROWS[0],
    "QG-X-003,南山救援队,wizards,town,12,,南山,118.9,25.1",
    "QG-X-004,北山救援队,volunteer,town,12,,北山,118.9E,25.1",
    ",无名队,volunteer,town,5,,,118.9,25.1",
    "QG-X-005,东山救援队,volunteer,town,0,,,118.9,25.1",
    "QG-X-001,重复队,volunteer,town,5,,,118.9,25.1",
)


def test_a_dry_run_lists_every_refused_row_with_its_field_and_writes_nothing(
    client: TestClient, session: Session
) -> None:
    reply = post_file(client, "teams", teams_csv(*BAD_ROWS).encode(), "text/csv", dry_run="true")
    assert reply.status_code == 200, reply.text
    report = reply.json()
    assert (report["records"], report["accepted"], report["imported"]) == (6, 1, False)
    refused = {(r["where"], r["field"]) for r in report["refused"]}
    assert refused == {
        ("row 2", "kind"),
        ("row 3", "lon"),
        ("row 4", "ref"),
        ("row 5", "headcount"),
        ("row 6", "ref"),
    }
    assert "wizards" in next(r["reason"] for r in report["refused"] if r["where"] == "row 2")
    assert count(session, Team) == 0
    assert count(session, Event) == 0


def test_the_real_run_is_all_or_nothing(client: TestClient, session: Session) -> None:
    reply = post_file(client, "teams", teams_csv(*BAD_ROWS).encode(), "text/csv")
    assert reply.status_code == 422
    problem = reply.json()
    assert problem["field"] == "kind"
    assert len(problem["refused"]) == 5 and problem["accepted"] == 1
    assert count(session, Team) == 0
    assert count(session, Event) == 0


def test_a_dry_run_of_a_good_file_says_what_would_change_and_stores_nothing(
    client: TestClient, session: Session
) -> None:
    report = post_file(client, "teams", teams_csv(*GOOD_ROWS).encode(), "text/csv", dry_run="true").json()
    assert (report["accepted"], report["created"], report["imported"]) == (2, 2, False)
    assert count(session, Team) == 0
    assert count(session, Event) == 0


def test_a_gb18030_spreadsheet_imports_when_declared_and_is_refused_as_utf8(
    client: TestClient, session: Session
) -> None:
    data = teams_csv(*GOOD_ROWS).encode("gb18030")
    refused = post_file(client, "teams", data, "text/csv")
    assert refused.status_code == 422
    assert refused.json()["field"] == "encoding"
    assert "GB 18030" in refused.json()["detail"]
    assert count(session, Team) == 0
    report = post_file(client, "teams", data, "text/csv", encoding="gb18030").json()
    assert report["created"] == 2
    names = sorted(f["properties"]["name"] for f in client.get("/api/v1/teams").json()["features"])
    assert names == ["南埔镇危化品救援队", "峰尾镇应急救援队"]


def test_a_file_with_wrong_columns_is_refused_naming_them(client: TestClient, session: Session) -> None:
    data = "ref,name,kind,tier,x,y\nA,甲,volunteer,town,118.9,25.1\n".encode()
    reply = post_file(client, "teams", data, "text/csv")
    assert reply.status_code == 422
    assert reply.json()["field"] == "file"
    assert reply.json()["missing"] == ["headcount", "lon", "lat"]
    assert count(session, Team) == 0


@pytest.mark.parametrize("crs,column", [("GCJ-02", 1), ("BD-09", 2)])
def test_amap_and_baidu_coordinates_are_stored_in_wgs84(
    client: TestClient, session: Session, crs: str, column: int
) -> None:
    lon, lat = REFERENCES["泉州市"][column]
    data = teams_csv(f"QG-X-001,丰泽救援队,volunteer,town,10,,丰泽区,{lon},{lat}").encode()
    report = post_file(client, "teams", data, "text/csv", crs=crs).json()
    assert report["crs"] == crs
    stored = client.get("/api/v1/teams").json()["features"][0]["geometry"]["coordinates"]
    assert stored == pytest.approx(REFERENCES["泉州市"][0], abs=TOLERANCE_DEG)


def test_an_unknown_coordinate_system_is_refused(client: TestClient, session: Session) -> None:
    reply = post_file(client, "teams", teams_csv(*GOOD_ROWS).encode(), "text/csv", crs="Beijing-54 local")
    assert reply.status_code == 422 and reply.json()["field"] == "crs"
    assert count(session, Team) == 0


def shapefile_zip(tmp_path: Path, *, crs: str | None, with_prj: bool = True) -> bytes:
    """Shelters as a district GIS desk sends them: a zipped shapefile."""
    folder = tmp_path / "shp"
    folder.mkdir()
    points = [shapely.Point(118.91, 25.13), shapely.Point(118.87, 25.17)]
    raw.write(
        folder / "shelters.shp",
        geometry=np.array([shapely.to_wkb(p) for p in points], dtype=object),
        field_data=[
            np.array(["S-01", "S-02"], dtype=object),
            np.array(["峰尾中学", "南埔体育馆"], dtype=object),
            np.array([800, 1200], dtype=np.int64),
        ],
        fields=["ref", "name", "capacity"],
        geometry_type="Point",
        crs=crs,
        driver="ESRI Shapefile",
        encoding="UTF-8",
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.iterdir():
            if with_prj or path.suffix != ".prj":
                archive.write(path, path.name)
    return buffer.getvalue()


def test_a_zipped_shapefile_of_shelters_imports(client: TestClient, tmp_path: Path) -> None:
    report = post_file(client, "shelters", shapefile_zip(tmp_path, crs="EPSG:4326"), "application/zip").json()
    assert (report["format"], report["created"]) == ("shapefile", 2)
    shelters = client.get("/api/v1/shelters").json()["features"]
    assert sorted(f["properties"]["capacity"] for f in shelters) == [800, 1200]


def test_a_zip_without_a_prj_is_refused(client: TestClient, session: Session, tmp_path: Path) -> None:
    data = shapefile_zip(tmp_path, crs="EPSG:4326", with_prj=False)
    reply = post_file(client, "shelters", data, "application/zip")
    assert reply.status_code == 422
    assert ".prj" in reply.json()["detail"]
    assert client.get("/api/v1/shelters").json()["numberMatched"] == 0
    assert count(session, Event) == 0


def test_a_cgcs2000_geopackage_imports(client: TestClient, tmp_path: Path) -> None:
    path = tmp_path / "shelters.gpkg"
    raw.write(
        path,
        geometry=np.array([shapely.to_wkb(shapely.Point(118.91, 25.13))], dtype=object),
        field_data=[np.array(["S-09"], dtype=object), np.array(["界山小学"], dtype=object), np.array([300])],
        fields=["ref", "name", "capacity"],
        geometry_type="Point",
        crs="EPSG:4490",
        driver="GPKG",
        layer="shelters",
    )
    report = post_file(client, "shelters", path.read_bytes(), "application/geopackage+sqlite3").json()
    assert (report["crs"], report["created"]) == ("EPSG:4490", 1)
    # CGCS2000 and WGS 84 agree to centimetres: the point is stored where it was given.
    stored = client.get("/api/v1/shelters").json()["features"][0]["geometry"]["coordinates"]
    assert stored == pytest.approx([118.91, 25.13], abs=1e-7)


def test_a_depot_with_an_unknown_material_is_refused(client: TestClient, session: Session) -> None:
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [118.9, 25.1]},
        "properties": {"ref": "D-9", "name": "应急仓", "stock": [{"material": "unicorn_dust", "on_hand": 5}]},
    }
    data = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    report = post_file(client, "depots", data, "application/geo+json", dry_run="true").json()
    assert [(r["where"], r["field"]) for r in report["refused"]] == [("feature 1", "stock.0.material")]
    assert count(session, Depot) == 0


# --- exports, and the round trip ---------------------------------------------------------------

IGNORED = {"id", "version", "updated_at", "position_at", "sensor_ids"}


def layer(client: TestClient, kind: str) -> dict[str, Any]:
    """A layer by ref: geometry and the properties a file carries (ids and versions are the database's)."""
    if kind == "experts":
        items = client.get("/api/v1/experts", params={"limit": 10000}).json()["items"]
        return {e["ref"]: (None, {k: v for k, v in e.items() if k not in IGNORED}) for e in items}
    features = client.get(f"/api/v1/{kind}", params={"limit": 10000}).json()["features"]
    return {
        f["properties"]["ref"]: (
            f["geometry"],
            {k: v for k, v in f["properties"].items() if k not in IGNORED},
        )
        for f in features
    }


SUFFIX = {"geojson": "application/geo+json", "csv": "text/csv", "gpkg": "application/geopackage+sqlite3"}


@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg"])
def test_export_then_import_into_an_empty_database_reproduces_each_layer(
    client: TestClient, session: Session, clock: FrozenClock, engine: Engine, fmt: str
) -> None:
    loader.load_district(session, folder=GIS_DATA, clock=clock)
    session.commit()
    kinds = ["teams", "depots", "hazard-sources", "shelters", "experts"]
    before = {kind: layer(client, kind) for kind in kinds}
    files = {}
    for kind in kinds:
        reply = client.get(f"/api/v1/exports/{kind}", params={"f": fmt})
        assert reply.status_code == 200, reply.text
        files[kind] = reply.content
    _empty_all_tables(engine)
    # The material catalogue is the district's reference list that depots' stock names.
    for item in json.loads((GIS_DATA / "materials.json").read_text(encoding="utf-8")):
        assert client.post("/api/v1/materials", json=item).status_code == 201
    for kind in kinds:
        reply = post_file(client, kind, files[kind], SUFFIX[fmt])
        assert reply.status_code == 200, reply.text
        assert reply.json()["created"] == len(before[kind])
        assert layer(client, kind) == before[kind], kind


@pytest.mark.parametrize("fmt,start", [("kml", b"<?xml"), ("gpkg", b"SQLite format 3"), ("csv", b"")])
def test_every_layer_exports(
    client: TestClient, session: Session, clock: FrozenClock, fmt: str, start: bytes
) -> None:
    loader.load_district(session, folder=GIS_DATA, clock=clock)
    session.commit()
    for kind in [
        "teams",
        "depots",
        "hazard-sources",
        "sensors",
        "shelters",
        "incidents",
        "warnings",
        "experts",
    ]:
        reply = client.get(f"/api/v1/exports/{kind}", params={"f": fmt})
        assert reply.status_code == 200, (kind, reply.text)
        assert reply.content.startswith(start), kind
        if fmt == "csv":
            assert b"ref" in reply.content.splitlines()[0], kind
    assert client.get("/api/v1/exports/teams", params={"f": "dwg"}).json()["field"] == "f"
    assert client.get("/api/v1/exports/rivers").status_code == 404


def test_the_command_line_imports_with_a_dry_run_and_exports(
    settings: Any, session: Session, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": settings.database_url}
    source = tmp_path / "teams.csv"
    source.write_bytes(teams_csv(*GOOD_ROWS).encode("gb18030"))
    dry = run_cli("import", "teams", str(source), "--encoding", "gb18030", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["created"] == 2
    assert count(session, Team) == 0
    done = run_cli("import", "teams", str(source), "--encoding", "gb18030", env=env)
    assert done.returncode == 0, done.stderr
    assert count(session, Team) == 2
    target = tmp_path / "out.geojson"
    exported = run_cli("export", "teams", "--format", "geojson", "--output", str(target), env=env)
    assert exported.returncode == 0, exported.stderr
    assert len(json.loads(target.read_text(encoding="utf-8"))["features"]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text(teams_csv(*BAD_ROWS), encoding="utf-8")
    refused = run_cli("import", "teams", str(bad), env=env)
    assert refused.returncode == 2
    assert "5 of 6 records refused" in refused.stderr
    assert len(json.loads(refused.stdout)["refused"]) == 5
