"""Build the demo district in gis_data/: Quangang District (泉港区, Quanzhou), real boundary, made-up rest.

Usage: .venv/bin/python scripts/build_demo_district.py [--shared /work/shared/data]

Only the district boundary (and the land/sea split behind water.geojson) come from real data: the
DataV.GeoAtlas boundaries converted from GCJ-02 to WGS 84 (see /work/shared/data/admin_boundary/SOURCE.md).
Everything else — town-seat positions, the chemical park outline, roads, teams, depots, hazard sources,
sensors, shelters, experts, the duty roster — is an APPROXIMATION invented for the demo and flagged
`"approximate": true`. The output is deterministic (seeded random, fixed order): re-running gives
identical bytes.

GB 18218-2018 grading (hazard_sources.geojson), as implemented in `grade_hazard`:
  S = Σ qᵢ/Qᵢ (must be ≥ 1: every source here is a major hazard); R = α · Σ βᵢ·qᵢ/Qᵢ.
  Q: table 1 critical quantity for named chemicals; for chemicals not in table 1, the table 2 category Q.
  β: table 3 for the toxic gases it lists (氨 2, 氯 4, 硫化氢 5, 环氧乙烷 2, …); otherwise table 4 by
     category:
     flammable gases (液化石油气, 乙烯, 丙烯, 1,3-丁二烯, 氢, 甲烷) → W2 → 1.5;
     flammable liquids stored at ambient temperature without special process conditions → W5.3 (category 2:
     原油, 汽油, 苯, 甲苯, 甲醇; 汽油 is 易燃液体类别2 in 危险化学品目录) or W5.4 (category 3: 苯乙烯) → 1.0.
  The grading is the platform's own (commandpost.hazards.gb18218, its tables and the categories below in
  backend/commandpost/hazards/data/gb18218/).
  Not in table 1: 丙烯 (propylene) → W2, Q 10 t; 原油 (crude oil) → W5.3 (category 2 assumed), Q 1000 t
     (a category-1 crude would be W5.1, Q 10 t, β 1.5: the crude tank farm would be grade I either way).
  α: table 5 from the people within 500 m; grade: table 6 (I R ≥ 100, II 50–100, III 10–50, IV < 10).

Gas detector alarm settings (sensors.geojson), GB/T 50493-2019 §5.5.2:
  combustible gas: first alarm ≤ 25 %LEL, second ≤ 50 %LEL (we use 20/40 or 25/50);
  toxic gas: first alarm ≤ 100 % OEL, second ≤ 200 % OEL, OEL = MAC, else PC-STEL, else PC-TWA (GBZ 2.1-2019),
  converted to ppm at 20 °C (24.04 L/mol): Cl₂ MAC 1 mg/m³ = 0.34 ppm → 0.3/0.6 ppm;
  NH₃ STEL 30 mg/m³ = 42 ppm → 20/40 ppm; H₂S MAC 10 mg/m³ = 7.1 ppm → 5/10 ppm;
  benzene STEL 10 mg/m³ = 3.1 ppm → 3/6 ppm;
  ethylene oxide TWA 2 mg/m³ = 1.09 ppm → 1/2 ppm.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import shapely
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from commandpost.hazards import gb18218

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "gis_data"
DEFAULT_SHARED = ROOT.parent / "shared" / "data"
SEED = 350505

# ----------------------------------------------------------------------------------------------------------
# Attribution
# ----------------------------------------------------------------------------------------------------------
BOUNDARY_SOURCE = (
    "Aliyun DataV.GeoAtlas (boundary data from AutoNavi/高德), via github.com/tnnevol/gmap @ b248aaae "
    "350505.json; converted GCJ-02 → WGS 84 by iterative inversion of the public GCJ-02 offset formula"
)
BOUNDARY_LICENCE = (
    "No licence file in the source repository; DataV.GeoAtlas data are published by Alibaba for use with "
    "DataV, AutoNavi terms apply: publicly available, licence unclear — fine for a prototype, no "
    "redistribution claim"
)
DEMO_SOURCE = "Command Post demo data, scripts/build_demo_district.py (invented for the demo)"
DEMO_LICENCE = "Apache-2.0, as the Command Post project; fictitious data"
DEMO_NOTE = (
    "APPROXIMATION made up for the demo: positions, names, numbers and contacts are plausible but not real. "
    "Do not use for operations."
)


def metadata(*, source: str, licence: str, approximate: bool, note: str) -> dict[str, Any]:
    return {"source": source, "licence": licence, "approximate": approximate, "note": note}


# ----------------------------------------------------------------------------------------------------------
# Geometry helpers: work in metres (UTM 50N), publish WGS 84 rounded to 6 decimals
# ----------------------------------------------------------------------------------------------------------
_TO_M = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
_TO_LL = Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True)


def to_m(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, _TO_M.transform, interleaved=False)


def to_ll(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, _TO_LL.transform, interleaved=False)


def ll_m(lon: float, lat: float) -> tuple[float, float]:
    x, y = _TO_M.transform(lon, lat)
    return float(x), float(y)


def m_ll(x: float, y: float) -> tuple[float, float]:
    lon, lat = _TO_LL.transform(x, y)
    return round(float(lon), 6), round(float(lat), 6)


def rounded(geom: BaseGeometry) -> BaseGeometry:
    """Snap to a 1e-6° grid (valid output), polygons counter-clockwise outside (RFC 7946)."""
    snapped = shapely.set_precision(geom, 1e-6)
    if snapped.geom_type in ("Polygon", "MultiPolygon"):
        snapped = shapely.orient_polygons(snapped)
    return snapped


def _round_coords(obj: Any) -> Any:
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), 6) for v in obj]
        return [_round_coords(v) for v in obj]
    return obj


def geojson_geometry(geom: BaseGeometry) -> dict[str, Any]:
    g = mapping(geom)
    return {"type": g["type"], "coordinates": _round_coords(g["coordinates"])}


def feature(geom: BaseGeometry | dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    geometry = geom if isinstance(geom, dict) else geojson_geometry(geom)
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def pt(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


# ----------------------------------------------------------------------------------------------------------
# Sources
# ----------------------------------------------------------------------------------------------------------
def load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def load_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


class Sources:
    def __init__(self, shared: Path) -> None:
        self.shared = shared
        ab = shared / "admin_boundary"
        self.boundary_fc = load_json(ab / "quangang_350505_detailed.wgs84.geojson")
        self.towns_csv = load_csv(ab / "quangang_towns_streets_350505.csv")
        self.fujian_fc = load_json(ab / "fujian_350000_cities_simplified.wgs84.geojson")
        self.quanzhou_fc = load_json(ab / "quanzhou_350500_districts_detailed.wgs84.geojson")


# ----------------------------------------------------------------------------------------------------------
# District boundary, towns, park, water
# ----------------------------------------------------------------------------------------------------------
def build_boundary(src: Sources) -> tuple[dict[str, Any], BaseGeometry]:
    raw = src.boundary_fc["features"][0]
    geom = rounded(shape(raw["geometry"]))
    assert geom.is_valid
    props = {
        "ref": "350505",
        "name": "泉港区",
        "name_en": "Quangang District",
        "adcode": raw["properties"]["adcode"],
        "center": _round_coords(raw["properties"]["center"]),
        "centroid": _round_coords(raw["properties"]["centroid"]),
        "approximate": False,
    }
    fc = {
        "type": "FeatureCollection",
        "name": "district_boundary",
        "metadata": metadata(
            source=BOUNDARY_SOURCE,
            licence=BOUNDARY_LICENCE,
            approximate=False,
            note="REAL administrative boundary (7 parts incl. islets), WGS 84; the original is GCJ-02 "
            "(shift ≈ 450 m east / 330 m north in Quangang). Vertices rounded to 6 decimals.",
        ),
        "features": [feature(geom, props)],
    }
    return fc, geom


# Town seats. The CSV (统计用区划代码) has names and codes only; positions are our best public-knowledge
# approximation: 山腰 = the boundary's `center` (district government); 南埔 and 涂岭 from their
# zh.wikipedia coordinates (南埔 25.19021 N 118.91066 E "位于泉港区东北部"; 涂岭 25°10′53″N 118°50′05″E,
# the large western hill town crossed by G324 and the G15 expressway); 界山 borders 仙游枫亭 in the north;
# 后龙 is the east coast (the refinery and its oil jetty sit on its 上西 shore); 峰尾 the north-east
# peninsula; 前黄 the centre.
# The 石化工业园区 "seat" is the park's central road junction (set in build_roads).
TOWN_SEATS: dict[str, tuple[str, str, float, float]] = {
    # code: (name_en, kind, lon, lat)
    "350505001": ("Shanyao Subdistrict", "street", 118.907813, 25.12983),
    "350505100": ("Nanpu Town", "town", 118.91066, 25.19021),
    "350505101": ("Jieshan Town", "town", 118.888, 25.2275),
    "350505102": ("Houlong Town", "town", 118.9505, 25.1845),
    "350505103": ("Fengwei Town", "town", 118.9555, 25.2045),
    "350505105": ("Qianhuang Town", "town", 118.8715, 25.1585),
    "350505106": ("Tuling Town", "town", 118.834722, 25.181389),
    "350505400": ("Petrochemical Industrial Park", "park", 0.0, 0.0),
}
TOWN_NAMES = ["山腰街道", "南埔镇", "界山镇", "后龙镇", "峰尾镇", "前黄镇", "涂岭镇"]
PARK_TOWN = "石化工业园区"

# The park: around the Fujian Refining & Petrochemical complex on the east coast (后龙 上西 shore) and the
# coast south of it towards 山腰. This outline is drawn by hand and clipped to the coastline.
PARK_OUTLINE = [
    (118.9300, 25.1300),
    (118.9470, 25.1262),
    (118.9900, 25.1480),
    (118.9900, 25.1770),
    (118.9620, 25.1775),
    (118.9455, 25.1735),
    (118.9345, 25.1610),
    (118.9285, 25.1440),
]


def build_park(district: BaseGeometry) -> BaseGeometry:
    mainland = max(district.geoms, key=lambda p: p.area) if isinstance(district, MultiPolygon) else district
    park = Polygon(PARK_OUTLINE).intersection(mainland)
    if isinstance(park, MultiPolygon):
        park = max(park.geoms, key=lambda p: p.area)
    # Keep the outline a hair inside the coastline so "inside the district" is never a rounding question.
    park_m = to_m(park).buffer(-15, join_style="mitre").simplify(5)
    return rounded(to_ll(park_m))


def build_water(src: Sources, district: BaseGeometry) -> BaseGeometry:
    """Sea = a box 8 km around the district minus the land of Fujian (Quanzhou from the detailed polygons)."""
    dist_m = to_m(district)
    minx, miny, maxx, maxy = dist_m.bounds
    box_m = box(minx - 8000, miny - 8000, maxx + 8000, maxy + 8000)
    box_ll = to_ll(box_m)
    cities = [
        shapely.make_valid(shape(f["geometry"]))
        for f in src.fujian_fc["features"]
        if f["properties"].get("adcode") != 350500
    ]
    counties = [shapely.make_valid(shape(f["geometry"])) for f in src.quanzhou_fc["features"]]
    land = unary_union([*cities, *counties, district]).intersection(box_ll.buffer(0.01))
    sea_m = to_m(box_ll.difference(land))
    # Slivers between the simplified Putian polygon and the detailed Quanzhou ones are not sea: an opening of
    # 120 m removes them, then the coastline is restored by intersecting with the raw difference.
    opened = sea_m.buffer(-120).buffer(120)
    parts = [p for p in getattr(opened, "geoms", [opened]) if p.area > 2_000_000]
    sea_m = unary_union(parts).buffer(150).intersection(sea_m)
    parts = sorted(getattr(sea_m, "geoms", [sea_m]), key=lambda p: -p.area)
    sea_m = parts[0] if len(parts) == 1 or parts[1].area < 1e6 else unary_union(parts)
    if isinstance(sea_m, MultiPolygon):
        sea_m = unary_union([p for p in sea_m.geoms if p.area > 1e6])
    # Cut a metre off the coast so that rounding to the 1e-6° grid cannot make sea and land overlap.
    sea = shapely.difference(rounded(to_ll(sea_m)), district.buffer(1e-5, quad_segs=2), grid_size=1e-6)
    if isinstance(sea, MultiPolygon):
        sea = max(sea.geoms, key=lambda p: p.area)
    sea = shapely.orient_polygons(sea)
    assert sea.is_valid and sea.geom_type == "Polygon", sea.geom_type
    return sea


# ----------------------------------------------------------------------------------------------------------
# Roads
# ----------------------------------------------------------------------------------------------------------
# Nodes (lon, lat); town seats are nodes so every town is a graph vertex.
def road_nodes() -> dict[str, tuple[float, float]]:
    seats = {name: TOWN_SEATS[code][2:] for name, code in zip(TOWN_NAMES, list(TOWN_SEATS)[:7], strict=True)}
    return {
        "SY": seats["山腰街道"],
        "NP": seats["南埔镇"],
        "JS": seats["界山镇"],
        "HL": seats["后龙镇"],
        "FW": seats["峰尾镇"],
        "QH": seats["前黄镇"],
        "TL": seats["涂岭镇"],
        # G15 (沈海高速) ends at the district border and its two interchanges
        "G15_N": (118.8405, 25.2235),
        "IC_TL": (118.8435, 25.1905),
        "IC_QG": (118.8355, 25.1485),
        "G15_S": (118.8155, 25.1085),
        # G324 ends, junction with the 界山 road and with 驿峰路
        "G324_N": (118.8280, 25.2200),
        "J_JS": (118.8315, 25.2045),
        "J_YF": (118.8270, 25.1505),
        "G324_S": (118.8030, 25.1100),
        # 山腰 road south to the 惠安 border
        "SY_S": (118.8880, 25.0990),
        # park gates and internal junctions
        "PK_W": (118.9355, 25.1505),
        "PK_N": (118.9530, 25.1715),
        "PK_S": (118.9425, 25.1330),
        "PK_C": (118.9560, 25.1640),
        "PK_E": (118.9745, 25.1665),
        "PK_M": (118.9430, 25.1450),
    }


# (from, to, name, road_class, speed, wiggle amplitude in metres, via points)
ROADS: list[tuple[str, str, str, str, float, float, list[tuple[float, float]]]] = [
    ("G15_N", "IC_TL", "G15沈海高速", "motorway", 100, 40, [(118.8440, 25.2060)]),
    ("IC_TL", "IC_QG", "G15沈海高速", "motorway", 100, 60, [(118.8405, 25.1700)]),
    ("IC_QG", "G15_S", "G15沈海高速", "motorway", 100, 60, [(118.8270, 25.1290)]),
    ("G324_N", "J_JS", "国道324线", "trunk", 60, 60, []),
    ("J_JS", "TL", "国道324线", "trunk", 60, 80, [(118.8330, 25.1930)]),
    ("TL", "J_YF", "国道324线", "trunk", 60, 90, [(118.8300, 25.1660)]),
    ("J_YF", "G324_S", "国道324线", "trunk", 60, 90, [(118.8170, 25.1300)]),
    ("TL", "IC_TL", "涂岭互通连接线", "primary", 50, 20, []),
    ("J_YF", "IC_QG", "驿峰路", "primary", 60, 15, []),
    ("IC_QG", "QH", "驿峰路", "primary", 60, 70, [(118.8520, 25.1530)]),
    ("QH", "SY", "驿峰路", "primary", 60, 90, [(118.8880, 25.1470)]),
    ("IC_TL", "NP", "通港路", "primary", 60, 110, [(118.8650, 25.1930), (118.8880, 25.1885)]),
    ("NP", "HL", "通港路", "primary", 60, 90, [(118.9300, 25.1860)]),
    ("HL", "PK_N", "通港路", "primary", 60, 40, []),
    ("QH", "NP", "前黄—南埔 连接线", "secondary", 50, 120, [(118.8900, 25.1740)]),
    ("NP", "JS", "南埔—界山 连接线", "secondary", 50, 100, [(118.9000, 25.2100)]),
    ("JS", "J_JS", "界山—涂岭 连接线", "tertiary", 40, 150, [(118.8650, 25.2200), (118.8450, 25.2120)]),
    ("HL", "FW", "后龙—峰尾 连接线（沿海）", "secondary", 50, 60, []),
    ("FW", "JS", "峰尾—界山 沿海公路", "tertiary", 40, 120, [(118.9300, 25.2160), (118.9080, 25.2230)]),
    ("SY", "PK_W", "山腰—石化园区 连接线", "secondary", 50, 60, [(118.9220, 25.1420)]),
    ("SY", "PK_S", "山腰—石化园区南 沿海公路", "secondary", 50, 50, [(118.9250, 25.1300)]),
    ("SY", "SY_S", "山腰—惠安 连接线", "secondary", 50, 110, [(118.8980, 25.1150)]),
    ("PK_S", "PK_W", "石化园区西侧环路", "tertiary", 40, 30, []),
    ("PK_W", "PK_N", "石化园区西侧环路", "tertiary", 40, 40, [(118.9425, 25.1630)]),
    ("PK_W", "PK_M", "石化园区内部道路（东西向）", "tertiary", 30, 15, []),
    ("PK_S", "PK_M", "石化园区内部道路（南北向）", "tertiary", 30, 20, []),
    ("PK_M", "PK_C", "石化园区内部道路（南北向）", "tertiary", 30, 30, [(118.9480, 25.1560)]),
    ("PK_C", "PK_N", "石化园区内部道路", "tertiary", 30, 15, []),
    ("PK_C", "PK_E", "石化园区码头路", "tertiary", 30, 25, []),
]


def wiggle_line(
    nodes_ll: Sequence[tuple[float, float]], amplitude: float, rng: random.Random, step: float = 280.0
) -> list[tuple[float, float]]:
    """A polyline through the given points with smooth lateral bends (zero at the ends), in lon/lat."""
    pts_m = [ll_m(*p) for p in nodes_ll]
    base = LineString(pts_m)
    n = max(3, math.ceil(base.length / step))
    phases = [rng.uniform(0, 2 * math.pi) for _ in range(3)]
    freqs = [1.0, 2.0 + rng.random(), 4.0 + rng.random()]
    weights = [1.0, 0.45, 0.2]
    out: list[tuple[float, float]] = []
    for i in range(n + 1):
        t = i / n
        d = t * base.length
        p = base.interpolate(d)
        q = base.interpolate(min(d + 1.0, base.length)) if d < base.length else base.interpolate(d)
        r = base.interpolate(max(d - 1.0, 0.0))
        dx, dy = q.x - r.x, q.y - r.y
        norm = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / norm, dx / norm
        envelope = math.sin(math.pi * t)
        off = (
            amplitude
            * envelope
            * sum(w * math.sin(f * math.pi * t + ph) for w, f, ph in zip(weights, freqs, phases, strict=True))
        )
        out.append(m_ll(p.x + nx * off, p.y + ny * off))
    out[0] = (round(nodes_ll[0][0], 6), round(nodes_ll[0][1], 6))
    out[-1] = (round(nodes_ll[-1][0], 6), round(nodes_ll[-1][1], 6))
    # drop consecutive duplicates that rounding may create
    dedup = [out[0]]
    for p in out[1:]:
        if p != dedup[-1]:
            dedup.append(p)
    return dedup


def build_roads(rng: random.Random, district: BaseGeometry) -> list[dict[str, Any]]:
    nodes = road_nodes()
    feats: list[dict[str, Any]] = []
    for i, (a, b, name, cls, speed, amp, via) in enumerate(ROADS, start=1):
        coords = wiggle_line([nodes[a], *via, nodes[b]], amp, rng)
        line = LineString(coords)
        length_m = to_m(line).length
        feats.append(
            feature(
                line,
                {
                    "ref": f"R{i:03d}",
                    "name": name,
                    "road_class": cls,
                    "oneway": False,
                    "speed_kmh": speed,
                    "length_m": round(length_m, 1),
                    "from_node": a,
                    "to_node": b,
                    "source": "approximation",
                    "approximate": True,
                },
            )
        )
    return feats


# ----------------------------------------------------------------------------------------------------------
# GB 18218-2018
# ----------------------------------------------------------------------------------------------------------
TOXIC_OEL_PPM: dict[str, tuple[str, float]] = {
    # substance: (basis in GBZ 2.1-2019, 100 % OEL in ppm at 20 °C)
    "氯": ("MAC 1 mg/m³", 1 * 24.04 / 70.90),
    "氨": ("PC-STEL 30 mg/m³", 30 * 24.04 / 17.03),
    "硫化氢": ("MAC 10 mg/m³", 10 * 24.04 / 34.08),
    "苯": ("PC-STEL 10 mg/m³", 10 * 24.04 / 78.11),
    "环氧乙烷": ("PC-TWA 2 mg/m³", 2 * 24.04 / 44.05),
}


FREP = "福建联合石油化工有限公司"
# (ref, enterprise, name, shape, size (w, h) m or None for a point, [(chemical, t)], people within 500 m)
HAZARDS: list[tuple[str, str, str, tuple[float, float] | None, list[tuple[str, float]], int]] = [
    ("H01", FREP, "原油罐区", (520, 380), [("原油", 120000)], 12),
    (
        "H02",
        FREP,
        "液化烃球罐区",
        (300, 220),
        [("液化石油气(含丙烷、丁烷及其混合物)", 2400), ("丙烯", 160)],
        35,
    ),
    ("H03", FREP, "乙烯低温罐区", (200, 160), [("乙烯", 1200)], 8),
    ("H04", FREP, "汽油罐区", (360, 260), [("汽油(乙醇汽油、甲醇汽油)", 14000)], 20),
    ("H05", FREP, "芳烃罐区", (260, 200), [("苯", 1500), ("甲苯", 4000)], 40),
    ("H06", "石化园区某氯碱企业", "液氯储存库", None, [("氯", 50)], 80),
    ("H07", "石化园区某液氨储运企业", "液氨罐区", (160, 120), [("氨", 150)], 15),
    ("H08", FREP, "硫磺回收装置酸性气系统", None, [("硫化氢", 8)], 6),
    ("H09", "石化园区某甲醇储运企业", "甲醇罐区", (240, 180), [("甲醇", 3000)], 30),
    ("H10", "石化园区某环氧乙烷企业", "环氧乙烷储罐区", None, [("环氧乙烷", 45)], 120),
    ("H11", "石化园区某液体化工码头", "码头化工品罐区", (280, 200), [("苯乙烯", 6000), ("甲醇", 1000)], 0),
    ("H12", "石化园区某丙烷脱氢企业", "丙烯球罐区", (220, 180), [("丙烯", 250), ("氢", 6)], 55),
    ("H13", FREP, "1,3-丁二烯罐区", (180, 140), [("1,3-丁二烯", 300)], 18),
]


COLOURS = {"I": "red", "II": "orange", "III": "yellow", "IV": "blue"}


def grade_hazard(chemicals: list[tuple[str, float]], population: int) -> dict[str, Any]:
    """The platform's own GB 18218-2018 grading (commandpost.hazards.gb18218); every source here is major."""
    graded = gb18218.grade(
        [gb18218.ChemicalHeld(n, gb18218.cas_of(n), q) for n, q in chemicals], exposed_population=population
    )
    assert graded.grade is not None, chemicals
    grade = str(graded.grade)
    return {
        "s_value": round(graded.s_value, 2),
        "r_value": graded.r_value,
        "grade": grade,
        "risk_colour": COLOURS[grade],
    }


def free_spots(
    area_m: BaseGeometry, spacing: float, keep_out: BaseGeometry | None, rng: random.Random
) -> list[tuple[float, float]]:
    minx, miny, maxx, maxy = area_m.bounds
    spots = []
    y = miny + spacing / 2
    while y < maxy:
        x = minx + spacing / 2
        while x < maxx:
            p = Point(x, y)
            if area_m.contains(p) and (keep_out is None or p.distance(keep_out) > 0):
                spots.append((x, y))
            x += spacing
        y += spacing
    rng.shuffle(spots)
    return spots


def build_hazards(
    rng: random.Random, park: BaseGeometry, roads_m: BaseGeometry
) -> tuple[list[dict[str, Any]], dict[str, BaseGeometry]]:
    park_m = to_m(park)
    inner = park_m.buffer(-230)
    placed: list[BaseGeometry] = []
    feats = []
    sites_m: dict[str, BaseGeometry] = {}
    spots = free_spots(inner, 60, None, rng)
    for ref, enterprise, name, size, chemicals, population in HAZARDS:
        for x, y in spots:
            if size is None:
                site = Point(x, y)
                footprint = site.buffer(40)
            else:
                w, h = size
                angle = rng.choice([0, 10, 20, 25, 30, 35])
                rect = box(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
                site = affinity.rotate(rect, angle, origin=(x, y))
                footprint = site
            if not park_m.buffer(-40).contains(footprint):
                continue
            if footprint.distance(roads_m) < 30:
                continue
            if any(footprint.distance(o) < 90 for o in placed):
                continue
            break
        else:
            raise SystemExit(f"no room in the park for {ref}")
        placed.append(footprint)
        sites_m[ref] = site
        geom = rounded(to_ll(site))
        graded = grade_hazard(chemicals, population)
        feats.append(
            feature(
                geom,
                {
                    "ref": ref,
                    "enterprise": enterprise,
                    "name": name,
                    "chemicals": [
                        {"name": n, "cas": gb18218.cas_of(n), "quantity_t": q} for n, q in chemicals
                    ],
                    "exposed_population": population,
                    "s_value": graded["s_value"],
                    "r_value": graded["r_value"],
                    "grade": graded["grade"],
                    "risk_colour": graded["risk_colour"],
                    "approximate": True,
                },
            )
        )
    return feats, sites_m


# ----------------------------------------------------------------------------------------------------------
# Sensors
# ----------------------------------------------------------------------------------------------------------
COMBUSTIBLE = {
    "原油",
    "液化石油气(含丙烷、丁烷及其混合物)",
    "丙烯",
    "乙烯",
    "汽油(乙醇汽油、甲醇汽油)",
    "苯",
    "甲苯",
    "甲醇",
    "苯乙烯",
    "氢",
    "1,3-丁二烯",
    "环氧乙烷",
    "氨",  # ammonia is flammable (LEL 15 %) but watched as a toxic gas here
    "硫化氢",
}
TOXIC_SETTINGS = {
    "氯": (0.3, 0.6),
    "氨": (20.0, 40.0),
    "硫化氢": (5.0, 10.0),
    "苯": (3.0, 6.0),
    "环氧乙烷": (1.0, 2.0),
}
# process sensors per source: (kind, alarm_1, alarm_2)
PROCESS: dict[str, list[tuple[str, float, float]]] = {
    "H01": [("liquid_level", 85, 90), ("temperature", 55, 65)],
    "H02": [("pressure", 1.6, 1.7), ("liquid_level", 85, 90), ("temperature", 40, 45)],
    "H03": [("temperature", -98, -95), ("pressure", 0.025, 0.028)],
    "H04": [("liquid_level", 85, 90)],
    "H05": [("liquid_level", 85, 90)],
    "H06": [("pressure", 1.0, 1.2)],
    "H07": [("pressure", 1.6, 1.8), ("temperature", 40, 45)],
    "H08": [],
    "H09": [("liquid_level", 85, 90)],
    "H10": [("temperature", 25, 30)],
    "H11": [("liquid_level", 85, 90)],
    "H12": [("pressure", 1.9, 2.0), ("liquid_level", 85, 90)],
    "H13": [("pressure", 0.6, 0.7), ("temperature", 30, 35)],
}
UNITS = {
    "combustible_gas": "%LEL",
    "toxic_gas": "ppm",
    "temperature": "°C",
    "pressure": "MPa",
    "liquid_level": "%",
}


def sensor_spots(site_m: BaseGeometry, n: int, rng: random.Random) -> list[tuple[float, float]]:
    """n points within ~80 m of the site: around a point, or along/inside a polygon's edge."""
    out = []
    if site_m.geom_type == "Point":
        for i in range(n):
            ang = 2 * math.pi * i / n + rng.uniform(-0.3, 0.3)
            r = rng.uniform(15, 60)
            out.append((site_m.x + r * math.cos(ang), site_m.y + r * math.sin(ang)))
        return out
    ring = site_m.exterior
    start = rng.random()
    for i in range(n):
        p = ring.interpolate(((start + i / n) % 1.0) * ring.length)
        c = site_m.centroid
        dx, dy = p.x - c.x, p.y - c.y
        norm = math.hypot(dx, dy) or 1.0
        off = rng.uniform(-25, 25)  # a little inside or outside the bund
        out.append((p.x + dx / norm * off, p.y + dy / norm * off))
    return out


def build_sensors(
    rng: random.Random, hazards: list[dict[str, Any]], sites_m: dict[str, BaseGeometry]
) -> list[dict[str, Any]]:
    feats: list[dict[str, Any]] = []
    for i, hz in enumerate(hazards):
        ref = hz["properties"]["ref"]
        chems = [c["name"] for c in hz["properties"]["chemicals"]]
        specs: list[tuple[str, str | None, float, float, int]] = []
        flammable = [c for c in chems if c in COMBUSTIBLE and c not in TOXIC_SETTINGS]
        lel = (20.0, 40.0) if i % 2 == 0 else (25.0, 50.0)
        for c in flammable:
            count = 2 if len(flammable) > 1 else 3
            specs += [("combustible_gas", c, *lel, 30)] * count
        for c in chems:
            if c in TOXIC_SETTINGS:
                specs += [("toxic_gas", c, *TOXIC_SETTINGS[c], 30)] * (3 if not flammable else 2)
                if c in ("环氧乙烷", "硫化氢"):
                    specs.append(("combustible_gas", c, *lel, 30))
        main = chems[0]
        specs += [(kind, main, a1, a2, 60) for kind, a1, a2 in PROCESS[ref]]
        specs = specs[:8]
        assert 3 <= len(specs) <= 8, (ref, len(specs))
        for (x, y), (kind, substance, a1, a2, interval) in zip(
            sensor_spots(sites_m[ref], len(specs), rng), specs, strict=True
        ):
            lon, lat = m_ll(x, y)
            feats.append(
                feature(
                    pt(lon, lat),
                    {
                        "ref": f"S{len(feats) + 1:04d}",
                        "hazard_source": ref,
                        "kind": kind,
                        "unit": UNITS[kind],
                        "substance": substance,
                        "cas": gb18218.cas_of(substance) if substance else None,
                        "alarm_1": a1,
                        "alarm_2": a2,
                        "expected_interval_s": interval,
                        "approximate": True,
                    },
                )
            )
    return feats


# ----------------------------------------------------------------------------------------------------------
# Teams
# ----------------------------------------------------------------------------------------------------------
# capability sets, vehicles and equipment by template
TEMPLATES: dict[str, tuple[list[str], list[tuple[str, int]], list[str]]] = {
    "fire_national": (
        [
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
        ],
        [
            ("foam tender", 6),
            ("water tender", 4),
            ("aerial platform", 2),
            ("hazmat rescue vehicle", 2),
            ("decontamination vehicle", 1),
            ("command vehicle", 1),
        ],
        [
            "正压式空气呼吸器",
            "重型防化服",
            "泡沫炮",
            "热成像仪",
            "液压破拆工具组",
            "堵漏工具组",
            "有毒气体检测仪",
        ],
    ),
    "forest": (
        ["forest_firefighting", "search_rescue", "logistics"],
        [("forest fire truck", 3), ("personnel carrier", 2)],
        ["风力灭火机", "二号扑火工具", "背负式水枪", "油锯", "北斗定位终端"],
    ),
    "hazmat": (
        ["hazmat", "decontamination", "gas_detection", "leak_sealing", "foam"],
        [("hazmat rescue vehicle", 2), ("decontamination vehicle", 1), ("foam tender", 1)],
        [
            "重型防化服",
            "正压式空气呼吸器",
            "有毒气体检测仪",
            "可燃气体检测仪",
            "堵漏工具组",
            "洗消帐篷",
            "输转泵",
        ],
    ),
    "decon": (
        ["decontamination", "hazmat", "gas_detection"],
        [("decontamination vehicle", 2)],
        ["洗消帐篷", "洗消剂", "防化服", "有毒气体检测仪"],
    ),
    "medical": (
        ["medical", "decontamination", "logistics"],
        [("ambulance", 4)],
        ["急救箱", "担架", "除颤仪", "便携式呼吸机", "伤员洗消设备"],
    ),
    "water": (
        ["water_rescue", "search_rescue", "flood_control"],
        [("rescue boat", 3), ("pickup", 2)],
        ["救生衣", "救生圈", "抛投器", "潜水装具", "冲锋舟"],
    ),
    "mine": (
        ["mine_rescue", "confined_space", "search_rescue", "gas_detection"],
        [("mine rescue vehicle", 2)],
        ["正压氧气呼吸器", "多功能气体检测仪", "生命探测仪", "液压破拆工具"],
    ),
    "electric": (
        ["electrical", "logistics"],
        [("emergency power vehicle", 2), ("repair truck", 3)],
        ["绝缘工具组", "移动发电机", "照明灯塔"],
    ),
    "gas": (
        ["leak_sealing", "gas_detection", "hazmat"],
        [("gas repair truck", 2)],
        ["可燃气体检测仪", "堵漏工具组", "防爆工具", "正压式空气呼吸器"],
    ),
    "comms": (
        ["communications", "logistics"],
        [("communications vehicle", 2)],
        ["卫星电话", "便携式基站", "无人机", "图传设备"],
    ),
    "flood": (
        ["flood_control", "water_rescue", "search_rescue", "logistics"],
        [("truck", 3), ("rescue boat", 2)],
        ["抽水泵", "沙袋", "救生衣", "冲锋舟", "照明灯组"],
    ),
    "structural": (
        ["structural_collapse", "search_rescue", "high_angle"],
        [("rescue vehicle", 2), ("crane truck", 1)],
        ["生命探测仪", "液压破拆工具", "起重气垫", "救援绳索"],
    ),
    "general": (
        ["search_rescue", "logistics", "flood_control"],
        [("pickup", 2), ("truck", 1)],
        ["救援绳索", "急救包", "对讲机", "发电机", "照明灯组"],
    ),
    "high_angle": (
        ["high_angle", "search_rescue", "confined_space"],
        [("rescue vehicle", 1)],
        ["救援绳索", "三脚架", "安全带", "担架"],
    ),
    "volunteer": (
        ["search_rescue", "medical", "logistics"],
        [("pickup", 1)],
        ["急救包", "救援绳索", "对讲机", "头灯"],
    ),
    "volunteer_water": (
        ["water_rescue", "search_rescue", "medical"],
        [("rescue boat", 2)],
        ["救生衣", "救生圈", "抛投器", "急救包"],
    ),
    "volunteer_medical": (
        ["medical", "logistics"],
        [("pickup", 1)],
        ["急救包", "除颤仪", "担架"],
    ),
    "environment": (
        ["gas_detection", "hazmat", "logistics"],
        [("environmental monitoring vehicle", 2)],
        ["便携式气相色谱仪", "有毒气体检测仪", "采样设备"],
    ),
    "forest_town": (
        ["forest_firefighting", "logistics"],
        [("pickup", 1)],
        ["风力灭火机", "二号扑火工具", "灭火水枪"],
    ),
    "ent_fire": (
        ["firefighting", "foam", "hazmat", "gas_detection", "leak_sealing"],
        [("foam tender", 3), ("water tender", 1)],
        ["正压式空气呼吸器", "泡沫炮", "可燃气体检测仪", "堵漏工具组", "防化服"],
    ),
    "ent_gasdef": (
        ["gas_detection", "hazmat", "leak_sealing", "confined_space", "medical"],
        [("gas defence vehicle", 1)],
        ["正压式空气呼吸器", "有毒气体检测仪", "可燃气体检测仪", "苏生器"],
    ),
    "ent_rescue": (
        ["hazmat", "firefighting", "search_rescue", "decontamination"],
        [("rescue vehicle", 1)],
        ["防化服", "正压式空气呼吸器", "洗消器材", "急救包"],
    ),
    "ent_mini": (
        ["firefighting", "gas_detection"],
        [("electric patrol vehicle", 1)],
        ["灭火器", "消防水带", "可燃气体检测仪", "正压式空气呼吸器"],
    ),
    "ent_water": (
        ["water_rescue", "firefighting"],
        [("fire boat", 1)],
        ["救生衣", "围油栏", "吸油毡"],
    ),
    "ent_mine": (
        ["mine_rescue", "search_rescue", "confined_space"],
        [("rescue vehicle", 1)],
        ["正压氧气呼吸器", "多功能气体检测仪", "担架"],
    ),
    "ent_ammonia": (
        ["gas_detection", "leak_sealing", "hazmat"],
        [("pickup", 1)],
        ["氨气检测仪", "堵漏工具组", "防化服"],
    ),
}

# (name, kind, tier, headcount (0 = to allocate), template, town, anchor: town seat name or "park")
TeamSpec = tuple[str, str, str, int, str, str, str]


def team_specs() -> list[TeamSpec]:
    specs: list[TeamSpec] = [
        ("泉港区消防救援大队", "fire_rescue", "national", 88, "fire_national", "山腰街道", "山腰街道"),
        ("泉港区森林消防专业队", "forest_fire", "district", 40, "forest", "涂岭镇", "涂岭镇"),
        # the 12 professional rescue teams (481 people): refs T003–T014
        ("泉港区危险化学品应急救援队", "hazmat", "district", 62, "hazmat", PARK_TOWN, "park"),
        ("泉港区石化园区危化品洗消队", "hazmat", "district", 35, "decon", PARK_TOWN, "park"),
        ("泉港区医院医疗救护队", "medical", "district", 45, "medical", "山腰街道", "山腰街道"),
        ("泉港区120急救站医疗救护队", "medical", "district", 30, "medical", "前黄镇", "前黄镇"),
        ("泉港区水上搜救队", "water_rescue", "district", 40, "water", "峰尾镇", "峰尾镇"),
        ("泉港区湄洲湾海上应急救援队", "water_rescue", "district", 38, "water", "后龙镇", "后龙镇"),
        ("泉港区电力抢修队", "professional", "district", 42, "electric", "山腰街道", "山腰街道"),
        ("泉港区燃气抢险队", "professional", "district", 30, "gas", "南埔镇", "南埔镇"),
        ("泉港区通信保障应急队", "professional", "district", 28, "comms", "山腰街道", "山腰街道"),
        ("泉港区非煤矿山救护队", "mine_rescue", "district", 35, "mine", "涂岭镇", "涂岭镇"),
        ("泉港区防汛抗旱抢险队", "professional", "district", 52, "flood", "南埔镇", "南埔镇"),
        ("泉港区建筑工程抢险队", "professional", "district", 44, "structural", "前黄镇", "前黄镇"),
    ]
    # "20": district teams
    district = [
        ("泉港区应急救援突击队", "professional", "general", "山腰街道"),
        ("泉港区民兵应急连", "professional", "general", "山腰街道"),
        ("泉港区蓝天救援队", "volunteer", "volunteer", "山腰街道"),
        ("泉港区红十字应急救护队", "volunteer", "volunteer_medical", "山腰街道"),
        ("泉港区交通运输应急保障队", "professional", "general", "前黄镇"),
        ("泉港区市政设施抢修队", "professional", "general", "山腰街道"),
        ("泉港区供水抢修队", "professional", "general", "南埔镇"),
        ("泉港区环境应急监测队", "professional", "environment", "山腰街道"),
        ("泉港区疾控中心卫生应急队", "medical", "medical", "山腰街道"),
        ("泉港区海上应急志愿救援队", "volunteer", "volunteer_water", "峰尾镇"),
        ("泉港区特种设备应急处置队", "professional", "gas", "南埔镇"),
        ("泉港区危化品运输事故处置队", "hazmat", "hazmat", "后龙镇"),
        ("泉港区应急物资保障队", "professional", "general", "前黄镇"),
        ("泉港区地质灾害应急抢险队", "professional", "structural", "涂岭镇"),
        ("泉港区高空救援队", "professional", "high_angle", "山腰街道"),
        ("泉港区义工联应急志愿服务队", "volunteer", "volunteer", "南埔镇"),
        ("泉港区公路应急抢通队", "professional", "general", "涂岭镇"),
        ("泉港区石化园区联防互助队", "hazmat", "hazmat", PARK_TOWN),
        ("泉港区气象灾害应急保障队", "professional", "comms", "山腰街道"),
        ("泉港区心理援助志愿队", "volunteer", "volunteer_medical", "山腰街道"),
    ]
    for name, kind, tpl, town in district:
        specs.append((name, kind, "district", 0, tpl, town, "park" if town == PARK_TOWN else town))
    # "10": department teams
    department = [
        ("泉港区住房和城乡建设局建筑工程抢险队", "professional", "structural", "山腰街道"),
        ("泉港区水利局防汛抢险队", "professional", "flood", "前黄镇"),
        ("泉港区交通运输局公路抢险队", "professional", "general", "涂岭镇"),
        ("泉港区卫生健康局医疗应急队", "medical", "medical", "山腰街道"),
        ("泉港区生态环境局应急监测队", "professional", "environment", "山腰街道"),
        ("泉港区林业局护林防火队", "professional", "forest_town", "涂岭镇"),
        ("泉港公安分局特警应急处置队", "professional", "general", "山腰街道"),
        ("泉港区海洋与渔业局渔业应急救援队", "water_rescue", "water", "峰尾镇"),
        ("泉港区市场监管局特种设备应急队", "professional", "gas", "南埔镇"),
        ("泉港区自然资源局地质灾害应急队", "professional", "structural", "界山镇"),
    ]
    for name, kind, tpl, town in department:
        specs.append((name, kind, "department", 0, tpl, town, town))
    # "5": five teams per town seat
    coastal = {"后龙镇", "峰尾镇"}
    for town in TOWN_NAMES:
        short = town
        fifth = (
            (f"{short}海上应急救援队", "water_rescue", "water")
            if town in coastal
            else (f"{short}社区应急救援队", "professional", "general")
            if town == "山腰街道"
            else (f"{short}半专业森林扑火队", "professional", "forest_town")
        )
        for name, kind, tpl in [
            (f"{short}综合应急救援队", "professional", "general"),
            (f"{short}防汛抗台抢险队", "professional", "flood"),
            (f"{short}民兵应急分队", "professional", "general"),
            (f"{short}志愿服务应急队", "volunteer", "volunteer"),
            fifth,
        ]:
            specs.append((name, kind, "town", 0, tpl, town, town))
    # "N": enterprise teams, in the park mostly
    specs += [
        ("福建联合石化企业消防队", "enterprise", "enterprise", 0, "ent_fire", PARK_TOWN, "park"),
        ("福建联合石化气防站", "enterprise", "enterprise", 0, "ent_gasdef", PARK_TOWN, "park"),
        ("福建联合石化应急救援队", "enterprise", "enterprise", 0, "ent_rescue", PARK_TOWN, "park"),
    ]
    park_enterprises = [
        ("石化园区某氯碱企业", ["专职消防队", "气防站"]),
        ("石化园区某丙烷脱氢企业", ["专职消防队", "应急救援队"]),
        ("石化园区某环氧乙烷企业", ["专职消防队", "气防站"]),
        ("石化园区某液氨储运企业", ["应急救援队", "微型消防站"]),
        ("石化园区某液体化工码头", ["专职消防队", "水上应急队"]),
        ("石化园区某甲醇储运企业", ["微型消防站", "义务消防队"]),
        ("石化园区某聚丙烯企业", ["专职消防队", "微型消防站"]),
        ("石化园区某芳烃企业", ["专职消防队", "气防站"]),
        ("石化园区某危化品物流企业", ["应急救援队", "微型消防站"]),
        ("石化园区某精细化工企业", ["微型消防站", "义务消防队"]),
        ("石化园区某合成材料企业", ["专职消防队"]),
        ("石化园区某工业气体企业", ["应急救援队", "微型消防站"]),
        ("石化园区某污水处理企业", ["微型消防站"]),
        ("石化园区某热电企业", ["专职消防队", "义务消防队"]),
        ("石化园区某油品码头企业", ["专职消防队", "水上应急队"]),
        ("石化园区某涂料树脂企业", ["微型消防站"]),
        ("石化园区某储罐清洗企业", ["应急救援队"]),
        ("石化园区某乙二醇企业", ["专职消防队", "气防站"]),
        ("石化园区某橡胶企业", ["微型消防站", "义务消防队"]),
        ("石化园区某公用工程企业", ["应急救援队"]),
        ("石化园区某仓储企业", ["义务消防队", "微型消防站"]),
        ("石化园区某溶剂油企业", ["微型消防站"]),
        ("石化园区某危废处置企业", ["应急救援队"]),
    ]
    suffix_tpl = {
        "专职消防队": "ent_fire",
        "气防站": "ent_gasdef",
        "应急救援队": "ent_rescue",
        "微型消防站": "ent_mini",
        "义务消防队": "ent_mini",
        "水上应急队": "ent_water",
    }
    for enterprise, suffixes in park_enterprises:
        for suffix in suffixes:
            specs.append(
                (
                    f"{enterprise}{suffix}",
                    "enterprise",
                    "enterprise",
                    0,
                    suffix_tpl[suffix],
                    PARK_TOWN,
                    "park",
                )
            )
    town_enterprises = [
        ("涂岭镇某石材企业矿山救护队", "ent_mine", "涂岭镇"),
        ("涂岭镇某采石场应急救援队", "ent_mine", "涂岭镇"),
        ("峰尾镇某渔港码头应急队", "ent_water", "峰尾镇"),
        ("峰尾镇某水产冷链企业液氨应急队", "ent_ammonia", "峰尾镇"),
        ("后龙镇某港口企业义务消防队", "ent_mini", "后龙镇"),
        ("南埔镇某电厂专职消防队", "ent_fire", "南埔镇"),
        ("南埔镇某物流园微型消防站", "ent_mini", "南埔镇"),
        ("山腰街道某商业综合体微型消防站", "ent_mini", "山腰街道"),
        ("山腰街道某燃气企业抢险队", "ent_ammonia", "山腰街道"),
        ("前黄镇某纺织企业义务消防队", "ent_mini", "前黄镇"),
        ("界山镇某鞋服企业义务消防队", "ent_mini", "界山镇"),
    ]
    for name, tpl, town in town_enterprises:
        specs.append((name, "enterprise", "enterprise", 0, tpl, town, town))
    return specs


HEADCOUNT_TARGETS = {"district": (480, 14, 40), "department": (210, 14, 32), "town": (546, 10, 24)}
ENTERPRISE_HEADCOUNT = {
    "ent_fire": (20, 45),
    "ent_gasdef": (8, 20),
    "ent_rescue": (10, 24),
    "ent_mini": (6, 10),
    "ent_water": (8, 16),
    "ent_mine": (10, 20),
    "ent_ammonia": (6, 12),
}
TOTAL_TEAMS = 132
TOTAL_PEOPLE = 2548


def allocate(indices: list[int], total: int, lo: int, hi: int, rng: random.Random) -> dict[int, int]:
    counts = {i: rng.randint(lo, hi) for i in indices}
    k = 0
    while sum(counts.values()) != total:
        i = indices[k % len(indices)]
        if sum(counts.values()) < total and counts[i] < hi + 10:
            counts[i] += 1
        elif sum(counts.values()) > total and counts[i] > lo:
            counts[i] -= 1
        k += 1
    return counts


def headcounts(specs: list[TeamSpec], rng: random.Random) -> list[int]:
    counts = [s[3] for s in specs]
    fixed = sum(s[3] for s in specs if s[3])
    assert fixed == 88 + 40 + 481, fixed
    for tier, (total, lo, hi) in HEADCOUNT_TARGETS.items():
        idx = [i for i, s in enumerate(specs) if s[2] == tier and s[3] == 0]
        for i, c in allocate(idx, total, lo, hi, rng).items():
            counts[i] = c
    ent = [i for i, s in enumerate(specs) if s[2] == "enterprise"]
    rest = TOTAL_PEOPLE - sum(counts[i] for i in range(len(specs)) if specs[i][2] != "enterprise")
    for i in ent:
        counts[i] = rng.randint(*ENTERPRISE_HEADCOUNT[specs[i][4]])
    if "福建联合石化企业消防队" in [specs[i][0] for i in ent]:
        counts[next(i for i in ent if specs[i][0] == "福建联合石化企业消防队")] = 60
    k = 0
    while sum(counts[i] for i in ent) != rest:
        i = ent[k % len(ent)]
        lo, hi = ENTERPRISE_HEADCOUNT[specs[i][4]]
        diff = rest - sum(counts[j] for j in ent)
        if diff > 0 and counts[i] < hi + 8:
            counts[i] += 1
        elif diff < 0 and counts[i] > lo:
            counts[i] -= 1
        k += 1
    return counts


SURNAMES = list("陈林黄张王李刘吴郑蔡许杨庄苏周洪郭曾柯肖谢何罗高梁宋唐韩冯邓曹彭潘田董袁余叶卢方")


class Placer:
    """Scatter points around an anchor in metres, on land inside the district and clear of given areas."""

    def __init__(self, district_m: BaseGeometry, rng: random.Random) -> None:
        self.land = district_m.buffer(-120)
        self.rng = rng
        self.used: list[Point] = []

    def near(
        self,
        anchor: tuple[float, float],
        rmin: float,
        rmax: float,
        *,
        within: BaseGeometry | None = None,
        avoid: BaseGeometry | None = None,
        gap: float = 60,
    ) -> tuple[float, float]:
        ax, ay = ll_m(*anchor)
        for attempt in range(4000):
            grow = 1 + attempt // 400 * 0.25
            r = self.rng.uniform(rmin, rmax * grow)
            a = self.rng.uniform(0, 2 * math.pi)
            p = Point(ax + r * math.cos(a), ay + r * math.sin(a))
            if not self.land.contains(p):
                continue
            if within is not None and not within.contains(p):
                continue
            if avoid is not None and avoid.contains(p):
                continue
            if any(p.distance(q) < gap for q in self.used):
                continue
            self.used.append(p)
            return m_ll(p.x, p.y)
        raise SystemExit(f"cannot place a point near {anchor}")


def phone(rng: random.Random, used: set[str]) -> str:
    while True:
        number = f"0595-87{rng.randint(100000, 999999)}"
        if number not in used:
            used.add(number)
            return number


def build_teams(
    rng: random.Random,
    placer: Placer,
    seats: dict[str, tuple[float, float]],
    park_m: BaseGeometry,
    hazard_keepout_m: BaseGeometry,
    phones: set[str],
) -> list[dict[str, Any]]:
    specs = team_specs()
    counts = headcounts(specs, rng)
    park_inner = park_m.buffer(-60)
    park_anchor = seats[PARK_TOWN]
    feats = []
    for i, ((name, kind, tier, _, tpl, town, anchor), count) in enumerate(zip(specs, counts, strict=True), 1):
        caps, vehicles, equipment = TEMPLATES[tpl]
        if anchor == "park":
            lon, lat = placer.near(park_anchor, 150, 2200, within=park_inner, avoid=hazard_keepout_m)
        elif i == 1:
            lon, lat = placer.near(seats[anchor], 300, 700, avoid=park_m.buffer(300))
        else:
            lon, lat = placer.near(seats[anchor], 300, 2000, avoid=park_m.buffer(200))
        # small teams bring fewer vehicles than the template
        veh = [
            {"type": t, "count": c if count >= 25 else max(1, math.ceil(c * count / 25))} for t, c in vehicles
        ]
        feats.append(
            feature(
                pt(lon, lat),
                {
                    "ref": f"T{i:03d}",
                    "name": name,
                    "kind": kind,
                    "tier": tier,
                    "headcount": count,
                    "capabilities": list(caps),
                    "vehicles": veh,
                    "equipment": list(equipment),
                    "status": "available",
                    "town": town,
                    "contact_name": f"{rng.choice(SURNAMES)}队长",
                    "contact_phone": phone(rng, phones),
                    "approximate": True,
                },
            )
        )
    return feats


# ----------------------------------------------------------------------------------------------------------
# Materials, depots, shelters, experts, duty roster
# ----------------------------------------------------------------------------------------------------------
MATERIALS = [
    ("foam_concentrate", "Foam concentrate (AFFF/AR)", "泡沫灭火剂", "t", "firefighting"),
    ("absorbent_boom", "Absorbent boom", "吸油拖栏", "m", "spill_response"),
    ("oil_boom", "Oil containment boom", "围油栏", "m", "spill_response"),
    ("absorbent_pad", "Absorbent pads", "吸油毡", "kg", "spill_response"),
    ("neutraliser", "Acid/alkali neutraliser", "酸碱中和剂", "t", "hazmat"),
    ("leak_sealing_kit", "Leak sealing kit", "堵漏器材组", "set", "hazmat"),
    ("chemical_suit", "Gas-tight chemical protective suit", "重型防化服", "set", "protection"),
    ("scba", "Self-contained breathing apparatus", "正压式空气呼吸器", "set", "protection"),
    ("gas_detector", "Portable gas detector", "便携式气体检测仪", "piece", "detection"),
    ("sandbag", "Sandbag", "沙袋", "piece", "flood_control"),
    ("pump", "Drainage pump", "抽水泵", "set", "flood_control"),
    ("life_jacket", "Life jacket", "救生衣", "piece", "water_rescue"),
    ("rescue_boat", "Inflatable rescue boat", "冲锋舟", "piece", "water_rescue"),
    ("generator", "Mobile generator", "移动发电机", "set", "power"),
    ("lighting_tower", "Mobile lighting set", "移动照明灯组", "set", "power"),
    ("tent", "Relief tent", "救灾帐篷", "piece", "shelter"),
    ("folding_bed", "Folding bed", "折叠床", "piece", "shelter"),
    ("quilt", "Quilt", "棉被", "piece", "shelter"),
    ("drinking_water", "Bottled drinking water (24 × 550 ml)", "瓶装饮用水", "box", "living"),
    ("instant_food", "Instant food", "方便食品", "box", "living"),
    ("forest_fire_blower", "Forest fire blower", "风力灭火机", "set", "forest_fire"),
]

PARK_STOCK = {
    "foam_concentrate": (40, 120),
    "absorbent_boom": (1500, 3000),
    "oil_boom": (800, 2000),
    "absorbent_pad": (800, 2000),
    "neutraliser": (8, 25),
    "leak_sealing_kit": (8, 20),
    "chemical_suit": (40, 120),
    "scba": (60, 150),
    "gas_detector": (30, 100),
    "generator": (3, 8),
    "lighting_tower": (4, 10),
    "sandbag": (1000, 3000),
}
TOWN_STOCK = {
    "tent": (40, 90),
    "folding_bed": (100, 300),
    "quilt": (200, 600),
    "drinking_water": (300, 800),
    "instant_food": (200, 500),
    "sandbag": (2000, 6000),
    "pump": (4, 10),
    "generator": (2, 4),
    "life_jacket": (80, 300),
    "lighting_tower": (2, 4),
}
# ref, name, operator, anchor, kind of stock
DEPOTS = [
    ("D01", "石化园区应急物资储备库", "泉港石化工业园区管理委员会", "park", "park"),
    ("D02", "福建联合石化应急物资库", FREP, "park", "park"),
    ("D03", "石化园区消防特勤站物资库", "泉港区消防救援大队", "park", "park"),
    ("D04", "泉港区应急物资储备仓库", "泉港区应急管理局", "山腰街道", "district"),
    ("D05", "泉港区防汛抗旱物资仓库", "泉港区水利局", "山腰街道", "flood"),
    ("D06", "南埔镇应急物资储备点", "南埔镇人民政府", "南埔镇", "town"),
    ("D07", "界山镇应急物资储备点", "界山镇人民政府", "界山镇", "town"),
    ("D08", "后龙镇应急物资储备点", "后龙镇人民政府", "后龙镇", "town"),
    ("D09", "峰尾镇应急物资储备点", "峰尾镇人民政府", "峰尾镇", "town"),
    ("D10", "前黄镇应急物资储备点", "前黄镇人民政府", "前黄镇", "town"),
    ("D11", "涂岭镇应急物资储备点", "涂岭镇人民政府", "涂岭镇", "town"),
    ("D12", "泉港区森林防火物资储备库", "泉港区林业局", "涂岭镇", "forest"),
]


def stock_for(kind: str, town: str, rng: random.Random) -> list[dict[str, Any]]:
    def pick(table: Mapping[str, tuple[float, float]], scale: float = 1.0) -> list[dict[str, Any]]:
        out = []
        for code, (lo, hi) in table.items():
            v = rng.uniform(lo, hi) * scale
            value: float = (
                round(v, 1) if hi <= 30 and code in ("foam_concentrate", "neutraliser") else round(v)
            )
            out.append({"material": code, "on_hand": value})
        return out

    if kind == "park":
        return pick(PARK_STOCK)
    if kind == "district":
        return pick({**TOWN_STOCK, "scba": (20, 40), "gas_detector": (20, 40), "rescue_boat": (4, 8)}, 3.0)
    if kind == "flood":
        return pick(
            {
                "sandbag": (20000, 40000),
                "pump": (30, 50),
                "life_jacket": (600, 1000),
                "rescue_boat": (6, 12),
                "generator": (8, 14),
                "lighting_tower": (6, 12),
            }
        )
    if kind == "forest":
        return pick(
            {
                "forest_fire_blower": (60, 120),
                "drinking_water": (200, 400),
                "instant_food": (100, 300),
                "tent": (20, 40),
            }
        )
    table = dict(TOWN_STOCK)
    if town not in ("后龙镇", "峰尾镇", "南埔镇"):
        table.pop("life_jacket")
    return pick(table)


SHELTERS = [
    ("泉港区体育中心应急避难场所", "stadium", 6000, "山腰街道"),
    ("泉港区第一中学应急避难场所", "school", 2500, "山腰街道"),
    ("泉港区城市公园应急避难场所", "park", 5000, "山腰街道"),
    ("南埔镇中心小学应急避难场所", "school", 1200, "南埔镇"),
    ("南埔镇文体广场应急避难场所", "square", 2000, "南埔镇"),
    ("界山镇中学应急避难场所", "school", 1000, "界山镇"),
    ("后龙镇中心小学应急避难场所", "school", 1100, "后龙镇"),
    ("峰尾镇文体中心应急避难场所", "indoor", 900, "峰尾镇"),
    ("峰尾镇中心小学应急避难场所", "school", 800, "峰尾镇"),
    ("前黄镇中学应急避难场所", "school", 1500, "前黄镇"),
    ("涂岭镇中心小学应急避难场所", "school", 1000, "涂岭镇"),
    ("涂岭镇文化广场应急避难场所", "square", 1800, "涂岭镇"),
]

EXPERTS = [
    ("危险化学品", ["炼油", "液化烃", "原油储运"], "某石化企业安全环保部", "教授级高级工程师"),
    ("危险化学品", ["氯碱", "液氯", "有毒气体泄漏"], "某氯碱化工企业", "高级工程师"),
    ("危险化学品", ["液氨", "制冷", "合成氨"], "某化工设计院", "高级工程师"),
    ("危险化学品", ["乙烯", "丙烯", "裂解装置"], "某石化企业生产技术部", "高级工程师"),
    ("危险化学品", ["化工工艺", "反应失控", "HAZOP"], "某高校化工学院", "教授"),
    ("消防", ["油罐火灾", "泡沫灭火", "冷却供水"], "泉港区消防救援大队", "高级专业技术职务"),
    ("消防", ["液化烃火灾", "BLEVE", "堵漏"], "某消防救援支队战训处", "高级专业技术职务"),
    ("消防", ["高层建筑火灾", "疏散"], "某消防研究所", "副研究员"),
    ("医疗救护", ["中毒救治", "化学烧伤"], "泉港区医院急诊科", "主任医师"),
    ("医疗救护", ["创伤急救", "批量伤员分拣"], "某三甲医院急诊科", "副主任医师"),
    ("医疗救护", ["职业病", "毒理学"], "某疾病预防控制中心", "主任医师"),
    ("环境监测", ["大气应急监测", "VOCs"], "某生态环境监测站", "高级工程师"),
    ("环境监测", ["海洋溢油", "水质监测"], "某海洋环境监测中心", "高级工程师"),
    ("结构工程", ["储罐结构", "钢结构", "爆炸荷载"], "某建筑设计研究院", "高级工程师"),
    ("结构工程", ["建筑倒塌", "危房鉴定"], "某工程质量检测中心", "高级工程师"),
    ("气象", ["大气扩散", "台风", "风场预报"], "某气象台", "高级工程师"),
    ("海上搜救", ["船舶溢油", "海上救援"], "某海事局", "高级船长"),
    ("电力", ["电网抢修", "应急供电"], "某供电公司", "高级工程师"),
    ("地质灾害", ["滑坡", "崩塌", "矿山"], "某地质勘查院", "高级工程师"),
    ("应急管理", ["预案编制", "应急指挥", "演练评估"], "某应急管理研究院", "研究员"),
]

ROTA = {
    "duty_officer": 5,
    "dispatcher": 6,
    "leader_on_duty": 4,
}


# ----------------------------------------------------------------------------------------------------------
# Checks
# ----------------------------------------------------------------------------------------------------------
def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"check failed: {message}")


def check_roads(roads: list[dict[str, Any]], district: BaseGeometry) -> None:
    lines = [shape(f["geometry"]) for f in roads]
    for f, line in zip(roads, lines, strict=True):
        check(line.is_valid and line.is_simple, f"road {f['properties']['ref']} not simple")
        check(district.contains(line), f"road {f['properties']['ref']} leaves the district")
        check(len(line.coords) >= 4, f"road {f['properties']['ref']} has too few vertices")
    # roads meet only at shared endpoints (motorway crossings are grade-separated)
    for i, a in enumerate(lines):
        for j in range(i + 1, len(lines)):
            b = lines[j]
            if not a.intersects(b):
                continue
            cls = {roads[i]["properties"]["road_class"], roads[j]["properties"]["road_class"]}
            inter = a.intersection(b)
            ends = {a.coords[0], a.coords[-1]} & {b.coords[0], b.coords[-1]}
            only_ends = all(
                tuple(p.coords[0]) in ends for p in getattr(inter, "geoms", [inter]) if p.geom_type == "Point"
            )
            if inter.geom_type not in ("Point", "MultiPoint") or not only_ends:
                check(
                    "motorway" in cls and inter.geom_type == "Point",
                    f"{roads[i]['properties']['ref']} and {roads[j]['properties']['ref']} cross "
                    "without a junction",
                )
    # one connected graph
    adj: dict[tuple[float, float], set[tuple[float, float]]] = {}
    for line in lines:
        a, b = tuple(line.coords[0]), tuple(line.coords[-1])
        adj.setdefault(a, set()).add(b)
        adj.setdefault(b, set()).add(a)
    start = next(iter(adj))
    seen, stack = {start}, [start]
    while stack:
        for n in adj[stack.pop()]:
            if n not in seen:
                seen.add(n)
                stack.append(n)
    check(len(seen) == len(adj), "road graph is not connected")


def check_points(
    name: str, feats: Iterable[dict[str, Any]], district: BaseGeometry, water: BaseGeometry
) -> None:
    for f in feats:
        p = shape(f["geometry"])
        ref = f["properties"].get("ref")
        check(district.contains(p), f"{name} {ref} outside the district")
        check(not water.intersects(p), f"{name} {ref} in the water")


# ----------------------------------------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------------------------------------
def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def write_fc(path: Path, name: str, meta: dict[str, Any], features: list[dict[str, Any]]) -> None:
    """One feature per line: small diffs, still plain GeoJSON."""
    head = {"type": "FeatureCollection", "name": name, "metadata": meta}
    lines = [dumps(head)[:-1] + ',"features":[']
    lines += [dumps(f) + ("," if i < len(features) - 1 else "") for i, f in enumerate(features)]
    lines.append("]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def demo_meta(note: str = "") -> dict[str, Any]:
    return metadata(
        source=DEMO_SOURCE, licence=DEMO_LICENCE, approximate=True, note=(DEMO_NOTE + " " + note).strip()
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared data folder")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write (default gis_data/)")
    args = parser.parse_args(argv)
    src = Sources(args.shared)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)

    boundary_fc, district = build_boundary(src)
    district_m = to_m(district)
    check({r["name"] for r in src.towns_csv} == {*TOWN_NAMES, PARK_TOWN}, "the town list changed")
    park = build_park(district)
    park_m = to_m(park)
    water = build_water(src, district)

    roads = build_roads(rng, district)
    nodes = road_nodes()
    park_seat = (round(nodes["PK_C"][0], 6), round(nodes["PK_C"][1], 6))
    seats: dict[str, tuple[float, float]] = {}
    towns = []
    for row in src.towns_csv:
        name_en, kind, lon, lat = TOWN_SEATS[row["code"]]
        if kind == "park":
            lon, lat = park_seat
        seats[row["name"]] = (lon, lat)
        towns.append(
            feature(
                pt(lon, lat),
                {
                    "ref": row["code"],
                    "name": row["name"],
                    "name_en": name_en,
                    "kind": kind,
                    "approximate": True,
                },
            )
        )

    roads_m = unary_union([to_m(shape(f["geometry"])) for f in roads])
    hazards, sites_m = build_hazards(rng, park, roads_m)
    sensors = build_sensors(rng, hazards, sites_m)
    keepout_m = unary_union([s.buffer(120) for s in sites_m.values()])

    placer = Placer(district_m, rng)
    for p in sites_m.values():
        placer.used.append(p.centroid)
    phones: set[str] = set()
    teams = build_teams(rng, placer, seats, park_m, keepout_m, phones)

    materials = [
        {"code": c, "name": n, "name_zh": z, "unit": u, "category": cat} for c, n, z, u, cat in MATERIALS
    ]
    depots = []
    for ref, name, operator, anchor, kind in DEPOTS:
        if anchor == "park":
            lon, lat = placer.near(seats[PARK_TOWN], 200, 2000, within=park_m.buffer(-60), avoid=keepout_m)
            town = PARK_TOWN
        else:
            lon, lat = placer.near(seats[anchor], 400, 1800, avoid=park_m.buffer(500))
            town = anchor
        surname = rng.choice(SURNAMES)
        depots.append(
            feature(
                pt(lon, lat),
                {
                    "ref": ref,
                    "name": name,
                    "operator": operator,
                    "address": f"泉港区{town}（示意位置）",
                    "town": town,
                    "contact_name": f"{surname}主任",
                    "contact_phone": phone(rng, phones),
                    "stock": stock_for(kind, town, rng),
                    "approximate": True,
                },
            )
        )

    shelters = []
    for i, (name, kind, capacity, town) in enumerate(SHELTERS, 1):
        lon, lat = placer.near(seats[town], 200, 1500, avoid=park_m.buffer(1000), gap=150)
        shelters.append(
            feature(
                pt(lon, lat),
                {
                    "ref": f"E{i:02d}",
                    "name": name,
                    "kind": kind,
                    "capacity": capacity,
                    "address": f"泉港区{town}（示意位置）",
                    "town": town,
                    "approximate": True,
                },
            )
        )

    surnames = iter(SURNAMES)
    experts = []
    for i, (specialty, fields, organisation, title) in enumerate(EXPERTS, 1):
        experts.append(
            {
                "ref": f"X{i:02d}",
                "name": f"{next(surnames)}某某",
                "specialty": specialty,
                "fields": fields,
                "organisation": organisation,
                "title": title,
                "phone": phone(rng, phones),
                "approximate": True,
            }
        )
    rota = {
        role: [{"person": f"{next(surnames)}某某", "phone": phone(rng, phones)} for _ in range(n)]
        for role, n in ROTA.items()
    }
    roster = {
        "timezone": "Asia/Shanghai",
        "shifts": [
            {"name": "day", "start": "08:00", "hours": 12},
            {"name": "night", "start": "20:00", "hours": 12},
        ],
        "rota": rota,
        "dispatchers_per_shift": 2,
        "metadata": demo_meta("People and phone numbers are fictitious."),
    }

    # ---- checks --------------------------------------------------------------------------------------------
    check(water.is_valid and not water.intersects(shapely.Point(*seats["山腰街道"])), "water")
    check(district.contains(park) and park.is_valid, "park inside the district")
    check_roads(roads, district)
    graph_nodes = {tuple(shape(f["geometry"]).coords[i]) for f in roads for i in (0, -1)}
    for t in towns:
        check(
            tuple(t["geometry"]["coordinates"]) in graph_nodes,
            f"town {t['properties']['name']} not on the roads",
        )
    for name, feats in [
        ("town", towns),
        ("team", teams),
        ("depot", depots),
        ("shelter", shelters),
        ("sensor", sensors),
    ]:
        check_points(name, feats, district, water)
    for h in hazards:
        check(park.contains(shape(h["geometry"])), f"hazard {h['properties']['ref']} outside the park")
        check(h["properties"]["s_value"] >= 1, f"hazard {h['properties']['ref']} below the critical quantity")
    check(len(teams) == TOTAL_TEAMS, "team count")
    check(sum(t["properties"]["headcount"] for t in teams) == TOTAL_PEOPLE, "headcount sum")
    codes = {m["code"] for m in materials}
    for d in depots:
        check(
            all(s["material"] in codes and s["on_hand"] > 0 for s in d["properties"]["stock"]), "depot stock"
        )

    # ---- write ---------------------------------------------------------------------------------------------
    write_fc(
        out / "district_boundary.geojson",
        "district_boundary",
        boundary_fc["metadata"],
        boundary_fc["features"],
    )
    write_fc(
        out / "towns.geojson",
        "towns",
        demo_meta(
            "Names and codes are REAL (国家统计局 统计用区划代码 via "
            "modood/Administrative-divisions-of-China, WTFPL); seat positions are approximate (南埔, 涂岭 "
            "after zh.wikipedia coordinates; 山腰 = district government)."
        ),
        towns,
    )
    write_fc(
        out / "petrochemical_park.geojson",
        "petrochemical_park",
        demo_meta("Hand-drawn outline of 泉港石化工业区 on the east coast, clipped to the real coastline."),
        [
            feature(
                park,
                {
                    "ref": "park",
                    "name": "泉港石化工业区",
                    "name_en": "Quangang Petrochemical Industrial Park",
                    "approximate": True,
                },
            )
        ],
    )
    write_fc(
        out / "water.geojson",
        "water",
        metadata(
            source=f"Derived: 8 km box around the district minus the land of {BOUNDARY_SOURCE}; Fujian "
            "prefecture polygons from github.com/anzhou99/GeoJsons @ c509f3a 350000_full.json (simplified), "
            "Quanzhou from the detailed tnnevol/gmap polygons",
            licence=BOUNDARY_LICENCE,
            approximate=True,
            note="Sea = what is not land; coastline as good as the DataV polygons (simplified for Putian).",
        ),
        [
            feature(
                water,
                {
                    "ref": "sea",
                    "name": "湄洲湾 / 台湾海峡",
                    "name_en": "Meizhou Bay / Taiwan Strait",
                    "approximate": True,
                },
            )
        ],
    )
    write_fc(
        out / "roads.geojson",
        "roads",
        demo_meta(
            "No OSM extract of Quangang is available offline: an APPROXIMATE network linking every town "
            "seat, the park and the G15 expressway; split at junctions (endpoints shared exactly); "
            "motorway crossings are grade-separated. Replace with an OSM extract for real routing."
        ),
        roads,
    )
    write_fc(
        out / "teams.geojson",
        "teams",
        demo_meta(
            "132 teams, 2,548 people as reported for Quangang (20+10+5+N model): T001 national fire and "
            "rescue (88), T002 forest fire (40), T003–T014 the 12 professional teams (481), "
            "T015–T034 district, T035–T044 department, T045–T079 town (5 per town), T080–T132 "
            "enterprise. Names, bases, contacts invented."
        ),
        teams,
    )
    # materials.json and experts.json are plain lists (what the loader reads); their attribution is in
    # gis_data/README.md, and every expert carries "approximate": true.
    write_json(out / "materials.json", materials)
    write_fc(out / "depots.geojson", "depots", demo_meta(), depots)
    write_fc(
        out / "hazard_sources.geojson",
        "hazard_sources",
        demo_meta(
            "Graded with GB 18218-2018 (S = Σq/Q, R = α·Σβq/Q) by commandpost.hazards.gb18218; "
            "chemical names and CAS as in table 1 (丙烯, 原油 from table 2 categories W2, W5.3). "
            "Enterprises other than 福建联合石油化工 are generic; quantities invented."
        ),
        hazards,
    )
    write_fc(
        out / "sensors.geojson",
        "sensors",
        demo_meta(
            "Alarm settings after GB/T 50493-2019: combustible ≤ 25/50 %LEL; toxic ≤ 100/200 % OEL "
            "(GBZ 2.1-2019)."
        ),
        sensors,
    )
    write_fc(out / "shelters.geojson", "shelters", demo_meta(), shelters)
    write_json(out / "experts.json", experts)
    write_json(out / "duty_roster.json", roster)
    grades = [h["properties"]["grade"] for h in hazards]
    spread = ", ".join(f"{g}×{grades.count(g)}" for g in ("I", "II", "III", "IV"))
    print(
        f"wrote {out}: {len(towns)} towns, {len(roads)} roads, {len(teams)} teams "
        f"({sum(t['properties']['headcount'] for t in teams)} people), {len(depots)} depots, "
        f"{len(hazards)} hazard sources (grades {spread}), "
        f"{len(sensors)} sensors, {len(shelters)} shelters, {len(experts)} experts"
    )


if __name__ == "__main__":
    main()
