"""Loading the demo district: what a duty officer sees after `make run`, and that reloading is harmless."""

from __future__ import annotations

import copy
import json
import shutil
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commandpost import geo, loader
from commandpost.basemap.models import MapFeature
from commandpost.clock import FrozenClock
from commandpost.depots import service as depots
from commandpost.depots.models import Depot, InventoryLine
from commandpost.duty.models import DutyShift
from commandpost.errors import InvalidInput
from commandpost.events.models import Event
from commandpost.sensors.models import Sensor, SensorState
from commandpost.teams.models import Team, TeamStatus
from tests_support import TEST_DATA

GIS_DATA = Path(__file__).resolve().parents[1] / "gis_data"
BOUNDARIES = TEST_DATA / "admin_boundary"


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def load(session: Session, clock: FrozenClock, folder: Path = GIS_DATA) -> loader.LoadReport:
    report = loader.load_district(session, folder=folder, clock=clock)
    session.commit()
    return report


def test_demo_district_serves_132_teams_with_2548_people(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    load(session, clock)
    teams = client.get("/api/v1/teams").json()
    assert teams["numberMatched"] == 132
    assert len(teams["features"]) == 132
    assert sum(f["properties"]["headcount"] for f in teams["features"]) == 2548
    national = [f for f in teams["features"] if f["properties"]["tier"] == "national"]
    assert [f["properties"]["headcount"] for f in national] == [88]


def test_demo_layers_are_all_there(client: TestClient, session: Session, clock: FrozenClock) -> None:
    load(session, clock)
    assert client.get("/api/v1/depots").json()["numberMatched"] == 12
    hazard_sources = client.get("/api/v1/hazard-sources").json()["features"]
    assert hazard_sources and all(
        f["properties"]["grade"] in ("I", "II", "III", "IV") for f in hazard_sources
    )
    assert client.get("/api/v1/sensors").json()["numberMatched"] > len(hazard_sources)
    assert client.get("/api/v1/roads").json()["numberMatched"] > 0
    layers = {item["layer"] for item in client.get("/api/v1/basemap").json()["layers"]}
    assert {"boundary", "towns", "park", "water"} <= layers
    boundary = client.get("/api/v1/basemap/boundary").json()["features"][0]
    assert boundary["properties"]["name"] == "泉港区"
    on_duty = client.get("/api/v1/duty/now").json()
    assert on_duty["duty_officer"] and on_duty["dispatcher"] and on_duty["leader_on_duty"]


def test_loading_twice_changes_nothing(session: Session, clock: FrozenClock) -> None:
    first = load(session, clock)
    versions = {ref: version for ref, version in session.execute(select(Team.ref, Team.version))}
    counts = {t: session.scalar(select(func.count()).select_from(t)) for t in (Team, MapFeature)}
    second = load(session, clock)
    assert first.created["teams"] == 132
    assert second.created.get("teams") is None and second.updated.get("teams") is None
    assert second.unchanged["teams"] == 132
    assert {ref: version for ref, version in session.execute(select(Team.ref, Team.version))} == versions
    assert {t: session.scalar(select(func.count()).select_from(t)) for t in (Team, MapFeature)} == counts


def test_reload_updates_what_changed_and_keeps_live_positions(
    session: Session, clock: FrozenClock, tmp_path: Path
) -> None:
    load(session, clock)
    team = session.scalar(select(Team).where(Team.ref == "T001"))
    assert team is not None
    moved = geo.point(118.95, 25.15)
    team.position = geo.to_db(moved)
    session.commit()
    edited = tmp_path / "district"
    shutil.copytree(GIS_DATA, edited)
    teams = json.loads((edited / "teams.geojson").read_text(encoding="utf-8"))
    teams["features"][0]["properties"]["headcount"] += 2
    (edited / "teams.geojson").write_text(json.dumps(teams, ensure_ascii=False), encoding="utf-8")
    report = load(session, clock, edited)
    assert report.updated["teams"] == 1
    session.expire_all()
    team = session.scalar(select(Team).where(Team.ref == "T001"))
    assert team is not None and team.headcount == teams["features"][0]["properties"]["headcount"]
    assert geo.from_db(team.position).equals_exact(moved, 1e-9)  # type: ignore[union-attr]


def test_a_gcj02_file_is_converted_to_wgs84_at_import(
    session: Session, clock: FrozenClock, tmp_path: Path
) -> None:
    original = read_json(BOUNDARIES / "quangang_350505_detailed.gcj02.geojson")
    reference = read_json(BOUNDARIES / "quangang_350505_detailed.wgs84.geojson")
    original["metadata"] = {"crs": "GCJ-02"}
    original["features"][0]["properties"]["ref"] = "350505"
    folder = tmp_path / "district"
    shutil.copytree(GIS_DATA, folder)
    (folder / "district_boundary.geojson").write_text(
        json.dumps(original, ensure_ascii=False), encoding="utf-8"
    )
    load(session, clock, folder)
    stored = geo.from_db(session.scalar(select(MapFeature.geom).where(MapFeature.layer == "boundary")))
    expected = geo.parse_geojson(reference["features"][0]["geometry"])
    assert stored is not None
    # The published WGS 84 file was made the same way; they agree to well under a metre.
    assert stored.hausdorff_distance(expected) < 1e-5


def test_a_broken_file_loads_nothing_and_says_where(
    session: Session, clock: FrozenClock, tmp_path: Path
) -> None:
    folder = tmp_path / "district"
    shutil.copytree(GIS_DATA, folder)
    teams = json.loads((folder / "teams.geojson").read_text(encoding="utf-8"))
    teams["features"][5]["properties"]["kind"] = "wizards"
    (folder / "teams.geojson").write_text(json.dumps(teams, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        loader.load_district(session, folder=folder, clock=clock)
    session.rollback()
    assert "wizards" in refused.value.detail and "kind" in (refused.value.field or "")
    assert session.scalar(select(func.count()).select_from(Team)) == 0
    assert session.scalar(select(func.count()).select_from(Event)) == 0


# --- a reload on a live database --------------------------------------------------------------


def events_of(session: Session, type_: str) -> list[Event]:
    session.expire_all()
    return list(session.scalars(select(Event).where(Event.type == type_).order_by(Event.id)))


def stock(session: Session, depot_ref: str, material: str) -> tuple[float, float]:
    session.expire_all()
    line = session.scalar(
        select(InventoryLine)
        .join(Depot, Depot.id == InventoryLine.depot_id)
        .where(Depot.ref == depot_ref, InventoryLine.material_code == material)
    )
    assert line is not None
    return float(line.on_hand), float(line.reserved)


def test_a_reload_keeps_issued_stock_and_says_where_the_file_differs(
    session: Session, clock: FrozenClock
) -> None:
    load(session, clock)
    depot = session.scalar(select(Depot).where(Depot.ref == "D01"))
    assert depot is not None
    depots.reserve(session, depot_id=depot.id, material_code="foam_concentrate", quantity=30, clock=clock)
    depots.issue(session, depot_id=depot.id, material_code="foam_concentrate", quantity=20, clock=clock)
    session.commit()
    assert stock(session, "D01", "foam_concentrate") == (79, 10)
    before = len(events_of(session, "depot.stock_reset"))

    report = load(session, clock)

    assert stock(session, "D01", "foam_concentrate") == (79, 10)
    assert report.stock_differs == [
        {
            "depot": "D01",
            "name": depot.name,
            "material": "foam_concentrate",
            "file": 99,
            "database": 79,
            "reserved": 10,
        }
    ]
    assert any("--reset-stock" in note for note in report.as_dict()["notes"])
    assert len(events_of(session, "depot.stock_reset")) == before == 0
    assert events_of(session, "district.loaded")[-1].payload["stock_differs"] == report.stock_differs


def test_reset_stock_sets_the_files_stock_with_one_event_per_depot_changed(
    session: Session, clock: FrozenClock
) -> None:
    load(session, clock)
    for ref, material in (("D01", "foam_concentrate"), ("D01", "absorbent_boom"), ("D02", None)):
        depot = session.scalar(select(Depot).where(Depot.ref == ref))
        assert depot is not None
        code = material or depot.stock[0].material_code
        depots.reserve(session, depot_id=depot.id, material_code=code, quantity=5, clock=clock)
        depots.issue(session, depot_id=depot.id, material_code=code, quantity=3, clock=clock)
    session.commit()

    report = load_reset(session, clock)

    assert stock(session, "D01", "foam_concentrate") == (99, 2)
    assert stock(session, "D01", "absorbent_boom") == (2761, 2)
    assert not report.stock_differs
    resets = events_of(session, "depot.stock_reset")
    assert [e.payload["feature"]["properties"]["ref"] for e in resets] == ["D01", "D02"]
    assert resets[0].payload["lines"] == [
        {"material": "foam_concentrate", "before": 96, "after": 99},
        {"material": "absorbent_boom", "before": 2758, "after": 2761},
    ]
    assert all(e.actor == loader.ACTOR for e in resets)
    assert not load_reset(session, clock).stock_reset  # nothing differs any more


def load_reset(session: Session, clock: FrozenClock) -> loader.LoadReport:
    report = loader.load_district(session, folder=GIS_DATA, clock=clock, reset_stock=True)
    session.commit()
    return report


def test_a_reload_leaves_team_status_and_sensor_states_alone(session: Session, clock: FrozenClock) -> None:
    load(session, clock)
    team = session.scalar(select(Team).where(Team.ref == "T001"))
    sensor = session.scalar(select(Sensor).where(Sensor.ref == "S0001"))
    assert team is not None and sensor is not None
    team.status = TeamStatus.on_scene
    sensor.state = SensorState.alarm_2
    session.commit()
    load(session, clock)
    session.expire_all()
    assert session.scalar(select(Team.status).where(Team.ref == "T001")) is TeamStatus.on_scene
    assert session.scalar(select(Sensor.state).where(Sensor.ref == "S0001")) is SensorState.alarm_2


def test_what_the_loader_adds_or_changes_is_in_the_event_log(
    session: Session, clock: FrozenClock, tmp_path: Path
) -> None:
    first = load(session, clock)
    created = {
        kind: len(events_of(session, f"{kind}.created"))
        for kind in ("team", "depot", "sensor", "hazard_source", "shelter", "expert", "duty_shift")
    }
    assert created == {
        "team": 132,
        "depot": 12,
        "sensor": first.created["sensors"],
        "hazard_source": first.created["hazard_sources"],
        "shelter": first.created["shelters"],
        "expert": first.created["experts"],
        "duty_shift": first.created["duty_shifts"],
    }
    assert len(events_of(session, "material.created")) == first.created["materials"]
    assert len(events_of(session, "map_feature.created")) == sum(
        n for what, n in first.created.items() if what.startswith("basemap.")
    )
    assert len(events_of(session, "response_plan.created")) == first.created["response_plans"]
    assert len(events_of(session, "road_layer.imported")) == 1
    assert not load(session, clock).updated  # a reload of the same files changes nothing

    edited = tmp_path / "district"
    shutil.copytree(GIS_DATA, edited)
    teams = read_json(edited / "teams.geojson")
    teams["features"][0]["properties"]["headcount"] += 2
    newcomer = copy.deepcopy(teams["features"][1])
    newcomer["properties"] |= {"ref": "T999", "name": "峰尾镇新建应急分队"}
    teams["features"].append(newcomer)
    (edited / "teams.geojson").write_text(json.dumps(teams, ensure_ascii=False), encoding="utf-8")
    load(session, clock, edited)

    added = events_of(session, "team.created")[-1]
    assert added.payload["feature"]["properties"]["name"] == "峰尾镇新建应急分队"
    assert added.actor == loader.ACTOR
    updated = events_of(session, "team.updated")
    assert [e.payload["feature"]["properties"]["ref"] for e in updated] == ["T001"]
    # An unchanged road layer is not replaced (closures point at its segments).
    assert len(events_of(session, "road_layer.imported")) == 1


# --- Chinese map coordinates ------------------------------------------------------------------

# (WGS 84, BD-09) pairs of city centres from gcoord's reference fixture (hujiulong/gcoord,
# test/fixtures/china-cities.json), which lists each point in WGS 84, GCJ-02 and BD-09.
BD09_REFERENCES = {
    "泉州市": ((118.6711365, 24.8770487), (118.6821251, 24.8804872)),
    "驻马店市": ((114.0164322, 33.0133556), (114.0287781, 33.0176697)),
    "沈阳市": ((123.4253306, 41.8032629), (123.438095, 41.8114013)),
    "酒泉市": ((98.4937175, 39.7319946), (98.5008441, 39.7388949)),
    "汕头市": ((116.6775114, 23.3567569), (116.6885014, 23.3598884)),
}
# 1e-5° is about a metre; the BD-09 → GCJ-02 step is itself an approximation good to ~0.5 m.
BD09_TOLERANCE_DEG = 1e-5


@pytest.mark.parametrize("city", list(BD09_REFERENCES))
def test_bd09_converts_to_the_published_wgs84_point(city: str) -> None:
    (lon, lat), baidu = BD09_REFERENCES[city]
    converted = geo.bd09_to_wgs84(*baidu)
    assert converted == pytest.approx((lon, lat), abs=BD09_TOLERANCE_DEG)


def with_depots_crs(tmp_path: Path, crs: Any, city: str = "泉州市") -> Path:
    folder = tmp_path / "district"
    shutil.copytree(GIS_DATA, folder)
    depots_file = read_json(folder / "depots.geojson")
    depots_file["metadata"] = {"crs": crs}
    depots_file["features"][0]["geometry"]["coordinates"] = list(BD09_REFERENCES[city][1])
    depots_file["features"] = depots_file["features"][:1]
    (folder / "depots.geojson").write_text(json.dumps(depots_file, ensure_ascii=False), encoding="utf-8")
    return folder


def test_a_bd09_file_is_converted_to_wgs84_at_import(
    session: Session, clock: FrozenClock, tmp_path: Path
) -> None:
    load(session, clock, with_depots_crs(tmp_path, "BD-09"))
    stored = geo.from_db(session.scalar(select(Depot.location).where(Depot.ref == "D01")))
    assert stored is not None
    assert (stored.x, stored.y) == pytest.approx(BD09_REFERENCES["泉州市"][0], abs=BD09_TOLERANCE_DEG)


@pytest.mark.parametrize("crs", ["Beijing-54 local", {"type": "name"}])
def test_an_unknown_coordinate_system_is_refused_by_name(
    session: Session, clock: FrozenClock, tmp_path: Path, crs: Any
) -> None:
    with pytest.raises(InvalidInput) as refused:
        loader.load_district(session, folder=with_depots_crs(tmp_path, crs), clock=clock)
    session.rollback()
    assert refused.value.field == "depots.geojson.metadata.crs"
    assert session.scalar(select(func.count()).select_from(Depot)) == 0


@pytest.mark.parametrize(("timezone", "day_starts_utc"), [("Asia/Shanghai", 0), ("UTC", 8)])
def test_a_roster_that_names_no_timezone_is_read_in_the_configured_one(
    session: Session, clock: FrozenClock, tmp_path: Path, timezone: str, day_starts_utc: int
) -> None:
    folder = tmp_path / "district"
    shutil.copytree(GIS_DATA, folder)
    roster = json.loads((folder / "duty_roster.json").read_text(encoding="utf-8"))
    del roster["timezone"]
    (folder / "duty_roster.json").write_text(json.dumps(roster, ensure_ascii=False), encoding="utf-8")
    loader.load_district(session, folder=folder, clock=clock, timezone=timezone)
    session.commit()
    # The day shift starts at 08:00 local time: 00:00 UTC in Beijing time, 08:00 UTC in UTC.
    starts = {s.astimezone(UTC).hour for s in session.scalars(select(DutyShift.starts_at))}
    assert starts == {day_starts_utc, (day_starts_utc + 12) % 24}
