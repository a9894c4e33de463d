"""Loading the demo district: what a duty officer sees after `make run`, and that reloading is harmless."""

from __future__ import annotations

import json
import shutil
from datetime import UTC
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commandpost import geo, loader
from commandpost.basemap.models import MapFeature
from commandpost.clock import FrozenClock
from commandpost.duty.models import DutyShift
from commandpost.errors import InvalidInput
from commandpost.events.models import Event
from commandpost.teams.models import Team

GIS_DATA = Path(__file__).resolve().parents[1] / "gis_data"


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
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "admin_boundary"
    original = json.loads((shared / "quangang_350505_detailed.gcj02.geojson").read_text(encoding="utf-8"))
    reference = json.loads((shared / "quangang_350505_detailed.wgs84.geojson").read_text(encoding="utf-8"))
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
