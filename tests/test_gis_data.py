"""The committed demo district (gis_data/): the facts the loader, the map and the drills rely on.

No database: these read the files as a user's GIS would and check counts, sums, places and the
GB 18218 grading.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from commandpost.hazards import gb18218

GIS = Path(__file__).resolve().parents[1] / "gis_data"

LAYERS = [
    "district_boundary",
    "towns",
    "petrochemical_park",
    "water",
    "roads",
    "teams",
    "depots",
    "hazard_sources",
    "sensors",
    "shelters",
]
POINT_LAYERS = ["towns", "teams", "depots", "sensors", "shelters"]
KINDS = {
    "fire_rescue",
    "hazmat",
    "medical",
    "forest_fire",
    "water_rescue",
    "mine_rescue",
    "professional",
    "enterprise",
    "volunteer",
}
CAPABILITIES = {
    "firefighting",
    "foam",
    "hazmat",
    "decontamination",
    "gas_detection",
    "leak_sealing",
    "high_angle",
    "confined_space",
    "search_rescue",
    "structural_collapse",
    "water_rescue",
    "flood_control",
    "forest_firefighting",
    "medical",
    "electrical",
    "mine_rescue",
    "logistics",
    "communications",
}
TOWNS = {
    "350505001": "山腰街道",
    "350505100": "南埔镇",
    "350505101": "界山镇",
    "350505102": "后龙镇",
    "350505103": "峰尾镇",
    "350505105": "前黄镇",
    "350505106": "涂岭镇",
    "350505400": "石化工业园区",
}
# 100 % OEL in ppm at 20 °C (GBZ 2.1-2019: MAC, else PC-STEL, else PC-TWA) for GB/T 50493-2019 §5.5.2
OEL_PPM = {
    "氯": 1 * 24.04 / 70.90,
    "氨": 30 * 24.04 / 17.03,
    "硫化氢": 10 * 24.04 / 34.08,
    "苯": 10 * 24.04 / 78.11,
    "环氧乙烷": 2 * 24.04 / 44.05,
}
_TO_M = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)


def metres(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, _TO_M.transform, interleaved=False)


@cache
def layer(name: str) -> dict[str, Any]:
    with (GIS / f"{name}.geojson").open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def features(name: str) -> list[dict[str, Any]]:
    return list(layer(name)["features"])


def props(name: str) -> list[dict[str, Any]]:
    return [f["properties"] for f in features(name)]


@cache
def district() -> BaseGeometry:
    return shape(features("district_boundary")[0]["geometry"])


@cache
def sea() -> BaseGeometry:
    return shape(features("water")[0]["geometry"])


@cache
def park() -> BaseGeometry:
    return shape(features("petrochemical_park")[0]["geometry"])


def read_json(name: str) -> Any:
    with (GIS / name).open(encoding="utf-8") as fh:
        return json.load(fh)


def teams_by_ref() -> dict[str, dict[str, Any]]:
    return {p["ref"]: p for p in props("teams")}


# ------------------------------------------------------------------------------------------------- files


@pytest.mark.parametrize("name", LAYERS)
def test_every_layer_is_plain_geojson_with_attribution(name: str) -> None:
    data = layer(name)
    assert data["type"] == "FeatureCollection"
    assert "crs" not in data  # RFC 7946: WGS 84 longitude/latitude, no crs member
    meta = data["metadata"]
    assert set(meta) >= {"source", "licence", "approximate", "note"}
    assert isinstance(meta["approximate"], bool)
    assert all(meta[k] for k in ("source", "licence", "note"))
    for f in data["features"]:
        assert f["type"] == "Feature"
        geom = shape(f["geometry"])
        assert geom.is_valid, (name, f["properties"].get("ref"))
        coords = shapely.get_coordinates(geom)
        assert ((coords[:, 0] > 118) & (coords[:, 0] < 120) & (coords[:, 1] > 24) & (coords[:, 1] < 26)).all()
        assert (abs(coords * 1e6 - (coords * 1e6).round()) < 1e-3).all(), "coordinates rounded to 6 decimals"


@pytest.mark.parametrize("name", [n for n in LAYERS if n not in ("district_boundary", "water")])
def test_every_made_up_feature_says_so(name: str) -> None:
    assert layer(name)["metadata"]["approximate"] is True
    assert all(p["approximate"] is True for p in props(name))


def test_only_the_boundary_is_real() -> None:
    assert layer("district_boundary")["metadata"]["approximate"] is False
    (boundary,) = props("district_boundary")
    assert boundary["ref"] == "350505" and boundary["adcode"] == 350505
    assert boundary["name"] == "泉港区" and boundary["name_en"] == "Quangang District"
    area_km2 = metres(district()).area / 1e6
    assert 300 < area_km2 < 320  # official land area ≈ 311 km²


def test_json_files_carry_attribution() -> None:
    # materials.json and experts.json are plain lists (attribution in gis_data/README.md)
    meta = read_json("duty_roster.json")["metadata"]
    assert meta["approximate"] is True and meta["source"] and meta["licence"] and meta["note"]
    assert all(e["approximate"] is True for e in read_json("experts.json"))
    readme = (GIS / "README.md").read_text(encoding="utf-8")
    assert "materials.json" in readme and "experts.json" in readme and "APPROXIMATION" in readme


# ------------------------------------------------------------------------------------------ places


@pytest.mark.parametrize("name", POINT_LAYERS)
def test_points_are_on_land_inside_the_district(name: str) -> None:
    for f in features(name):
        p = shape(f["geometry"])
        assert p.geom_type == "Point"
        assert district().contains(p), (name, f["properties"]["ref"])
        assert not sea().intersects(p), (name, f["properties"]["ref"])


def test_sea_surrounds_the_coast_without_covering_land() -> None:
    water = sea()
    assert water.geom_type == "Polygon"
    assert water.intersection(district()).area < 1e-9
    # the sea touches the district's east coast, and the box reaches ~8 km beyond the district
    assert water.distance(district()) < 1e-4
    assert water.bounds[2] > district().bounds[2] + 0.07


def test_towns_are_the_eight_township_units() -> None:
    towns = props("towns")
    assert {p["ref"]: p["name"] for p in towns} == TOWNS
    kinds = Counter(p["kind"] for p in towns)
    assert kinds == {"street": 1, "town": 6, "park": 1}
    assert all(p["name_en"] for p in towns)


def test_park_is_inside_the_district_on_the_coast() -> None:
    (p,) = props("petrochemical_park")
    assert p["ref"] == "park" and p["name"] and p["name_en"]
    assert district().contains(park())
    assert park().distance(sea()) < 0.001  # on the coast (within ~100 m)
    assert 3 < metres(park()).area / 1e6 < 40


# ------------------------------------------------------------------------------------------- roads


def test_roads_form_one_connected_network_through_every_town() -> None:
    roads = features("roads")
    adjacency: dict[tuple[float, float], set[tuple[float, float]]] = {}
    for f in roads:
        coords = [tuple(c) for c in f["geometry"]["coordinates"]]
        assert f["geometry"]["type"] == "LineString" and len(coords) >= 4
        a, b = coords[0], coords[-1]
        adjacency.setdefault(a, set()).add(b)
        adjacency.setdefault(b, set()).add(a)
    start = next(iter(adjacency))
    seen, stack = {start}, [start]
    while stack:
        for n in adjacency[stack.pop()] - seen:
            seen.add(n)
            stack.append(n)
    assert seen == set(adjacency)
    for f in features("towns"):
        assert tuple(f["geometry"]["coordinates"]) in adjacency, f["properties"]["name"]


def test_roads_meet_only_at_shared_endpoints_except_grade_separated_motorways() -> None:
    roads = features("roads")
    lines = [shape(f["geometry"]) for f in roads]
    for i, a in enumerate(lines):
        assert district().contains(a)
        for j in range(i + 1, len(lines)):
            b = lines[j]
            if not a.intersects(b):
                continue
            ends = {a.coords[0], a.coords[-1]} & {b.coords[0], b.coords[-1]}
            points = [tuple(p.coords[0]) for p in getattr(a.intersection(b), "geoms", [a.intersection(b)])]
            classes = {roads[i]["properties"]["road_class"], roads[j]["properties"]["road_class"]}
            assert set(points) <= ends or "motorway" in classes, (
                roads[i]["properties"]["ref"],
                roads[j]["properties"]["ref"],
            )


def test_road_properties() -> None:
    roads = props("roads")
    assert [p["ref"] for p in roads] == [f"R{i:03d}" for i in range(1, len(roads) + 1)]
    classes = Counter(p["road_class"] for p in roads)
    assert set(classes) <= {"motorway", "trunk", "primary", "secondary", "tertiary"}
    assert classes["motorway"] >= 2
    for p in roads:
        assert p["oneway"] is False and p["source"] == "approximation"
        assert 20 <= p["speed_kmh"] <= 120 and p["name"]


# -------------------------------------------------------------------------------------------- teams


def test_team_totals_match_the_district_report() -> None:
    teams = props("teams")
    assert len(teams) == 132
    assert sum(p["headcount"] for p in teams) == 2548
    assert [p["ref"] for p in teams] == [f"T{i:03d}" for i in range(1, 133)]
    assert Counter(p["tier"] for p in teams) == {
        "national": 1,
        "district": 1 + 12 + 20,
        "department": 10,
        "town": 35,
        "enterprise": 53,
    }


def test_national_fire_and_forest_fire_teams() -> None:
    teams = props("teams")
    (national,) = [p for p in teams if p["tier"] == "national"]
    assert national["kind"] == "fire_rescue" and national["headcount"] == 88
    assert national["name"] == "泉港区消防救援大队"
    (forest,) = [p for p in teams if p["kind"] == "forest_fire"]
    assert forest["headcount"] == 40 and forest["tier"] == "district"
    assert "forest_firefighting" in forest["capabilities"]


def test_twelve_professional_teams_total_481() -> None:
    by_ref = teams_by_ref()
    professional = [by_ref[f"T{i:03d}"] for i in range(3, 15)]
    assert sum(p["headcount"] for p in professional) == 481
    assert all(p["tier"] == "district" for p in professional)
    kinds = {p["kind"] for p in professional}
    assert kinds <= {"hazmat", "medical", "water_rescue", "mine_rescue", "professional"}
    assert {"hazmat", "medical", "water_rescue", "mine_rescue"} <= kinds


def test_five_town_teams_per_town() -> None:
    town_teams = Counter(p["town"] for p in props("teams") if p["tier"] == "town")
    assert town_teams == {name: 5 for code, name in TOWNS.items() if code != "350505400"}


def test_enterprise_teams_are_mostly_in_the_park() -> None:
    ent = [f for f in features("teams") if f["properties"]["tier"] == "enterprise"]
    in_park = [f for f in ent if park().contains(shape(f["geometry"]))]
    assert len(in_park) > len(ent) / 2
    assert all(f["properties"]["kind"] == "enterprise" for f in ent)


def test_every_team_is_well_formed() -> None:
    towns = set(TOWNS.values())
    for p in props("teams"):
        assert p["kind"] in KINDS and p["status"] == "available"
        assert isinstance(p["headcount"], int) and p["headcount"] >= 1
        assert p["capabilities"] and set(p["capabilities"]) <= CAPABILITIES
        assert all(isinstance(v["type"], str) and v["count"] >= 1 for v in p["vehicles"])
        assert all(isinstance(e, str) and e for e in p["equipment"])
        assert p["town"] in towns
        assert p["name"] and p["contact_name"]
        assert re.fullmatch(r"0595-87\d{6}", p["contact_phone"])


def test_capabilities_match_the_kind() -> None:
    needs = {
        "fire_rescue": "firefighting",
        "hazmat": "hazmat",
        "medical": "medical",
        "forest_fire": "forest_firefighting",
        "water_rescue": "water_rescue",
        "mine_rescue": "mine_rescue",
    }
    for p in props("teams"):
        if p["kind"] in needs:
            assert needs[p["kind"]] in p["capabilities"], p["name"]


def test_team_bases_are_near_their_town() -> None:
    seats = {f["properties"]["name"]: shape(f["geometry"]) for f in features("towns")}
    for f in features("teams"):
        town = f["properties"]["town"]
        base = shape(f["geometry"])
        if town == "石化工业园区":
            assert park().contains(base), f["properties"]["ref"]
        else:
            assert metres(base).distance(metres(seats[town])) < 3500, f["properties"]["ref"]


# ----------------------------------------------------------------------------------- hazard sources


def graded(p: dict[str, Any]) -> gb18218.Grading:
    """The source graded by the platform's own GB 18218-2018 rules (tested by hand in test_gb18218.py)."""
    held = [gb18218.ChemicalHeld(c["name"], c["cas"], c["quantity_t"]) for c in p["chemicals"]]
    return gb18218.grade(held, exposed_population=p["exposed_population"])


def test_every_hazard_source_is_a_major_hazard_in_the_park() -> None:
    hazards = features("hazard_sources")
    assert 10 <= len(hazards) <= 15
    for f in hazards:
        p = f["properties"]
        assert park().contains(shape(f["geometry"])), p["ref"]
        assert graded(p).major, p["ref"]
        assert p["enterprise"] and p["name"] and isinstance(p["exposed_population"], int)


def test_hazard_grade_follows_gb18218() -> None:
    colours = {"I": "red", "II": "orange", "III": "yellow", "IV": "blue"}
    for p in props("hazard_sources"):
        grading = graded(p)
        assert p["r_value"] == grading.r_value, p["ref"]
        assert p["s_value"] == pytest.approx(grading.s_value, abs=0.005), p["ref"]
        assert p["grade"] == grading.grade, p["ref"]
        assert p["risk_colour"] == colours[p["grade"]]


def test_hazard_grades_spread_over_all_four_levels() -> None:
    grades = Counter(p["grade"] for p in props("hazard_sources"))
    assert set(grades) == {"I", "II", "III", "IV"}
    assert grades["I"] <= 3


# ------------------------------------------------------------------------------------------- sensors


def test_sensors_sit_at_existing_hazard_sources() -> None:
    sites = {f["properties"]["ref"]: metres(shape(f["geometry"])) for f in features("hazard_sources")}
    per_source: Counter[str] = Counter()
    for f in features("sensors"):
        p = f["properties"]
        assert p["hazard_source"] in sites, p["ref"]
        per_source[p["hazard_source"]] += 1
        assert metres(shape(f["geometry"])).distance(sites[p["hazard_source"]]) <= 100, p["ref"]
        assert p["expected_interval_s"] in (30, 60)
    assert set(per_source) == set(sites)
    assert all(3 <= n <= 8 for n in per_source.values())
    refs = [p["ref"] for p in props("sensors")]
    assert refs == [f"S{i:04d}" for i in range(1, len(refs) + 1)]


def test_gas_alarm_settings_follow_gb_t_50493() -> None:
    units = {
        "combustible_gas": "%LEL",
        "toxic_gas": "ppm",
        "temperature": "°C",
        "pressure": "MPa",
        "liquid_level": "%",
    }
    toxic = set()
    for p in props("sensors"):
        assert p["unit"] == units[p["kind"]]
        assert p["alarm_1"] < p["alarm_2"], p["ref"]
        if p["kind"] == "combustible_gas":
            assert 0 < p["alarm_1"] <= 25 and p["alarm_2"] <= 50, p["ref"]
        if p["kind"] == "toxic_gas":
            oel = OEL_PPM[p["substance"]]
            assert p["alarm_1"] <= oel and p["alarm_2"] <= 2 * oel, p["ref"]
            assert p["cas"], p["ref"]
            toxic.add(p["substance"])
    assert {"氯", "氨", "硫化氢", "苯"} <= toxic


def test_flammable_stores_have_combustible_gas_detectors() -> None:
    kinds: dict[str, set[str]] = {}
    for p in props("sensors"):
        kinds.setdefault(p["hazard_source"], set()).add(p["kind"])
    for p in props("hazard_sources"):
        names = {c["name"] for c in p["chemicals"]}
        if names & {
            "原油",
            "汽油(乙醇汽油、甲醇汽油)",
            "液化石油气(含丙烷、丁烷及其混合物)",
            "丙烯",
            "乙烯",
            "甲醇",
        }:
            assert "combustible_gas" in kinds[p["ref"]], p["ref"]


# -------------------------------------------------------------------------------- depots and the rest


def test_depots_hold_catalogued_materials() -> None:
    materials = read_json("materials.json")
    codes = {m["code"] for m in materials}
    required = {
        "foam_concentrate": "t",
        "absorbent_boom": "m",
        "sandbag": "piece",
        "scba": "set",
        "gas_detector": "piece",
        "pump": "set",
        "tent": "piece",
        "folding_bed": "piece",
        "quilt": "piece",
        "drinking_water": "box",
    }
    units = {m["code"]: m["unit"] for m in materials}
    assert all(units.get(code) == unit for code, unit in required.items())
    assert all(m["name"] and m["name_zh"] and m["category"] for m in materials)
    depots = props("depots")
    assert [p["ref"] for p in depots] == [f"D{i:02d}" for i in range(1, 13)]
    for p in depots:
        assert p["name"] and p["operator"] and p["address"] and p["contact_name"] and p["contact_phone"]
        assert p["stock"]
        for line in p["stock"]:
            assert line["material"] in codes and line["on_hand"] > 0, p["ref"]


def test_park_depots_hold_foam_and_town_depots_hold_relief_goods() -> None:
    in_park = [f["properties"] for f in features("depots") if park().contains(shape(f["geometry"]))]
    assert len(in_park) >= 2
    for p in in_park:
        assert {"foam_concentrate", "scba", "absorbent_boom"} <= {s["material"] for s in p["stock"]}
    towns = [p for p in props("depots") if p["name"].endswith("镇应急物资储备点")]
    for p in towns:
        assert {"tent", "quilt", "drinking_water", "sandbag"} <= {s["material"] for s in p["stock"]}


def test_shelters_are_away_from_the_park() -> None:
    shelters = features("shelters")
    assert 10 <= len(shelters) <= 16
    for f in shelters:
        p = f["properties"]
        assert p["capacity"] > 0 and p["name"] and p["kind"] and p["town"] in TOWNS.values()
        assert metres(shape(f["geometry"])).distance(metres(park())) > 900, p["ref"]


def test_experts_and_duty_roster() -> None:
    experts = read_json("experts.json")
    assert 15 <= len(experts) <= 25
    assert len({e["ref"] for e in experts}) == len(experts)
    for e in experts:
        assert (
            e["name"] and e["specialty"] and e["fields"] and e["organisation"] and e["title"] and e["phone"]
        )
    roster = read_json("duty_roster.json")
    assert roster["timezone"] == "Asia/Shanghai"
    assert [s["name"] for s in roster["shifts"]] == ["day", "night"]
    assert sum(s["hours"] for s in roster["shifts"]) == 24
    assert roster["dispatchers_per_shift"] == 2
    rota = roster["rota"]
    assert 4 <= len(rota["duty_officer"]) <= 6
    assert 4 <= len(rota["dispatcher"]) <= 6
    assert 3 <= len(rota["leader_on_duty"]) <= 4
    people = [p["person"] for role in rota.values() for p in role]
    assert len(set(people)) == len(people)
    assert all(p["phone"] for role in rota.values() for p in role)


def test_distances_are_plausible_for_a_district_of_this_size() -> None:
    # the farthest two town seats are less than the district's extent apart (≈ 30 km)
    seats = [metres(shape(f["geometry"])) for f in features("towns")]
    widest = max(a.distance(b) for a in seats for b in seats)
    assert 5_000 < widest < 30_000
